import type { RegistryKind } from "../../domain/image.ts";
import type { Artifact, RepositoryInventory } from "../../domain/retention-inventory.ts";
import type { DeletionResult, RetentionRegistry } from "../../retention/retention-ports.ts";

/** A fault injected by a test: the memory registry stops answering, as a crashed run would. */
export class MemoryRegistryCrash extends Error {
  readonly code = "MEMORY_REGISTRY_CRASH";
  constructor(after: number) {
    super(`memory registry: simulated crash after ${after} deletion(s)`);
    this.name = "MemoryRegistryCrash";
  }
}

/** Asked for a repository it does not hold (ECR says RepositoryNotFoundException). */
export class MemoryRepositoryNotFound extends Error {
  readonly code = "REPOSITORY_NOT_FOUND";
  constructor(repository: string) {
    super(`memory registry: no repository ${repository}`);
    this.name = "MemoryRepositoryNotFound";
  }
}

function copyArtifact(a: Artifact): Artifact {
  return {
    ...a,
    tags: [...a.tags],
    ...(a.children ? { children: [...a.children] } : {}),
  };
}

function copyInventory(inv: RepositoryInventory): RepositoryInventory {
  return { ...inv, artifacts: inv.artifacts.map(copyArtifact) };
}

/**
 * A registry held in memory for retention tests and benchmarks: inventories in, deletions
 * recorded. Deleting removes the manifest (an index that listed it keeps listing it, as real
 * registries do); a missing digest is reported already-gone. Faults: a digest can be made to
 * fail with a code, and the registry can "crash" after N deletions (every later deletion then
 * throws until `crashAfter(undefined)`).
 */
export class MemoryRetentionRegistry implements RetentionRegistry {
  readonly kind: RegistryKind;
  readonly registryId: string;
  /** Every deleteManifests call, as asked (digests in the order given). */
  readonly deleteCalls: { repository: string; digests: string[] }[] = [];
  /** Every manifest actually removed, in order. */
  readonly deletions: { repository: string; digest: string }[] = [];
  /** Every inventory call, by repository. */
  readonly inventoryCalls: string[] = [];
  private readonly repos = new Map<string, RepositoryInventory>();
  private readonly failures = new Map<string, { code: string; message?: string }>();
  private crashAt: number | undefined;

  constructor(kind: RegistryKind, registryId: string, inventories: RepositoryInventory[]) {
    this.kind = kind;
    this.registryId = registryId;
    for (const inv of inventories) this.put(inv);
  }

  /** Adds or replaces a repository. */
  put(inv: RepositoryInventory): void {
    this.repos.set(inv.repository, copyInventory(inv));
  }

  /** Changes a manifest's tags, as a push of a tag (or its removal) would. */
  retag(repository: string, digest: string, tags: string[]): void {
    const a = this.repo(repository).artifacts.find((x) => x.digest === digest);
    if (!a) throw new Error(`memory registry: no ${repository}@${digest} to retag`);
    a.tags = [...tags];
  }

  /** Adds a manifest to a repository (a push after the plan). */
  push(repository: string, artifact: Artifact): void {
    const inv = this.repo(repository);
    inv.artifacts = inv.artifacts.filter((a) => a.digest !== artifact.digest);
    inv.artifacts.push(copyArtifact(artifact));
  }

  /** Deleting this digest (in any repository) fails with `code`. */
  failOn(digest: string, code: string, message?: string): void {
    this.failures.set(digest, { code, ...(message !== undefined ? { message } : {}) });
  }

  /** Once `n` manifests have been deleted in total, every further deletion throws. */
  crashAfter(n: number | undefined): void {
    this.crashAt = n;
  }

  has(repository: string, digest: string): boolean {
    return this.repos.get(repository)?.artifacts.some((a) => a.digest === digest) ?? false;
  }

  /** The registry's contents now, repositories sorted, each a copy. */
  snapshot(): RepositoryInventory[] {
    return [...this.repos.keys()].sort(compare).map((r) => copyInventory(this.repo(r)));
  }

  async listRepositories(): Promise<string[]> {
    return [...this.repos.keys()].sort(compare);
  }

  async inventory(repository: string): Promise<RepositoryInventory> {
    this.inventoryCalls.push(repository);
    return copyInventory(this.repo(repository));
  }

  async deleteManifests(
    repository: string,
    digests: readonly string[],
    onDeleted?: (result: DeletionResult) => void,
  ): Promise<DeletionResult[]> {
    this.deleteCalls.push({ repository, digests: [...digests] });
    const inv = this.repo(repository);
    const results: DeletionResult[] = [];
    for (const digest of digests) {
      if (this.crashAt !== undefined && this.deletions.length >= this.crashAt) {
        throw new MemoryRegistryCrash(this.crashAt);
      }
      const fault = this.failures.get(digest);
      const at = inv.artifacts.findIndex((a) => a.digest === digest);
      let result: DeletionResult;
      if (fault) result = { digest, outcome: "failed", ...fault };
      else if (at < 0) result = { digest, outcome: "already-gone" };
      else {
        inv.artifacts.splice(at, 1);
        this.deletions.push({ repository, digest });
        result = { digest, outcome: "deleted" };
      }
      results.push(result);
      onDeleted?.(result);
    }
    return results;
  }

  private repo(repository: string): RepositoryInventory {
    const inv = this.repos.get(repository);
    if (!inv) throw new MemoryRepositoryNotFound(repository);
    return inv;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
