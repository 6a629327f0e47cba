import type { LoadedPolicy } from "../domain/policy-load.ts";
import type { Alerts, AuditLog, Clock, Log, Registry } from "../ports.ts";

/** Everything a use case needs, plugged in by the entry point (Lambda, CLI, local runtime). */
export interface PipelineDeps {
  registry: Registry;
  audit: AuditLog;
  alerts: Alerts;
  policy: LoadedPolicy;
  clock: Clock;
  log: Log;
}
