import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DIGEST_RE } from "../../shared/domain/image.ts";
import type { IgnoredEvent, RegistryEvent } from "../../shared/domain/registry-event.ts";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { EVENT_TYPES, parseRegistryEvent } from "../../shared/events/parse-event.ts";

const FIXTURES = new URL("../fixtures/events/", import.meta.url);
const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
const fixtures = fixtureNames.map((name) => ({
  name,
  raw: JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as unknown,
}));

/** The ECR naming rule, written out independently of the parser's own regex. */
const ECR_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Parses, and turns anything but an EventParseError into a test failure. */
function parseOrReject(raw: unknown): RegistryEvent | IgnoredEvent | EventParseError {
  try {
    return parseRegistryEvent(raw);
  } catch (err) {
    if (err instanceof EventParseError) return err;
    throw err;
  }
}

/** What must hold of every parse, whatever the input. */
function checkOutcome(out: RegistryEvent | IgnoredEvent | EventParseError) {
  if (out instanceof EventParseError) {
    expect(out.message.length).toBeLessThan(1000);
    return;
  }
  expect(out.eventId.length).toBeGreaterThan(0);
  if (out.kind === "ignored") {
    expect(out.reason.length).toBeGreaterThan(0);
    return;
  }
  expect(out.image.digest).toMatch(DIGEST_RE);
  if (out.image.registry === "ecr") {
    expect(out.image.repository).toMatch(ECR_NAME);
    expect(out.image.registryId).toMatch(/^\d{12}$/);
  }
  expect(Number.isNaN(Date.parse(out.time))).toBe(false);
  for (const tag of out.image.tags) expect(typeof tag).toBe("string");
  if (out.kind === "referrer-pushed" && out.subjectDigest !== undefined) {
    expect(out.subjectDigest).toMatch(DIGEST_RE);
  }
}

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

function applyMutation(raw: unknown, path: Path, op: "drop" | "replace", replacement: unknown) {
  const copy = structuredClone(raw) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (op === "drop") {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

/** Values that probe the validators: near-miss digests, names and times, odd types. */
const tricky = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    "",
    "sha256:",
    `sha256:${"g".repeat(64)}`,
    `sha256:${"A".repeat(64)}`,
    `sha256:${"a".repeat(63)}`,
    "arn:aws:ecr:us-east-1:123456789012:repository/",
    "arn:aws:ecr:us-east-1:123456789012:repository/ok/name",
    "2024-13-01T00:00:00Z",
    "__proto__",
    "constructor",
    "FAILURE",
    "PUSH",
    "DELETE",
    "PutImage",
    "a".repeat(5000),
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER,
  ),
);

