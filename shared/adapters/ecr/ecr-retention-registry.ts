import type { ECRClient } from "@aws-sdk/client-ecr";
import type { RegistryKind } from "../../domain/image.ts";
import type { RepositoryInventory } from "../../domain/retention-inventory.ts";
import type { Log } from "../../ports.ts";
import type { DeletionResult, RetentionRegistry } from "../../retention/retention-ports.ts";
import type { HttpRetryOptions } from "../http-retry.ts";
import { deleteEcrManifests } from "./ecr-batch-delete.ts";
import { readEcrInventory } from "./ecr-inventory.ts";
import { listEcrRepositories } from "./ecr-list-repositories.ts";

export interface EcrRetentionRegistryOptions {
  /** Built with ecrClientConfig(): the SDK retries throttled calls before this adapter does. */
  client: ECRClient;
  registryId: string;
  region: string;
  log?: Log;
  /** BatchGetImage calls in flight while one repository is inventoried (default 4). */
  concurrency?: number;
  /** Backoff of whole-batch delete retries (defaults in ecr-batch-delete.ts); tests fake `sleep`. */
  retry?: HttpRetryOptions;
}

/**
 * Amazon ECR behind the RetentionRegistry port: DescribeRepositories to list, DescribeImages (and
 * BatchGetImage for indexes and possible referrers) to inventory, BatchDeleteImage by digest to
 * delete. Concurrency across repositories is the caller's; within a repository, delete batches
 * run one after another in the order given.
 */
export class EcrRetentionRegistry implements RetentionRegistry {
  readonly kind: RegistryKind = "ecr";
  readonly registryId: string;
  readonly region: string;
  private readonly client: ECRClient;
  private readonly log: Log | undefined;
  private readonly concurrency: number;
  private readonly retry: HttpRetryOptions | undefined;

  constructor(opts: EcrRetentionRegistryOptions) {
    this.client = opts.client;
    this.registryId = opts.registryId;
    this.region = opts.region;
    this.log = opts.log;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
    this.retry = opts.retry;
  }

  listRepositories(): Promise<string[]> {
    return listEcrRepositories(this.client, this.registryId);
  }

  inventory(repository: string): Promise<RepositoryInventory> {
    return readEcrInventory(this.client, repository, {
      registryId: this.registryId,
      region: this.region,
      concurrency: this.concurrency,
      ...(this.log ? { log: this.log } : {}),
    });
  }

  deleteManifests(
    repository: string,
    digests: readonly string[],
    onDeleted?: (result: DeletionResult) => void,
  ): Promise<DeletionResult[]> {
    return deleteEcrManifests(this.client, repository, digests, {
      registryId: this.registryId,
      ...(this.retry ? { retry: this.retry } : {}),
      ...(this.log ? { log: this.log } : {}),
      ...(onDeleted ? { onResult: onDeleted } : {}),
    });
  }
}
