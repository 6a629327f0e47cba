import {
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import type { InUseProvider } from "../../retention/retention-ports.ts";

/** The API's maximum page size for ListClusters and ListTasks, and tasks per DescribeTasks. */
export const ECS_PAGE_SIZE = 100;

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** A task definition that names its image by digest: `repo@sha256:<hex>`. */
const DIGEST_IN_IMAGE = /@(sha256:[a-f0-9]{64})$/;

export const ECS_IN_USE_ERROR_CODES = [
  /** An ECS call failed after the SDK's retries (permissions, throttling, a fault …). */
  "ECS_REQUEST_FAILED",
  /** A cluster named in the configuration does not exist in this region. */
  "ECS_CLUSTER_NOT_FOUND",
  /** ECS returned the same nextToken twice. */
  "ECS_PAGING_LOOP",
] as const;
export type EcsInUseErrorCode = (typeof ECS_IN_USE_ERROR_CODES)[number];

/** Reading running tasks failed: names the call, the cluster and what to fix. */
export class EcsInUseError extends Error {
  readonly code: EcsInUseErrorCode;
  readonly operation: string;
  readonly cluster?: string;
  readonly awsError?: string;

  constructor(
    code: EcsInUseErrorCode,
    operation: string,
    cluster: string | undefined,
    detail: string,
    opts: { cause?: unknown; awsError?: string } = {},
  ) {
    super(
      `ECS ${operation} failed${cluster ? ` for cluster ${cluster}` : ""}: ${detail}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = "EcsInUseError";
    this.code = code;
    this.operation = operation;
    if (cluster !== undefined) this.cluster = cluster;
    if (opts.awsError) this.awsError = opts.awsError;
  }
}

export interface EcsInUseOptions {
  client: ECSClient;
  /** Cluster names or ARNs; every cluster of the region (ListClusters) when absent. */
  clusters?: string[];
}

/**
 * The image digests of running ECS tasks (desired status RUNNING, which includes tasks still
 * starting): ListClusters unless clusters are given, ListTasks per cluster, DescribeTasks 100 at
 * a time, then each container's imageDigest (and a digest named in its image reference). Needs
 * ecs:ListClusters, ecs:ListTasks and ecs:DescribeTasks.
 */
export class EcsInUseProvider implements InUseProvider {
  readonly name = "ecs";
  private readonly client: ECSClient;
  private readonly clusters: string[] | undefined;

  constructor(opts: EcsInUseOptions) {
    this.client = opts.client;
    this.clusters = opts.clusters ? [...opts.clusters] : undefined;
  }

  async digestsInUse(): Promise<ReadonlySet<string>> {
    const clusters = this.clusters ?? (await this.listClusters());
    const digests = new Set<string>();
    for (const cluster of clusters) {
      const taskArns = await this.listRunningTasks(cluster);
      for (let i = 0; i < taskArns.length; i += ECS_PAGE_SIZE) {
        const out = await this.call("DescribeTasks", cluster, () =>
          this.client.send(
            new DescribeTasksCommand({ cluster, tasks: taskArns.slice(i, i + ECS_PAGE_SIZE) }),
          ),
        );
        // failures[] lists tasks gone since ListTasks (reason MISSING): nothing runs them.
        for (const task of out.tasks ?? []) {
          for (const c of task.containers ?? []) {
            if (c.imageDigest && SHA256_DIGEST.test(c.imageDigest)) digests.add(c.imageDigest);
            const named = c.image?.match(DIGEST_IN_IMAGE)?.[1];
            if (named) digests.add(named);
          }
        }
      }
    }
    return digests;
  }

  private async listClusters(): Promise<string[]> {
    const arns: string[] = [];
    await this.paged("ListClusters", undefined, async (nextToken) => {
      const out = await this.client.send(
        new ListClustersCommand({ maxResults: ECS_PAGE_SIZE, ...(nextToken ? { nextToken } : {}) }),
      );
      arns.push(...(out.clusterArns ?? []));
      return out.nextToken;
    });
    return [...new Set(arns)];
  }

  private async listRunningTasks(cluster: string): Promise<string[]> {
    const arns: string[] = [];
    await this.paged("ListTasks", cluster, async (nextToken) => {
      const out = await this.client.send(
        new ListTasksCommand({
          cluster,
          desiredStatus: "RUNNING",
          maxResults: ECS_PAGE_SIZE,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      arns.push(...(out.taskArns ?? []));
      return out.nextToken;
    });
    return [...new Set(arns)];
  }

  private async paged(
    operation: string,
    cluster: string | undefined,
    page: (nextToken: string | undefined) => Promise<string | undefined>,
  ): Promise<void> {
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const current = token;
      token = (await this.call(operation, cluster, () => page(current))) || undefined;
      if (token !== undefined) {
        if (seen.has(token)) {
          throw new EcsInUseError(
            "ECS_PAGING_LOOP",
            operation,
            cluster,
            "ECS returned the same nextToken twice",
          );
        }
        seen.add(token);
      }
    } while (token !== undefined);
  }

  private async call<T>(
    operation: string,
    cluster: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrap(operation, cluster, err);
    }
  }
}

function wrap(operation: string, cluster: string | undefined, err: unknown): EcsInUseError {
  const name = err instanceof Error ? err.name : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const opts = { cause: err, ...(name ? { awsError: name } : {}) };
  if (name === "ClusterNotFoundException") {
    return new EcsInUseError(
      "ECS_CLUSTER_NOT_FOUND",
      operation,
      cluster,
      "no such cluster in this region; fix the configured cluster list or the region",
      opts,
    );
  }
  const hint =
    name === "AccessDeniedException"
      ? ` (grant ecs:${operation} ${cluster ? `on cluster ${cluster} ` : ""}to the role running retention)`
      : "";
  return new EcsInUseError(
    "ECS_REQUEST_FAILED",
    operation,
    cluster,
    `${name && name !== "Error" ? `${name}: ` : ""}${message}${hint}`,
    opts,
  );
}
