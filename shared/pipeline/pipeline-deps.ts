import type { LoadedPolicy } from "../domain/policy-load.ts";
import type { Alerts, AuditLog, Clock, Log, Registry } from "../ports.ts";
import type { KmsPublicKeySource } from "../signatures/kms-public-key-source.ts";
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
  /**
   * Public keys of the AWS KMS keys the policy trusts by kmsArn (kms:GetPublicKey). Needed only
   * when it names one; without it such a key fails the event with SIGNATURE_KMS_UNAVAILABLE.
   */
  kms?: KmsPublicKeySource;
}
