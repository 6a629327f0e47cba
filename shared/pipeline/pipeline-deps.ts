import type { LoadedPolicy } from "../domain/policy-load.ts";
import type { Alerts, AuditLog, Clock, Log, Registry } from "../ports.ts";
import type { InFlightOptions } from "./in-flight.ts";

/** Everything a use case needs, plugged in by the entry point (Lambda, CLI, local runtime). */
export interface PipelineDeps {
  registry: Registry;
  audit: AuditLog;
  alerts: Alerts;
  policy: LoadedPolicy;
  clock: Clock;
  log: Log;
  /** How overlapping deliveries of one event share its decision (defaults in in-flight.ts). */
  inFlight?: Partial<InFlightOptions>;
}
