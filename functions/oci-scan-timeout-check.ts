import { observability } from "./runtime/observability.ts";
import { ociPipelineDeps } from "./runtime/oci-pipeline-deps.ts";
import { runScanTimeoutSweep } from "./runtime/scan-timeout-run.ts";

const { logger, metrics, wrap } = observability("oci-scan-timeout-check");
const deps = ociPipelineDeps(process.env, logger);
const { registry } = deps;

/**
 * Runs on a schedule next to the webhook receiver: images the receiver recorded for its OCI
 * registry and nobody scanned within the policy's timeout are decided (and fail on requireScan).
 */
export const handler = wrap(async (_event: unknown) =>
  runScanTimeoutSweep(
    deps,
    { logger, metrics },
    { owns: (ref) => ref.registry === "oci" && ref.registryId === registry.registryId },
  ),
);
