import type { RegistryKind } from "../../shared/domain/image.ts";
import type { InUseProvider, RetentionRegistry } from "../../shared/retention/retention-ports.ts";

/** The registry a gc run works on, as resolved from the flags (and, on ECR, the AWS identity). */
export interface GcTarget {
  registry: RetentionRegistry;
  kind: RegistryKind;
  /** ECR account id or OCI host[:port]: what a plan's repositories must name. */
  registryId: string;
  /** ECR only. */
  region?: string;
  /** Who runs workloads, when the policy protects digests in use. */
  inUse?: InUseProvider;
  /** Frees the clients' sockets. */
  close(): void;
}

/** `ecr:123456789012 (us-east-1)` or `oci:127.0.0.1:5000`, for messages. */
export function targetName(t: { kind: RegistryKind; registryId: string; region?: string }): string {
  return `${t.kind}:${t.registryId}${t.region ? ` (${t.region})` : ""}`;
}
