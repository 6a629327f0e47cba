import { OciRegistry } from "../shared/adapters/oci/oci-registry.ts";
import type { Log } from "../shared/ports.ts";
import type { OciSettings } from "./registry-settings.ts";

/** The OCI registry of checked settings (registry-settings.ts). Creating it sends nothing. */
export function ociRegistry(settings: OciSettings, log: Log): OciRegistry {
  return new OciRegistry({
    url: settings.url,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(settings.quarantineRepository
      ? { quarantineRepository: settings.quarantineRepository }
      : {}),
    log,
  });
}
