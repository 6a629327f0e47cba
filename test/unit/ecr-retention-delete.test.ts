import { createHash } from "node:crypto";
import {
  BatchDeleteImageCommand,
  type BatchDeleteImageCommandInput,
  ECRClient,
  ECRServiceException,
  RepositoryNotFoundException,
  ServerException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { DELETE_BATCH_SIZE } from "../../shared/adapters/ecr/ecr-batch-delete.ts";
import { EcrRetentionError } from "../../shared/adapters/ecr/ecr-retention-errors.ts";
import { EcrRetentionRegistry } from "../../shared/adapters/ecr/ecr-retention-registry.ts";
import type { DeletionResult } from "../../shared/retention/retention-ports.ts";

const REGISTRY = "123456789012";
const REPO = "team-a/api";
const target = { registryId: REGISTRY, repositoryName: REPO };
const digest = (i: number) => `sha256:${createHash("sha256").update(`m${i}`).digest("hex")}`;
const digests = (n: number, from = 0) => Array.from({ length: n }, (_, i) => digest(from + i));

const ecr = mockClient(ECRClient);
let sleeps: number[];
let registry: EcrRetentionRegistry;

beforeEach(() => {
  ecr.reset();
  ecr.onAnyCommand().rejects(new Error("unexpected ECR command"));
  sleeps = [];
  registry = new EcrRetentionRegistry({
    client: new ECRClient({ region: "eu-west-1" }),
    registryId: REGISTRY,
    region: "eu-west-1",
    retry: {
      maxAttempts: 3,
      baseDelayMs: 1000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    },
  });
});

const sentBatches = () =>
  ecr
    .commandCalls(BatchDeleteImageCommand)
    .map((c) => c.args[0].input.imageIds?.map((id) => id.imageDigest));

/** ECR deleting everything asked: imageIds echo the digests (one entry per deleted tag). */
function deletesAll() {
  ecr.on(BatchDeleteImageCommand).callsFake(async (input: BatchDeleteImageCommandInput) => ({
    imageIds: (input.imageIds ?? []).flatMap((id) => [
      { imageDigest: id.imageDigest, imageTag: "a" },
      { imageDigest: id.imageDigest, imageTag: "b" },
    ]),
    failures: [],
  }));
}

const throttled = () =>
  new ECRServiceException({
    name: "ThrottlingException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message: "Rate exceeded",
  });

describe("EcrRetentionRegistry.deleteManifests", () => {
  it("sends batches of 100 in the given order, by digest only: 250 ⇒ 100/100/50", async () => {
    deletesAll();
    const input = digests(250);

    const results = await registry.deleteManifests(REPO, input);

    const calls = ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { ...target, imageIds: input.slice(0, 100).map((imageDigest) => ({ imageDigest })) },
      { ...target, imageIds: input.slice(100, 200).map((imageDigest) => ({ imageDigest })) },
      { ...target, imageIds: input.slice(200).map((imageDigest) => ({ imageDigest })) },
    ]);
    expect(results).toEqual(input.map((d) => ({ digest: d, outcome: "deleted" })));
  });

  it("does not start a batch before the previous one has answered", async () => {
    let release: (() => void) | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    ecr.on(BatchDeleteImageCommand).callsFake(async (input: BatchDeleteImageCommandInput) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => {
        release = r;
      });
      inFlight--;
      return { imageIds: input.imageIds, failures: [] };
    });

    const done = registry.deleteManifests(REPO, digests(150));
    await new Promise((r) => setTimeout(r, 5));
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(1);
    release?.();
    await new Promise((r) => setTimeout(r, 5));
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(2);
    release?.();
    await done;
    expect(maxInFlight).toBe(1);
  });

  it("reads failures[]: ImageNotFound is already-gone, other codes fail with code and reason", async () => {
    const [a, b, c, d] = digests(4);
    ecr.on(BatchDeleteImageCommand).resolves({
      imageIds: [{ imageDigest: a, imageTag: "v1" }, { imageDigest: d }],
      failures: [
        {
          imageId: { imageDigest: b },
          failureCode: "ImageNotFound",
          failureReason: "Requested image not found",
        },
        {
          imageId: { imageDigest: c },
          failureCode: "ImageReferencedByManifestList",
          failureReason: "Requested image is referenced by a manifest list",
        },
      ],
    });
    const seen: DeletionResult[] = [];

    const results = await registry.deleteManifests(REPO, [a, b, c, d] as string[], (r) =>
      seen.push(r),
    );

    expect(results).toEqual([
      { digest: a, outcome: "deleted" },
      { digest: b, outcome: "already-gone" },
      {
        digest: c,
        outcome: "failed",
        code: "ImageReferencedByManifestList",
        message: "Requested image is referenced by a manifest list",
      },
      { digest: d, outcome: "deleted" },
    ]);
    expect(seen).toEqual(results);
  });

  it("reports a digest ECR answered nothing for as failed, not deleted", async () => {
    const [a, b] = digests(2);
    ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [{ imageDigest: a }], failures: [] });
    const results = await registry.deleteManifests(REPO, [a, b] as string[]);
    expect(results[1]).toMatchObject({ digest: b, outcome: "failed", code: "NO_ANSWER" });
  });

  it("retries a throttled batch with growing, jittered backoff, then goes on", async () => {
    const input = digests(120);
    ecr
      .on(BatchDeleteImageCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(new ServerException({ message: "internal", $metadata: { httpStatusCode: 500 } }))
      .callsFake(async (i: BatchDeleteImageCommandInput) => ({
        imageIds: i.imageIds,
        failures: [],
      }));

    const results = await registry.deleteManifests(REPO, input);

    expect(sentBatches()).toEqual([
      input.slice(0, 100),
      input.slice(0, 100),
      input.slice(0, 100),
      input.slice(100),
    ]);
    // Half fixed, half random (0.5 here): 750 then 1500 for a 1 s base.
    expect(sleeps).toEqual([750, 1500]);
    expect(results.every((r) => r.outcome === "deleted")).toBe(true);
  });

  it("reports a batch that keeps throttling as failed and sends nothing after it", async () => {
    const input = digests(230);
    ecr.on(BatchDeleteImageCommand).rejects(throttled());

    const results = await registry.deleteManifests(REPO, input);

    // Three attempts of the first batch, and not one of the later batches.
    expect(sentBatches()).toEqual([input.slice(0, 100), input.slice(0, 100), input.slice(0, 100)]);
    expect(sleeps).toHaveLength(2);
    expect(
      results
        .slice(0, 100)
        .every((r) => r.outcome === "failed" && r.code === "ThrottlingException"),
    ).toBe(true);
    expect(
      results.slice(100).every((r) => r.outcome === "failed" && r.code === "NOT_ATTEMPTED"),
    ).toBe(true);
    expect(results.map((r) => r.digest)).toEqual(input);
  });

  it("never deletes a digest twice: a digest listed twice is sent once and shares its result", async () => {
    deletesAll();
    const [a, b] = digests(2) as [string, string];
    const seen: DeletionResult[] = [];

    const results = await registry.deleteManifests(REPO, [a, b, a], (r) => seen.push(r));

    expect(sentBatches()).toEqual([[a, b]]);
    expect(results).toEqual([
      { digest: a, outcome: "deleted" },
      { digest: b, outcome: "deleted" },
      { digest: a, outcome: "deleted" },
    ]);
    expect(seen.map((r) => r.digest)).toEqual([a, b]);
  });

  it("fails a malformed digest without sending it", async () => {
    deletesAll();
    const [a] = digests(1) as [string];
    const results = await registry.deleteManifests(REPO, ["latest", a]);
    expect(sentBatches()).toEqual([[a]]);
    expect(results[0]).toMatchObject({ outcome: "failed", code: "InvalidImageDigest" });
  });

  it("reports everything already gone when the repository no longer exists", async () => {
    ecr
      .on(BatchDeleteImageCommand)
      .rejects(new RepositoryNotFoundException({ message: "gone", $metadata: {} }));
    const results = await registry.deleteManifests(REPO, [...digests(150), "not-a-digest"]);
    expect(results.slice(0, 150).every((r) => r.outcome === "already-gone")).toBe(true);
    expect(results[150]).toMatchObject({ outcome: "failed", code: "InvalidImageDigest" });
    // The first answer says it for every later batch.
    expect(sentBatches()).toHaveLength(1);
  });

  it("throws, naming the permission, when deletion is denied", async () => {
    ecr.on(BatchDeleteImageCommand).rejects(
      new ECRServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "not authorized to perform: ecr:BatchDeleteImage",
      }),
    );
    const err = await registry.deleteManifests(REPO, digests(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrRetentionError);
    expect((err as Error).message).toContain("grant ecr:BatchDeleteImage");
    expect(sentBatches()).toHaveLength(1);
  });

  it("returns nothing and calls nothing for an empty list", async () => {
    expect(await registry.deleteManifests(REPO, [])).toEqual([]);
    expect(sentBatches()).toEqual([]);
  });

  it("property: batches cover the input exactly once, in order, each at most 100", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(400), { maxLength: 450 }), async (ids) => {
        ecr.reset();
        deletesAll();
        const input = ids.map(digest);

        const results = await registry.deleteManifests(REPO, input);

        const batches = sentBatches();
        expect(
          batches.every((b) => (b?.length ?? 0) > 0 && (b?.length ?? 0) <= DELETE_BATCH_SIZE),
        ).toBe(true);
        // As few calls as possible: only the last batch may be short.
        expect(batches.slice(0, -1).every((b) => b?.length === DELETE_BATCH_SIZE)).toBe(true);
        expect(batches.flat()).toEqual([...new Set(input)]);
        expect(results.map((r) => r.digest)).toEqual(input);
        expect(results.every((r) => r.outcome === "deleted")).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
