import { HarborScanClient } from "../../shared/adapters/harbor/harbor-scan-client.ts";
import { OciRegistry, type OciRegistryOptions } from "../../shared/adapters/oci/oci-registry.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Log } from "../../shared/ports.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  type ReceiverConfig,
  validateReceiverConfig,
} from "../../shared/receiver/receiver-config.ts";

import { awsCoreDeps, requiredEnv as required } from "./aws-core-deps.ts";

export interface OciPipelineDeps extends PipelineDeps {
  registry: OciRegistry;
}

/** REGISTRY_USERNAME and REGISTRY_PASSWORD together, or neither (an anonymous registry). */
function credentials(env: NodeJS.ProcessEnv) {
  const username = env.REGISTRY_USERNAME;
  const password = env.REGISTRY_PASSWORD;
  if (!username && !password) return undefined;
  if (!username || !password) {
    throw new Error(
      "REGISTRY_USERNAME and REGISTRY_PASSWORD must be set together (or both left empty for an anonymous registry)",
    );
  }
  return { username, password };
}

/**
 * The pipeline's adapters for an OCI registry behind the webhook receiver: the registry from
 * REGISTRY_URL (credentials REGISTRY_USERNAME / REGISTRY_PASSWORD, quarantine repository
 * template REGISTRY_QUARANTINE_REPOSITORY), the audit trail and alerts as on the ECR path.
 * Built once per container, at module load.
 */
export function ociPipelineDeps(env: NodeJS.ProcessEnv, log: Log): OciPipelineDeps {
  const creds = credentials(env);
  const quarantineRepository = env.REGISTRY_QUARANTINE_REPOSITORY;
  const url = required(env, "REGISTRY_URL");
  return {
    ...awsCoreDeps(env, log),
    registry: new OciRegistry({
      url,
      ...(creds ? { credentials: creds } : {}),
      ...(quarantineRepository ? { quarantineRepository } : {}),
      ...scanSource(env.REGISTRY_SCAN_SOURCE, url, creds),
      log,
    }),
  };
}

/**
 * REGISTRY_SCAN_SOURCE: `attached` (default) reads scan reports attached to the image as OCI
 * artifacts; `harbor` reads Harbor's own scan through its API with the same robot account.
 */
function scanSource(
  source: string | undefined,
  url: string,
  creds: { username: string; password: string } | undefined,
): Pick<OciRegistryOptions, "scanSource"> {
  if (!source || source === "attached") return {};
  if (source !== "harbor") {
    throw new Error(`REGISTRY_SCAN_SOURCE=${source}: expected attached or harbor`);
  }
  const harbor = new HarborScanClient({ baseUrl: url, ...(creds ? { auth: creds } : {}) });
  return { scanSource: (ref) => harbor.getImageScanResult(ref) };
}

/**
 * The receiver's settings: the shared secret from WEBHOOK_SECRET, the registry named by the
 * adapter (its host is every event's registryId), its quarantine repositories ignored.
 */
export function webhookReceiverConfig(
  env: NodeJS.ProcessEnv,
  registry: OciRegistry,
): ReceiverConfig {
  const cfg: ReceiverConfig = {
    secret: required(env, "WEBHOOK_SECRET"),
    registryHost: registry.registryId,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    ignoreRepository: (repository) => registry.quarantineRepositories.isQuarantine(repository),
  };
  validateReceiverConfig(cfg);
  return cfg;
}