describe("parseRegistryEvent under random input", () => {
  it("throws nothing but EventParseError for arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => checkOutcome(parseOrReject(raw))),
      { numRuns: 3000 },
    );
  });

  it("throws nothing but EventParseError for recognised types with random fields", () => {
    const envelopeKeys = ["id", "time", "account", "region", "detail"] as const;
    const detailKeys = [
      "result",
      "action-type",
      "repository-name",
      "image-digest",
      "image-tag",
      "image-tags",
      "scan-status",
      "finding-severity-counts",
      "manifest-media-type",
      "artifact-media-type",
      "eventName",
      "errorCode",
      "userIdentity",
      "requestParameters",
      "responseElements",
      "registry",
      "registryId",
      "repository",
      "digest",
      "tags",
      "pushedAt",
    ];
    const arb = fc
      .record({
        type: fc.constantFrom(...EVENT_TYPES),
        envelope: fc.dictionary(fc.constantFrom(...envelopeKeys), tricky),
        detail: fc.dictionary(fc.constantFrom(...detailKeys), tricky),
        detailIsObject: fc.boolean(),
      })
      .map(({ type, envelope, detail, detailIsObject }) => ({
        ...envelope,
        source: type.source,
        "detail-type": type.detailType,
        ...(detailIsObject ? { detail } : {}),
      }));
    fc.assert(
      fc.property(arb, (raw) => checkOutcome(parseOrReject(raw))),
      { numRuns: 3000 },
    );
  });

  it("throws nothing but EventParseError for fixtures with a field dropped or replaced", () => {
    const arb = fc
      .constantFrom(...fixtures)
      .chain(({ raw }) =>
        fc.tuple(
          fc.constant(raw),
          fc.constantFrom(...pathsOf(raw)),
          fc.constantFrom("drop" as const, "replace" as const),
          tricky,
        ),
      );
    fc.assert(
      fc.property(arb, ([raw, path, op, value]) =>
        checkOutcome(parseOrReject(applyMutation(raw, path, op, value))),
      ),
      { numRuns: 4000 },
    );
  });

  it("throws nothing but EventParseError when several fields are mutated at once", () => {
    const arb = fc.constantFrom(...fixtures).chain(({ raw }) =>
      fc.tuple(
        fc.constant(raw),
        fc.array(
          fc.tuple(
            fc.constantFrom(...pathsOf(raw)),
            fc.constantFrom("drop" as const, "replace" as const),
            tricky,
          ),
          {
            minLength: 2,
            maxLength: 5,
          },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([raw, mutations]) => {
        let current: unknown = raw;
        for (const [path, op, value] of mutations) {
          // An earlier mutation may have removed this path's parent: skip it then.
          try {
            current = applyMutation(current, path, op, value);
          } catch {}
        }
        checkOutcome(parseOrReject(current));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- valid events round-trip ----

const hex64 = fc.stringMatching(/^[a-f0-9]{64}$/);
const digest = hex64.map((h) => `sha256:${h}`);
const account = fc.stringMatching(/^\d{12}$/);
const region = fc.constantFrom(
  "us-east-1",
  "us-west-2",
  "eu-central-1",
  "ap-southeast-2",
  "us-gov-west-1",
  "cn-north-1",
  "il-central-1",
);
const time = fc
  .date({
    min: new Date("2000-01-01T00:00:00Z"),
    max: new Date("2099-12-31T23:59:59Z"),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,40}$/);
const run = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const component = fc
  .tuple(run, fc.array(fc.tuple(fc.constantFrom(".", "_", "-"), run), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([sep, r]) => sep + r).join(""));
const repository = fc
  .array(component, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("/"))
  .filter((name) => name.length >= 2 && name.length <= 256);
const id = fc.uuid();

describe("valid events round-trip their fields", () => {
  it("ECR Image Action PUSH and DELETE", () => {
    fc.assert(
      fc.property(
        id,
        time,
        account,
        region,
        repository,
        digest,
        fc.option(tag, { nil: undefined }),
        fc.constantFrom("PUSH", "DELETE"),
        (eventId, t, acct, reg, repo, dg, tg, action) => {
          const ev = parseRegistryEvent({
            id: eventId,
            time: t,
            source: "aws.ecr",
            "detail-type": "ECR Image Action",
            account: acct,
            region: reg,
            detail: {
              result: "SUCCESS",
              "action-type": action,
              "repository-name": repo,
              "image-digest": dg,
              ...(tg ? { "image-tag": tg } : {}),
            },
          });
          expect(ev).toEqual({
            kind: action === "PUSH" ? "image-pushed" : "image-deleted",
            eventId,
            time: t,
            source: "ecr",
            image: {
              registry: "ecr",
              registryId: acct,
              region: reg,
              repository: repo,
              digest: dg,
              tags: tg ? [tg] : [],
            },
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("ECR Image Scan", () => {
    const counts = fc.dictionary(
      fc.constantFrom("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"),
      fc.nat(),
    );
    fc.assert(
      fc.property(
        id,
        time,
        account,
        region,
        repository,
        digest,
        fc.array(tag, { maxLength: 5 }),
        counts,
        (eventId, t, acct, reg, repo, dg, tags, c) => {
          const ev = parseRegistryEvent({
            id: eventId,
            time: t,
            source: "aws.ecr",
            "detail-type": "ECR Image Scan",
            account: acct,
            region: reg,
            detail: {
              "scan-status": "COMPLETE",
              "repository-name": repo,
              "image-digest": dg,
              "image-tags": tags,
              "finding-severity-counts": c,
            },
          });
          expect(ev).toEqual({
            kind: "scan-completed",
            eventId,
            time: t,
            source: "ecr",
            scanType: "basic",
            status: "COMPLETE",
            reportedCounts: c,
            image: {
              registry: "ecr",
              registryId: acct,
              region: reg,
              repository: repo,
              digest: dg,
              tags,
            },
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("Inspector2 Scan, image taken from the ARN and TOTAL dropped", () => {
    fc.assert(
      fc.property(
        id,
        time,
        account,
        account,
        region,
        repository,
        digest,
        fc.array(tag, { maxLength: 5 }),
        fc.nat(),
        fc.nat(),
        (eventId, t, envAcct, arnAcct, reg, repo, dg, tags, crit, total) => {
          const ev = parseRegistryEvent({
            id: eventId,
            time: t,
            source: "aws.inspector2",
            "detail-type": "Inspector2 Scan",
            account: envAcct,
            region: "us-east-1",
            detail: {
              "scan-status": "INITIAL_SCAN_COMPLETE",
              "repository-name": `arn:aws:ecr:${reg}:${arnAcct}:repository/${repo}`,
              "image-digest": dg,
              "image-tags": tags,
              "finding-severity-counts": { CRITICAL: crit, TOTAL: total },
            },
          });
          expect(ev).toEqual({
            kind: "scan-completed",
            eventId,
            time: t,
            source: "inspector2",
            scanType: "enhanced",
            status: "INITIAL_SCAN_COMPLETE",
            reportedCounts: { CRITICAL: crit },
            image: {
              registry: "ecr",
              registryId: arnAcct,
              region: reg,
              repository: repo,
              digest: dg,
              tags,
            },
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("ECR Referrer Action with a cosign tag", () => {
    fc.assert(
      fc.property(
        id,
        time,
        account,
        region,
        repository,
        digest,
        hex64,
        fc.constantFrom("sig", "att", "sbom"),
        (eventId, t, acct, reg, repo, dg, subject, suffix) => {
          const tg = `sha256-${subject}.${suffix}`;
          const ev = parseRegistryEvent({
            id: eventId,
            time: t,
            source: "aws.ecr",
            "detail-type": "ECR Referrer Action",
            account: acct,
            region: reg,
            detail: {
              result: "SUCCESS",
              "action-type": "PUSH",
              "repository-name": repo,
              "image-digest": dg,
              "image-tag": tg,
            },
          });
          expect(ev).toEqual({
            kind: "referrer-pushed",
            eventId,
            time: t,
            source: "ecr",
            subjectDigest: `sha256:${subject}`,
            image: {
              registry: "ecr",
              registryId: acct,
              region: reg,
              repository: repo,
              digest: dg,
              tags: [tg],
            },
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("CloudTrail PutImage", () => {
    fc.assert(
      fc.property(
        id,
        time,
        account,
        account,
        region,
        repository,
        digest,
        tag,
        fc.ipV4(),
        (eventId, t, envAcct, regId, reg, repo, dg, tg, ip) => {
          const principal = `arn:aws:iam::${regId}:role/ci`;
          const ev = parseRegistryEvent({
            id: eventId,
            time: t,
            source: "aws.ecr",
            "detail-type": "AWS API Call via CloudTrail",
            account: envAcct,
            region: reg,
            detail: {
              eventName: "PutImage",
              awsRegion: reg,
              sourceIPAddress: ip,
              userAgent: "ua",
              userIdentity: { arn: principal },
              requestParameters: { repositoryName: repo, registryId: regId, imageTag: tg },
              responseElements: {
                image: { registryId: regId, imageId: { imageDigest: dg, imageTag: tg } },
              },
            },
          });
          expect(ev).toEqual({
            kind: "push-recorded",
            eventId,
            time: t,
            source: "cloudtrail",
            principal,
            sourceIp: ip,
            userAgent: "ua",
            image: {
              registry: "ecr",
              registryId: regId,
              region: reg,
              repository: repo,
              digest: dg,
              tags: [tg],
            },
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("Scan Timeout Check", () => {
    fc.assert(
      fc.property(
        id,
        time,
        time,
        account,
        region,
        repository,
        digest,
        fc.array(tag, { maxLength: 5 }),
        (eventId, t, pushedAt, acct, reg, repo, dg, tags) => {
          const ev = parseRegistryEvent({
            id: eventId,
            time: t,
            source: "registry-guard",
            "detail-type": "Scan Timeout Check",
            detail: {
              registry: "ecr",
              registryId: acct,
              region: reg,
              repository: repo,
              digest: dg,
              tags,
              pushedAt,
            },
          });
          expect(ev).toEqual({
            kind: "scan-timeout-check",
            eventId,
            time: t,
            source: "registry-guard",
            pushedAt,
            image: {
              registry: "ecr",
              registryId: acct,
              region: reg,
              repository: repo,
              digest: dg,
              tags,
            },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
