import { OverlayAuditLog } from "../adapters/memory/overlay-audit-log.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import type { Alert, Alerts, Registry } from "../ports.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import { type SignatureReader, signatureReaderOf } from "./signature-reader.ts";
import { type SignedScanReader, signedScanReaderOf } from "./signed-scan-reader.ts";

/** What a dry run would have done, in order. */
export type PlannedEffect =
  | { effect: "quarantine" | "release"; image: ImageRef }
  | { effect: "alert"; alert: Alert };

/**
 * Wraps real dependencies so the real pipeline runs but changes nothing: registry reads pass
 * through, quarantine/release and alerts are captured as a plan, audit records go to memory on
 * top of the real trail (read, never written). The dry run therefore makes exactly the
 * decisions the real run would, including "nothing to do" for an event already handled.
 * Planned quarantines and releases are remembered, so later steps of the same dry run see the
 * image as the real run would have left it.
 */
export function dryRunDeps(deps: PipelineDeps): {
  deps: PipelineDeps;
  planned: PlannedEffect[];
  audit: OverlayAuditLog;
} {
  const planned: PlannedEffect[] = [];
  const real = deps.registry;
  /** imageKey → quarantined, as the planned effects leave it. */
  const plannedState = new Map<string, boolean>();
  const quarantinedNow = async (ref: ImageRef): Promise<boolean> =>
    plannedState.get(imageKey(ref)) ?? (await real.resolveImage(ref))?.quarantined ?? false;

  // Signature reads pass through like every other read, so a dry run verifies as the real run.
  const reader = signatureReaderOf(real);
  const scans = signedScanReaderOf(real);
  const registry: Registry & Partial<SignatureReader & SignedScanReader> = {
    ...(reader ? { readSignatures: (ref: ImageRef) => reader.readSignatures(ref) } : {}),
    ...(scans
      ? { getSignedScanResult: (ref: ImageRef, check) => scans.getSignedScanResult(ref, check) }
      : {}),
    kind: real.kind,
    resolveImage: async (ref) => {
      const resolved = await real.resolveImage(ref);
      const state = plannedState.get(imageKey(ref));
      return resolved && state !== undefined ? { ...resolved, quarantined: state } : resolved;
    },
    getScanResult: (ref) => real.getScanResult(ref),
    quarantine: async (image) => {
      const alreadyQuarantined = await quarantinedNow(image);
      planned.push({ effect: "quarantine", image });
      plannedState.set(imageKey(image), true);
      return { alreadyQuarantined };
    },
    release: async (image) => {
      const wasQuarantined = await quarantinedNow(image);
      planned.push({ effect: "release", image });
      plannedState.set(imageKey(image), false);
      return { wasQuarantined };
    },
  };
  const alerts: Alerts = {
    publish: async (alert) => {
      planned.push({ effect: "alert", alert });
      return {};
    },
  };
  const audit = new OverlayAuditLog(deps.audit, { clock: deps.clock });
  return { deps: { ...deps, registry, alerts, audit }, planned, audit };
}
