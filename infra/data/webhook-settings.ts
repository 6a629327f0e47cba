import { QuarantineRepositories } from "../../shared/adapters/oci/oci-quarantine-repository.ts";
import { isRegistryHost } from "../../shared/events/distribution-fields.ts";

/**
 * Deploy-time settings of the webhook receiver, read from the environment (or .env). The
 * receiver exists on a stage only when REGISTRY_GUARD_OCI_REGISTRY_URL is set.
 */
export const WEBHOOK_SETTING_NAMES = {
  registryUrl: "REGISTRY_GUARD_OCI_REGISTRY_URL",
  quarantineRepository: "REGISTRY_GUARD_OCI_QUARANTINE_REPOSITORY",
  reservedConcurrency: "REGISTRY_GUARD_WEBHOOK_RESERVED_CONCURRENCY",
  scanSource: "REGISTRY_GUARD_OCI_SCAN_SOURCE",
} as const;

/** Where findings come from: scan reports attached to images, or Harbor's own scans. */
export const SCAN_SOURCES = ["attached", "harbor"] as const;
export type ScanSource = (typeof SCAN_SOURCES)[number];

/** Concurrent invocations the receiver may use: registries deliver one request at a time or few. */
export const DEFAULT_WEBHOOK_RESERVED_CONCURRENCY = 5;
const MAX_RESERVED_CONCURRENCY = 100;

export interface WebhookSettings {
  /** https://host[:port], the registry's origin. */
  registryUrl: string;
  /** host[:port]: the registryId of the images its events name. */
  registryHost: string;
  /** The quarantine repository template, when not the adapter's default. */
  quarantineRepository?: string;
  reservedConcurrency: number;
  scanSource: ScanSource;
}

export class WebhookSettingsError extends Error {
  override readonly name = "WebhookSettingsError";
  readonly code = "WEBHOOK_SETTINGS";
}

/** Null when the stage has no receiver; else checked settings (a mistake fails the deploy). */
export function parseWebhookSettings(
  env: Readonly<Record<string, string | undefined>>,
): WebhookSettings | null {
  const raw = env[WEBHOOK_SETTING_NAMES.registryUrl]?.trim();
  if (!raw) return null;
  const name = WEBHOOK_SETTING_NAMES.registryUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookSettingsError(
      `${name} does not parse as a URL; write it as https://host[:port]`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new WebhookSettingsError(
      `${name} must not hold credentials; set them with sst secret set RegistryUsername / RegistryPassword`,
    );
  }
  if (url.protocol !== "https:") {
    throw new WebhookSettingsError(
      `${name} must be https://: the function sends the registry password and trusts the manifests it reads over the internet`,
    );
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || !isRegistryHost(url.host)) {
    throw new WebhookSettingsError(
      `${name} must be the registry's base URL, https://host[:port], without a path`,
    );
  }
  const settings: WebhookSettings = {
    registryUrl: url.origin,
    registryHost: url.host,
    reservedConcurrency: parseReservedConcurrency(env[WEBHOOK_SETTING_NAMES.reservedConcurrency]),
    scanSource: parseScanSource(env[WEBHOOK_SETTING_NAMES.scanSource]),
  };
  const template = env[WEBHOOK_SETTING_NAMES.quarantineRepository]?.trim();
  if (template) {
    try {
      new QuarantineRepositories(template, url.host);
    } catch (err) {
      throw new WebhookSettingsError(
        `${WEBHOOK_SETTING_NAMES.quarantineRepository}: ${(err as Error).message}`,
      );
    }
    settings.quarantineRepository = template;
  }
  return settings;
}

function parseReservedConcurrency(value: string | undefined): number {
  const v = value?.trim();
  if (!v) return DEFAULT_WEBHOOK_RESERVED_CONCURRENCY;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_RESERVED_CONCURRENCY) {
    throw new WebhookSettingsError(
      `${WEBHOOK_SETTING_NAMES.reservedConcurrency} must be a whole number from 1 to ${MAX_RESERVED_CONCURRENCY} (0 would disable the function)`,
    );
  }
  return n;
}

export function parseScanSource(raw: string | undefined): ScanSource {
  const value = raw?.trim() || "attached";
  if (!(SCAN_SOURCES as readonly string[]).includes(value)) {
    throw new WebhookSettingsError(
      `${WEBHOOK_SETTING_NAMES.scanSource}=${value}: expected one of ${SCAN_SOURCES.join(", ")}`,
    );
  }
  return value as ScanSource;
}
