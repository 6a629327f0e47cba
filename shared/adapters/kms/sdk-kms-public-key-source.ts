import type { LoadedPolicy } from "../../domain/policy-load.ts";
import { policyKmsKeyArns } from "../../domain/signature-policy.ts";
import {
  cachedKmsPublicKeySource,
  type KmsPublicKeySource,
} from "../../signatures/kms-public-key-source.ts";
import { awsClientConfig } from "../retry-config.ts";
import { KmsPublicKeys } from "./kms-public-key.ts";

/** A KmsPublicKeySource over @aws-sdk/client-kms that can release its clients. */
export interface SdkKmsPublicKeySource extends KmsPublicKeySource {
  /** Closes the clients made so far (a CLI run ends; a Lambda container keeps them). */
  destroy(): void;
}

type KmsModule = typeof import("@aws-sdk/client-kms");

/**
 * GetPublicKey through @aws-sdk/client-kms, one KMSClient per key region (a key's ARN names its
 * region, whatever the AWS configuration says) with the project's retry config. The SDK package
 * is imported on the first call, so a policy without KMS keys never loads it (cold start). Each
 * key's public key is fetched once per process; a failed fetch is not remembered.
 */
export function sdkKmsPublicKeySource(): SdkKmsPublicKeySource {
  let sdk: Promise<KmsModule> | undefined;
  const clients = new Map<string, InstanceType<KmsModule["KMSClient"]>>();
  const source = cachedKmsPublicKeySource({
    async getPublicKey(arn) {
      sdk ??= import("@aws-sdk/client-kms").catch((err: unknown) => {
        sdk = undefined;
        throw err;
      });
      const { GetPublicKeyCommand, KMSClient } = await sdk;
      const region = arn.split(":")[3] as string;
      let client = clients.get(region);
      if (!client) {
        client = new KMSClient(awsClientConfig({ region }));
        clients.set(region, client);
      }
      const kms = client;
      return new KmsPublicKeys((input) => kms.send(new GetPublicKeyCommand(input))).getPublicKey(
        arn,
      );
    },
  });
  return {
    getPublicKey: (arn) => source.getPublicKey(arn),
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

/**
 * The pipeline's KMS source when the policy trusts a key by kmsArn, else undefined: a policy
 * without KMS keys builds no client and loads no SDK package.
 */
export function policyKmsPublicKeySource(policy: LoadedPolicy): SdkKmsPublicKeySource | undefined {
  return policyKmsKeyArns(policy).length > 0 ? sdkKmsPublicKeySource() : undefined;
}
