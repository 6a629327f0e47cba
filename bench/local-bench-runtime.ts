// The local runtime as the benchmarks run it: the same code as `npm start`, on free loopback
// ports, its data in a temp dir removed afterwards, logs kept quiet (warnings counted).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from "../local/runtime.ts";
import { loadPolicy } from "../shared/domain/policy-load.ts";

/** prod/** quarantines at HIGH; every image needs a scan within 30 minutes. */
const POLICY = `version: 1
defaults:
  gate: { blockAt: HIGH, requireScan: true, scanTimeout: 30m, onFail: alert }
repositories:
  - match: "prod/**"
    gate: { onFail: quarantine }
`;

export async function withLocalRuntime<T>(
  overrides: Partial<LocalRuntimeOptions>,
  fn: (rt: LocalRuntime, warnings: () => number) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), "registry-guard-bench-"));
  let warnings = 0;
  const quiet = new PassThrough();
  quiet.resume();
  const rt = await startLocalRuntime({
    dataDir,
    registryPort: 0,
    receiverPort: 0,
    dynamodbPort: 0,
    policy: loadPolicy(POLICY, "bench.yaml"),
    alertsOut: quiet,
    log: {
      debug() {},
      info() {},
      warn: () => void warnings++,
      error: () => void warnings++,
    },
    sweepIntervalMs: 0,
    ...overrides,
  });
  try {
    return await fn(rt, () => warnings);
  } finally {
    await rt.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
