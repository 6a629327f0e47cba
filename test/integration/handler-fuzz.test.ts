import { readdirSync } from "node:fs";
import { UpdateImageStorageClassCommand } from "@aws-sdk/client-ecr";
import { PublishCommand } from "@aws-sdk/client-sns";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import { basicFinding, enhancedFinding, type FakeImage } from "../support/fake-ecr.ts";
import {
  ACCOUNT,
  eventFixture,
  HandlerHarness,
  type Invocation,
  isDynamoWrite,
  type LambdaHandler,
  ociManifest,
  REGION,
} from "../support/lambda-harness.ts";

/*
 * Random JSON and mutated fixtures through the handlers that take raw events, as deployed.
 * Properties: an event the parser rejects never makes a handler throw and never reaches ECR,
 * SNS or DynamoDB; an event it accepts may be recorded, but an image is quarantined (and an
 * alert published) only when the gate failed, and only the image the event names.
 */

const RAW_EVENT_FUNCTIONS = ["on-image-push", "on-scan-complete"] as const;
type RawEventFunction = (typeof RAW_EVENT_FUNCTIONS)[number];

const FIXTURE_NAMES = readdirSync(new URL("../fixtures/events/", import.meta.url))
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""));

let h: HandlerHarness;
const handlers = {} as Record<RawEventFunction, LambdaHandler>;
const images: FakeImage[] = [];
/** The fixtures, rewritten to name images the fake ECR holds (digests from their manifests). */
const bases = new Map<string, Record<string, unknown>>();
/** Scan completions reach the gate: drawn more often so the quarantine path is well covered. */
const SCAN_FIXTURES = FIXTURE_NAMES.filter((n) =>
  /scan-(complete|failed)$|^inspector2-scan$/.test(n),
);

function seed(repository: string, generation: number, scan: FakeImage["scan"]): FakeImage {
  const { manifest, digest } = ociManifest(`fuzz/${generation}/${repository}`);
  return h.ecr.add({
    region: REGION,
    registryId: ACCOUNT,
    repository,
    digest,
    manifest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    tags: ["latest"],
    pushedAt: new Date(Date.now() - 60_000),
    status: "ACTIVE",
    scan,
  });
}

