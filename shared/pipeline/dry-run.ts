import { MemoryAuditLog } from "../adapters/memory/memory-audit-log.ts";
import type { ImageRef } from "../domain/image.ts";
import type { Alert, Alerts, Registry } from "../ports.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";

/** What a dry run would have done, in order. */
export type PlannedEffect =
  | { effect: "quarantine" | "release"; image: ImageRef }
  | { effect: "alert"; alert: Alert };

/**
 * Wraps real dependencies so the real pipeline runs but changes nothing: registry reads pass
 * through, quarantine/release and alerts are captured as a plan, audit records go to memory.
 * The dry run therefore makes exactly the decisions the real run would.
 */
export function dryRunDeps(deps: PipelineDeps): {
  deps: PipelineDeps;
  planned: PlannedEffect[];
  audit: MemoryAuditLog;
} {
  const planned: PlannedEffect[] = [];
  const real = deps.registry;
  const registry: Registry = {
    kind: real.kind,
    resolveImage: (ref) => real.resolveImage(ref),
    getScanResult: (ref) => real.getScanResult(ref),
    quarantine: async (image) => {
      planned.push({ effect: "quarantine", image });
      return { alreadyQuarantined: false };
    },
    release: async (image) => {
      planned.push({ effect: "release", image });
      return { wasQuarantined: true };
    },
  };
  const alerts: Alerts = {
    publish: async (alert) => {
      planned.push({ effect: "alert", alert });
      return {};
    },
  };
  const audit = new MemoryAuditLog({ clock: deps.clock });
  return { deps: { ...deps, registry, alerts, audit }, planned, audit };
}
