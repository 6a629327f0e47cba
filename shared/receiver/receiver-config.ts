import { isRegistryHost } from "../events/distribution-fields.ts";

/** How one receiver is set up: one shared secret and one registry per receiver. */
export interface ReceiverConfig {
  /** The shared secret senders put in `Authorization`. Never logged, never returned. */
  secret: string;
  /** host[:port] of the registry that sends: the registryId of every event's image. */
  registryHost: string;
  /** Bodies over this many bytes are refused (413). */
  maxBodyBytes: number;
  /** Repositories whose events are counted as ignored (registry-guard's quarantine repositories). */
  ignoreRepository?: (repository: string) => boolean;
}

/** 1 MiB: a distribution envelope or a Harbor payload is a few KiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** A secret an attacker cannot guess by trying: e.g. `openssl rand -base64 32`. */
export const MIN_SECRET_LENGTH = 16;
const MAX_BODY_CAP = 64 * 1024 * 1024;

export class ReceiverConfigError extends Error {
  override readonly name = "ReceiverConfigError";
  readonly code = "RECEIVER_CONFIG";
}

/** Refuses a configuration the receiver must not run with; messages never quote the secret. */
export function validateReceiverConfig(cfg: ReceiverConfig): void {
  if (typeof cfg.secret !== "string" || cfg.secret.length < MIN_SECRET_LENGTH) {
    throw new ReceiverConfigError(
      `the webhook secret must be at least ${MIN_SECRET_LENGTH} characters (generate one, e.g. openssl rand -base64 32)`,
    );
  }
  if (cfg.secret !== cfg.secret.trim() || /[\r\n]/.test(cfg.secret)) {
    throw new ReceiverConfigError(
      "the webhook secret must not start or end with whitespace or hold a line break: an HTTP header cannot carry it intact",
    );
  }
  if (typeof cfg.registryHost !== "string" || !isRegistryHost(cfg.registryHost)) {
    throw new ReceiverConfigError(
      `registryHost ${JSON.stringify(cfg.registryHost)} is not a registry host[:port] (e.g. registry.example.com:5000)`,
    );
  }
  if (
    !Number.isInteger(cfg.maxBodyBytes) ||
    cfg.maxBodyBytes < 1 ||
    cfg.maxBodyBytes > MAX_BODY_CAP
  ) {
    throw new ReceiverConfigError(
      `maxBodyBytes must be an integer between 1 and ${MAX_BODY_CAP}; got ${String(cfg.maxBodyBytes)}`,
    );
  }
}
