import { createHash } from "node:crypto";
import {
  AccessDeniedException,
  ClusterNotFoundException,
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  ECSClient,
  ListClustersCommand,
  ListTasksCommand,
  type ListTasksCommandInput,
  type Task,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { EcsInUseError, EcsInUseProvider } from "../../shared/adapters/ecs/ecs-in-use.ts";

const digest = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;
const CLUSTER_A = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";
const CLUSTER_B = "arn:aws:ecs:eu-west-1:123456789012:cluster/batch";
const taskArn = (cluster: string, i: number) =>
  `${cluster.replace(":cluster/", ":task/")}/${i.toString(16).padStart(32, "0")}`;

const ecs = mockClient(ECSClient);
const client = () => new ECSClient({ region: "eu-west-1" });

/** A task as DescribeTasks returns it: one or more containers with the digest the agent pulled. */
function task(arn: string, digests: (string | undefined)[], image?: string): Task {
  return {
    taskArn: arn,
    lastStatus: "RUNNING",
    desiredStatus: "RUNNING",
    containers: digests.map((d, i) => ({
      name: `c${i}`,
      image: image ?? "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/api:v1",
      ...(d ? { imageDigest: d } : {}),
    })),
  };
}

beforeEach(() => {
  ecs.reset();
  ecs.onAnyCommand().rejects(new Error("unexpected ECS command"));
});

describe("EcsInUseProvider", () => {
  it("lists every cluster and running task across pages, describing tasks 100 at a time", async () => {
    ecs
      .on(ListClustersCommand)
      .resolvesOnce({ clusterArns: [CLUSTER_A], nextToken: "c2" })
      .resolvesOnce({ clusterArns: [CLUSTER_B] });
    const tasksA = Array.from({ length: 230 }, (_, i) => taskArn(CLUSTER_A, i));
    ecs
      .on(ListTasksCommand, { cluster: CLUSTER_A })
      .resolvesOnce({ taskArns: tasksA.slice(0, 100), nextToken: "a2" })
      .resolvesOnce({ taskArns: tasksA.slice(100, 200), nextToken: "a3" })
      .resolvesOnce({ taskArns: tasksA.slice(200) });
    ecs
      .on(ListTasksCommand, { cluster: CLUSTER_B })
      .resolves({ taskArns: [taskArn(CLUSTER_B, 1)] });
    ecs.on(DescribeTasksCommand).callsFake(async (input: DescribeTasksCommandInput) => ({
      tasks: (input.tasks ?? []).map((arn) => task(arn, [digest(arn)])),
      failures: [],
    }));

    const inUse = await new EcsInUseProvider({ client: client() }).digestsInUse();

    expect(ecs.commandCalls(ListClustersCommand).map((c) => c.args[0].input)).toEqual([
      { maxResults: 100 },
      { maxResults: 100, nextToken: "c2" },
    ]);
    const listTasks = ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input);
    expect(listTasks).toEqual([
      { cluster: CLUSTER_A, desiredStatus: "RUNNING", maxResults: 100 },
      { cluster: CLUSTER_A, desiredStatus: "RUNNING", maxResults: 100, nextToken: "a2" },
      { cluster: CLUSTER_A, desiredStatus: "RUNNING", maxResults: 100, nextToken: "a3" },
      { cluster: CLUSTER_B, desiredStatus: "RUNNING", maxResults: 100 },
    ] satisfies ListTasksCommandInput[]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER_A, tasks: tasksA.slice(0, 100) },
      { cluster: CLUSTER_A, tasks: tasksA.slice(100, 200) },
      { cluster: CLUSTER_A, tasks: tasksA.slice(200) },
      { cluster: CLUSTER_B, tasks: [taskArn(CLUSTER_B, 1)] },
    ]);
    expect(inUse).toEqual(new Set([...tasksA, taskArn(CLUSTER_B, 1)].map(digest)));
  });

  it("reads only the clusters given, and keeps sha256 digests only", async () => {
    const pinned = digest("pinned");
    ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn(CLUSTER_A, 1)] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        task(taskArn(CLUSTER_A, 1), [digest("a"), undefined, "sha512:abcd", digest("a")]),
        task(
          taskArn(CLUSTER_A, 2),
          [undefined],
          `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/api@${pinned}`,
        ),
      ],
      // A task that stopped between ListTasks and DescribeTasks.
      failures: [{ arn: taskArn(CLUSTER_A, 3), reason: "MISSING" }],
    });

    const inUse = await new EcsInUseProvider({
      client: client(),
      clusters: ["prod"],
    }).digestsInUse();

    expect(ecs.commandCalls(ListClustersCommand)).toHaveLength(0);
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input.cluster).toBe("prod");
    expect(inUse).toEqual(new Set([digest("a"), pinned]));
  });

  it("describes no tasks for an idle cluster", async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const inUse = await new EcsInUseProvider({
      client: client(),
      clusters: ["idle"],
    }).digestsInUse();
    expect(inUse.size).toBe(0);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it("names the cluster and the permission to grant when ECS denies access", async () => {
    ecs
      .on(ListTasksCommand)
      .rejects(new AccessDeniedException({ message: "not authorized", $metadata: {} }));

    const err = await new EcsInUseProvider({ client: client(), clusters: ["prod"] })
      .digestsInUse()
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(EcsInUseError);
    expect(err).toMatchObject({
      code: "ECS_REQUEST_FAILED",
      cluster: "prod",
      operation: "ListTasks",
    });
    expect((err as Error).message).toContain("grant ecs:ListTasks on cluster prod");
  });

  it("names a configured cluster that does not exist", async () => {
    ecs
      .on(ListTasksCommand)
      .rejects(new ClusterNotFoundException({ message: "Cluster not found.", $metadata: {} }));
    const err = await new EcsInUseProvider({ client: client(), clusters: ["typo"] })
      .digestsInUse()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECS_CLUSTER_NOT_FOUND", cluster: "typo" });
    expect((err as Error).message).toContain("cluster typo");
  });

  it("refuses a nextToken returned twice", async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER_A], nextToken: "again" });
    const err = await new EcsInUseProvider({ client: client() })
      .digestsInUse()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECS_PAGING_LOOP", operation: "ListClusters" });
  });
});
