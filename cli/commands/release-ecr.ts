import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { callerIdentity } from "../caller-identity.ts";
import { cliEcrClient } from "../ecr-client.ts";
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
  const { client, region } = await cliEcrClient(target.region);
  try {
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
