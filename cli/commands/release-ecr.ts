import { ECRClient } from "@aws-sdk/client-ecr";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import { callerIdentity } from "../caller-identity.ts";
import { CliUsageError } from "../cli-error.ts";
import type { ImageTarget } from "../image-reference.ts";
import type { ReleaseTarget } from "./release-target.ts";

/**
 * An ECR image: the region from the reference or the SDK's configuration, and the registry id
 * and principal from the flags or, when missing, the caller's AWS identity (STS).
 */
export async function ecrReleaseTarget(
  target: ImageTarget,
  principalFlag: string | undefined,
): Promise<ReleaseTarget> {
  const client = new ECRClient(awsClientConfig(target.region ? { region: target.region } : {}));
  try {
    const region = target.region ?? (await configuredRegion(client));
    const identity =
      target.registryId !== undefined && principalFlag !== undefined
        ? undefined
        : await callerIdentity(region);
    const principal = principalFlag ?? identity?.arn;
    const registryId = target.registryId ?? identity?.account;
    if (principal === undefined || registryId === undefined) {
      throw new Error("internal: neither the flags nor STS gave a principal and a registry id");
    }
    return {
      image: {
        registry: "ecr",
        registryId,
        region,
        repository: target.repository,
        digest: target.digest,
        tags: [],
      },
      registry: new EcrRegistry(client),
      principal,
      releasedNote:
        "ECR is restoring it from the archive storage class; it can be pulled again once its status is ACTIVE (up to 20 minutes).",
      close: () => client.destroy(),
    };
  } catch (err) {
    client.destroy();
    throw err;
  }
}

/** The region the SDK would use (AWS_REGION, the profile …), required to reach ECR at all. */
async function configuredRegion(client: ECRClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new CliUsageError(
      "CLI_REGION",
      "no AWS region: pass --region (the registry's region) or set AWS_REGION",
    );
  }
}
