import type { KmsPublicKeySource } from "../shared/signatures/kms-public-key-source.ts";
import type { TrustedKey } from "../shared/signatures/trusted-key.ts";
import { CliUsageError } from "./cli-error.ts";
import type { KmsKeyRef } from "./verify-trust.ts";

/**
 * The public keys of the KMS keys to trust, fetched once each with kms:GetPublicKey (signatures
 * are then verified locally). The KMS client loads only when a KMS key is given. A key KMS says
 * is unusable (no such key, disabled, not a signing key) is bad input, exit 2; a call that failed
 * (access denied, throttled, unreachable) is exit 3 and says which permission to grant.
 */
export async function kmsTrustedKeys(refs: readonly KmsKeyRef[]): Promise<TrustedKey[]> {
  if (refs.length === 0) return [];
  const [{ GetPublicKeyCommand, KMSClient }, { KmsKeyError, KmsPublicKeys }, kmsKeys, retry] =
    await Promise.all([
      import("@aws-sdk/client-kms"),
      import("../shared/adapters/kms/kms-public-key.ts"),
      import("../shared/signatures/kms-public-key-source.ts"),
      import("../shared/adapters/retry-config.ts"),
    ]);
  // A key's ARN names its region: one client per region, whatever the AWS configuration says.
  const clients = new Map<string, InstanceType<typeof KMSClient>>();
  const source: KmsPublicKeySource = kmsKeys.cachedKmsPublicKeySource({
    getPublicKey(arn) {
      const region = arn.split(":")[3] as string;
      let client = clients.get(region);
      if (!client) {
        client = new KMSClient(retry.awsClientConfig({ region }));
        clients.set(region, client);
      }
      const kms = client;
      return new KmsPublicKeys((input) => kms.send(new GetPublicKeyCommand(input))).getPublicKey(
        arn,
      );
    },
  });
  try {
    const keys: TrustedKey[] = [];
    for (const ref of refs) {
      try {
        keys.push(await kmsKeys.loadKmsPublicKey(source, ref.arn, { name: ref.name }));
      } catch (err) {
        if (err instanceof KmsKeyError && err.code === "KMS_KEY_UNUSABLE") {
          throw new CliUsageError("CLI_KMS_KEY", `${ref.where}: ${err.message}`);
        }
        if (err instanceof Error && err.name === "PublicKeyError") {
          throw new CliUsageError("CLI_KMS_KEY", `${ref.where}: ${err.message}`);
        }
        throw err;
      }
    }
    return keys;
  } finally {
    for (const client of clients.values()) client.destroy();
  }
}
