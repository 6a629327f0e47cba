import { OciRetentionRegistry } from "../../shared/adapters/oci/oci-retention-registry.ts";
import { recordedPushTime } from "../../shared/pipeline/recorded-push-time.ts";
import type { AuditLog, Log } from "../../shared/ports.ts";
import { ociRegistry } from "../oci-targets.ts";
import type { OciSettings } from "../registry-settings.ts";
import type { GcTarget } from "./gc-target.ts";

/**
 * An OCI registry. It has no push-time API: with an audit trail, an image's push time is the
 * one its push notification recorded (as the scan-timeout sweep reads it); the adapter falls
 * back to the image config's build time. Creating it sends nothing.
 */
export function ociGcTarget(
  settings: OciSettings,
  opts: { log: Log; concurrency?: number; audit?: AuditLog },
): GcTarget {
  const oci = ociRegistry(settings, opts.log);
  const audit = opts.audit;
  const registry = new OciRetentionRegistry(oci, {
    log: opts.log,
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(audit
      ? {
          pushedAt: (repository: string, digest: string) =>
            recordedPushTime(audit, {
              registry: "oci",
              registryId: settings.host,
              repository,
              digest,
              tags: [],
            }),
        }
      : {}),
  });
  return { registry, kind: "oci", registryId: settings.host, close: () => oci.close() };
}
