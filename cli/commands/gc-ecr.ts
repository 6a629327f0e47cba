import { EcrRetentionRegistry } from "../../shared/adapters/ecr/ecr-retention-registry.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import type { Log } from "../../shared/ports.ts";
import { callerIdentity } from "../caller-identity.ts";
import { cliEcrClient } from "../ecr-client.ts";
import type { GcTarget } from "./gc-target.ts";

/**
 * Amazon ECR: the region from --region or the SDK's configuration, the registry id from
 * --registry-id or the caller's account (STS). The ECS in-use provider only when the policy
 * protects digests in use; it reads the same region's clusters.
 */
export async function ecrGcTarget(opts: {
  registryId?: string;
  region?: string;
  inUse: boolean;
  ecsClusters: string[];
  concurrency?: number;
  log: Log;
}): Promise<GcTarget> {
  const { client, region } = await cliEcrClient(opts.region);
  const closers = [() => client.destroy()];
  const close = () => {
    for (const c of closers) c();
  };
  try {
    const registryId = opts.registryId ?? (await callerIdentity(region)).account;
    const registry = new EcrRetentionRegistry({
      client,
      registryId,
      region,
      log: opts.log,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    });
    let inUse: GcTarget["inUse"];
    if (opts.inUse) {
      const [{ ECSClient }, { EcsInUseProvider }] = await Promise.all([
        import("@aws-sdk/client-ecs"),
        import("../../shared/adapters/ecs/ecs-in-use.ts"),
      ]);
      const ecs = new ECSClient(awsClientConfig({ region }));
      closers.push(() => ecs.destroy());
      inUse = new EcsInUseProvider({
        client: ecs,
        ...(opts.ecsClusters.length ? { clusters: opts.ecsClusters } : {}),
      });
    }
    return { registry, kind: "ecr", registryId, region, ...(inUse ? { inUse } : {}), close };
  } catch (err) {
    close();
    throw err;
  }
}