/** Points a fixture at the seeded images; the EventBridge region is the functions' region. */
function rebase(name: string): Record<string, unknown> {
  const e = eventFixture(name);
  const [failing, enhanced, passing] = images as [FakeImage, FakeImage, FakeImage];
  if ("region" in e) e.region = REGION;
  const d = e.detail as Record<string, unknown> | undefined;
  if (!d) return e;
  if (typeof d["image-digest"] === "string") {
    d["image-digest"] = name.startsWith("inspector2") ? enhanced.digest : failing.digest;
  }
  if (name === "ecr-referrer-push") {
    d["image-tag"] = `sha256-${failing.digest.slice("sha256:".length)}.sig`;
  }
  if (name === "inspector2-scan") {
    d["repository-name"] = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${enhanced.repository}`;
  }
  const image = (d.responseElements as { image?: { imageId?: Record<string, unknown> } } | null)
    ?.image;
  if (image?.imageId) image.imageId.imageDigest = passing.digest;
  return e;
}

/**
 * New images (new digests, so new audit chains) every RUNS_PER_GENERATION deliveries: appending
 * reads the image's whole chain, and one chain growing over thousands of runs would make the
 * suite quadratic without testing anything more.
 */
const RUNS_PER_GENERATION = 50;

function newGeneration(generation: number): void {
  images.length = 0;
  images.push(
    seed("my-repository-name", generation, {
      status: "COMPLETE",
      basic: [basicFinding("CVE-2023-4911", "HIGH", "glibc")],
      completedAt: new Date(),
    }),
    seed("amazon/amazon-ecs-sample", generation, {
      status: "ACTIVE",
      enhanced: [enhancedFinding("CVE-2024-3094", "CRITICAL", "xz-libs", 10)],
      completedAt: new Date(),
    }),
    seed("testrepo", generation, { status: "COMPLETE", basic: [], completedAt: new Date() }),
  );
  for (const name of FIXTURE_NAMES) bases.set(name, rebase(name));
}

beforeAll(async () => {
  h = await HandlerHarness.start();
  await h.reset();
  newGeneration(0);
  for (const fn of RAW_EVENT_FUNCTIONS) handlers[fn] = await h.load(fn);
});

afterAll(async () => {
  // Every SDK operation a handler sent in this file is one its IAM role is declared to grant.
  const undeclared = h?.undeclaredSdkCalls() ?? [];
  await h?.stop();
  expect(undeclared).toEqual([]);
});

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

type Mutation =
  | { op: "drop"; at: number }
  | { op: "replace"; at: number; value: unknown }
  | { op: "retype"; at: number }
  | { op: "set"; field: "digest" | "repository" | "id" | "type"; value: unknown };

/** A value of another JSON type than `v`, so the field is present but of the wrong kind. */
function retyped(v: unknown): unknown {
  if (typeof v === "string") return v.length;
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (typeof v === "object" && v !== null) return Object.values(v);
  return v === null ? {} : null;
}

function setAt(
  root: unknown,
  path: Path,
  change: (parent: Record<string | number, unknown>, key: string | number) => void,
) {
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1);
  if (last !== undefined && typeof parent === "object" && parent !== null) change(parent, last);
}

function mutate(base: Record<string, unknown>, mutations: Mutation[]): unknown {
  const event = structuredClone(base);
  for (const m of mutations) {
    if (m.op === "set") {
      const d = event.detail;
      const detail =
        typeof d === "object" && d !== null && !Array.isArray(d)
          ? (d as Record<string, unknown>)
          : {};
      if (m.field === "digest") detail["image-digest"] = m.value;
      if (m.field === "repository") detail["repository-name"] = m.value;
      if (m.field === "id") event.id = m.value;
      if (m.field === "type") event["detail-type"] = m.value;
      continue;
    }
    const paths = pathsOf(event);
    if (paths.length === 0) continue;
    const path = paths[m.at % paths.length] as Path;
    setAt(event, path, (parent, key) => {
      if (m.op === "drop") {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      } else if (m.op === "replace") parent[key] = m.value;
      else parent[key] = retyped(parent[key]);
    });
  }
  return event;
}

const hex = fc.string({
  unit: fc.constantFrom(..."0123456789abcdefABCDEF"),
  minLength: 0,
  maxLength: 70,
});
const nearDigest = fc.oneof(
  hex.map((x) => `sha256:${x}`),
  hex.map((x) => `sha512:${x}`),
  fc.string({ maxLength: 80 }),
  fc.constantFrom("", "sha256:", "SHA256:"),
);
const nearRepository = fc.oneof(
  fc.stringMatching(/^[a-z0-9._/-]{0,20}$/),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("a", "A/b", "x".repeat(257), "arn:aws:ecr:us-east-1:123456789012:repository/x"),
);
const eventTypes = fc.constantFrom(
  "ECR Image Action",
  "ECR Image Scan",
  "ECR Referrer Action",
  "Inspector2 Scan",
  "Inspector2 Finding",
  "AWS API Call via CloudTrail",
  "Scan Timeout Check",
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("drop" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("replace" as const),
    at: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ op: fc.constant("retype" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("set" as const),
    field: fc.constant("digest" as const),
    value: nearDigest,
  }),
  fc.record({
    op: fc.constant("set" as const),
    field: fc.constant("repository" as const),
    value: nearRepository,
  }),
  fc.record({
    op: fc.constant("set" as const),
    field: fc.constant("id" as const),
    value: fc.string({ maxLength: 300 }),
  }),
  fc.record({
    op: fc.constant("set" as const),
    field: fc.constant("type" as const),
    value: eventTypes,
  }),
);

function parses(event: unknown): { accepted: true } | { accepted: false; code: string } {
  try {
    parseRegistryEvent(event);
    return { accepted: true };
  } catch (err) {
    if (err instanceof EventParseError) return { accepted: false, code: err.code };
    throw err;
  }
}

const stats = { rejected: 0, accepted: 0, quarantines: 0, runs: 0 };

/** One delivery, then the properties. The seeded images are active again before each run. */
async function deliver(fn: RawEventFunction, event: unknown): Promise<void> {
  for (const image of images) image.status = "ACTIVE";
  h.ecrMock.resetHistory();
  h.snsMock.resetHistory();
  const parsed = parses(event);
  const run: Invocation = await h.invoke(fn, handlers[fn], event);
  stats.runs++;
  const archived = h.ecrMock
    .commandCalls(UpdateImageStorageClassCommand)
    .map((c) => c.args[0].input);
  const published = h.snsMock.commandCalls(PublishCommand);

  if (!parsed.accepted) {
    stats.rejected++;
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ status: "rejected", code: parsed.code });
    expect(h.ecrMock.calls()).toHaveLength(0);
    expect(h.snsMock.calls()).toHaveLength(0);
    expect(run.dynamoOps).toEqual([]);
    expect(run.metrics).toContain("InvalidEvent");
    return;
  }
  stats.accepted++;
  // Nothing in this world fails, so an accepted event has no reason to throw either.
  expect(run.error).toBeUndefined();
  const outcome = run.result as Partial<PipelineOutcome> & { status: string };
  if (archived.length > 0 || published.length > 0) {
    expect(outcome).toMatchObject({ status: "decided", verdict: "fail" });
  }
  stats.quarantines += archived.length;
  expect(archived.length).toBeLessThanOrEqual(1);
  for (const a of archived) {
    expect(a.targetStorageClass).toBe("ARCHIVE");
    expect(outcome.image).toBe(`ecr:${a.registryId}/${a.repositoryName}@${a.imageId?.imageDigest}`);
  }
  const status: string = outcome.status;
  if (status === "misrouted" || status === "ignored") {
    expect(h.ecrMock.calls()).toHaveLength(0);
    expect(run.dynamoOps).toEqual([]);
  }
  if (status !== "decided" && status !== "recorded") {
    expect(run.dynamoOps.filter(isDynamoWrite)).toEqual([]);
  }
}

describe("handlers under random and mutated events", () => {
  it("mutated fixtures: rejected ones change nothing, accepted ones quarantine only on a failed gate", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RAW_EVENT_FUNCTIONS),
        fc.oneof(
          { arbitrary: fc.constantFrom(...SCAN_FIXTURES), weight: 1 },
          { arbitrary: fc.constantFrom(...FIXTURE_NAMES), weight: 2 },
        ),
        // A new delivery, or a redelivery of the fixture's event id.
        fc.option(fc.uuid(), { nil: undefined }),
        fc.array(mutation, { minLength: 0, maxLength: 4 }),
        async (fn, name, freshId, mutations) => {
          if (stats.runs > 0 && stats.runs % RUNS_PER_GENERATION === 0) newGeneration(stats.runs);
          const base = bases.get(name) as Record<string, unknown>;
          await deliver(fn, mutate(freshId ? { ...base, id: freshId } : base, mutations));
        },
      ),
      { numRuns: 1200 },
    );
    // The generators reach both sides and the quarantine path, or the properties prove little.
    expect(stats.rejected).toBeGreaterThan(300);
    expect(stats.accepted).toBeGreaterThan(200);
    expect(stats.quarantines).toBeGreaterThan(25);
  }, 60_000);

  it("random JSON values never make a handler throw, and change nothing when rejected", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RAW_EVENT_FUNCTIONS),
        fc.oneof(
          fc.jsonValue(),
          fc.object({
            key: fc.constantFrom(
              "id",
              "source",
              "detail-type",
              "detail",
              "__proto__",
              "constructor",
              "time",
            ),
          }),
          fc.string({ maxLength: 200 }),
        ),
        async (fn, value) => {
          await deliver(fn, value);
        },
      ),
      { numRuns: 800 },
    );
  }, 60_000);

  it("the scheduled sweep ignores its event's content: nothing due, nothing written", async () => {
    // A fresh table without pushes: the sweep must find nothing due whatever it is invoked with.
    await h.reset();
    const sweep = await h.load("scan-timeout-check");
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
        const run = await h.invoke("scan-timeout-check", sweep, value);
        expect(run.error).toBeUndefined();
        expect(run.result).toEqual({ decided: 0, failed: 0 });
        expect(run.dynamoOps).toEqual(["Query"]);
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
