import type { RegistryKind } from "../../domain/image.ts";
import type { RepositoryInventory } from "../../domain/retention-inventory.ts";
import type { Log } from "../../ports.ts";
import type { DeletionResult, RetentionRegistry } from "../../retention/retention-ports.ts";
import { listRepositories } from "./oci-catalog.ts";
import { deleteManifests } from "./oci-delete-manifests.ts";
import { readInventory } from "./oci-inventory.ts";
import type { OciRegistry } from "./oci-registry.ts";

export interface OciRetentionOptions {
  log?: Log;
  /** Registry requests in flight at once while reading one repository. Default 8. */
  concurrency?: number;
  /**
   * The recorded push time of a manifest (e.g. the audit trail's). Unset, or undefined for a
   * digest: the image config's `created` (a build time), else no push time (age rules keep it).
   */
  pushedAt?: (repository: string, digest: string) => Promise<string | undefined>;
}

const DEFAULT_CONCURRENCY = 8;

/**
 * Retention on any OCI distribution registry, through the same client, credentials and retry
 * policy as the OciRegistry adapter. The registry records no pull times (pullTimesKnown false)
 * and no push times (see OciRetentionOptions.pushedAt). Quarantine repositories are listed too:
 * everything in them is quarantined.
 */
export class OciRetentionRegistry implements RetentionRegistry {
  readonly kind: RegistryKind = "oci";
  private readonly registry: OciRegistry;
  private readonly log: Log | undefined;
  private readonly concurrency: number;
  private readonly pushedAt: OciRetentionOptions["pushedAt"];

  constructor(registry: OciRegistry, opts: OciRetentionOptions = {}) {
    this.registry = registry;
    this.log = opts.log;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
    this.pushedAt = opts.pushedAt;
  }

  get registryId(): string {
    return this.registry.registryId;
  }

  /** The catalog, every page, sorted in code unit order. */
  async listRepositories(): Promise<string[]> {
    const names = await listRepositories(this.registry.client);
    return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async inventory(repository: string): Promise<RepositoryInventory> {
    const artifacts = await readInventory(this.registry.client, repository, {
      concurrency: this.concurrency,
      quarantined: this.registry.quarantineRepositories.isQuarantine(repository),
      ...(this.pushedAt ? { pushedAt: this.pushedAt } : {}),
      ...(this.log ? { log: this.log } : {}),
    });
    return {
      registry: "oci",
      registryId: this.registryId,
      repository,
      artifacts,
      manifestsKnown: true,
      // The distribution API records no pulls.
      pullTimesKnown: false,
    };
  }

  /** Sequential, in the order given: see deleteManifests in oci-delete-manifests.ts. */
  deleteManifests(
    repository: string,
    digests: readonly string[],
    onDeleted?: (result: DeletionResult) => void,
  ): Promise<DeletionResult[]> {
    return deleteManifests(this.registry.client, repository, digests, onDeleted, this.log);
  }
}
