import type { RegistryKind } from "../domain/image.ts";
import type { RepositoryInventory } from "../domain/retention-inventory.ts";

/** One planned deletion's outcome, as the registry answered it. */
export interface DeletionResult {
  digest: string;
  /** already-gone: the registry no longer has it (a resumed run, or someone else deleted it). */
  outcome: "deleted" | "already-gone" | "failed";
  /** The registry's failure code (ECR failureCode, OCI error code or HTTP status). */
  code?: string;
  message?: string;
}

/**
 * What retention and GC need from a registry: list, inventory, delete by digest. ECR and OCI
 * adapters implement it; a memory one serves tests and benchmarks.
 */
export interface RetentionRegistry {
  readonly kind: RegistryKind;
  /** ECR account id or OCI registry host (RepositoryInventory.registryId). */
  readonly registryId: string;
  /** Every repository name, sorted ascending (code unit order), each once; all pages read. */
  listRepositories(): Promise<string[]>;
  /** Every manifest of the repository, all pages read, with what the registry knows of each. */
  inventory(repository: string): Promise<RepositoryInventory>;
  /**
   * Deletes exactly these manifests, by digest, in the order given (callers order parents
   * before children). One result per digest, same order. Retries throttling with backoff; a
   * digest that keeps failing is reported, not thrown. Throws only when nothing can be done
   * (credentials, unreachable registry), naming what to fix.
   */
  deleteManifests(
    repository: string,
    digests: readonly string[],
    onDeleted?: (result: DeletionResult) => void,
  ): Promise<DeletionResult[]>;
}

/** Digests running workloads use (e.g. ECS tasks); those are never deleted. */
export interface InUseProvider {
  /** Names the source in plan details: "ecs". */
  readonly name: string;
  digestsInUse(): Promise<ReadonlySet<string>>;
}
