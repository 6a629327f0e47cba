import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DIGEST_RE } from "../../shared/domain/image.ts";
import type { IgnoredEvent, RegistryEvent } from "../../shared/domain/registry-event.ts";
import { parseDistributionEnvelope } from "../../shared/events/distribution-envelope.ts";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { parseHarborWebhook } from "../../shared/events/harbor-webhook.ts";
import { parseWebhook, type WebhookKind } from "../../shared/events/parse-webhook.ts";

const ROOT = new URL("../fixtures/webhooks/", import.meta.url);
const HOST = "registry.example.com:5000";
const opts = { registryHost: HOST };

function load(dir: string) {
  const url = new URL(dir, ROOT);
  return readdirSync(url)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(new URL(f, url), "utf8")) as unknown);
}

const distributionFixtures = load("distribution/");
const harborFixtures = [...load("harbor/default/"), ...load("harbor/cloudevents/")];

/** The OCI naming rule, written out independently of the parser's own regex. */
const OCI_NAME =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

type Outcome = (RegistryEvent | IgnoredEvent)[] | EventParseError;

/** Runs a parser; anything thrown but an EventParseError fails the property. */
function attempt(parse: () => (RegistryEvent | IgnoredEvent)[]): Outcome {
  try {
    return parse();
  } catch (err) {
    if (err instanceof EventParseError) return err;
    throw err;
  }
}

/** What must hold of every parse, whatever the input. */
function check(out: Outcome) {
  if (out instanceof EventParseError) {
    expect(out.message.length).toBeLessThan(1000);
    expect(out.code).toMatch(/^EVENT_/);
    return;
  }
  for (const ev of out) {
    expect(ev.eventId.length).toBeGreaterThan(0);
    if (ev.kind === "ignored") {
      expect(ev.reason.length).toBeGreaterThan(0);
      continue;
    }
    expect(ev.image.registry).toBe("oci");
    expect(ev.image.registryId).toBe(HOST);
    expect(ev.image.digest).toMatch(DIGEST_RE);
    expect(ev.image.repository).toMatch(OCI_NAME);
    expect(Number.isNaN(Date.parse(ev.time))).toBe(false);
    for (const tag of ev.image.tags) expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
    if (ev.kind === "referrer-pushed") expect(ev.subjectDigest).toMatch(DIGEST_RE);
    if (ev.kind === "scan-completed") {
      for (const n of Object.values(ev.reportedCounts ?? {})) {
        expect(Number.isInteger(n) && n >= 0).toBe(true);
      }
    }
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

/** Values that probe the validators: near-miss digests, tags, names and times, odd types. */
const tricky = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    "",
    "sha256:",
    `sha256:${"g".repeat(64)}`,
    `sha256:${"A".repeat(64)}`,
    `sha256:${"a".repeat(65)}`,
    `sha256-${"a".repeat(64)}.sig`,
    `sha256-${"a".repeat(64)}.att`,
    "push",
    "delete",
    "pull",
    "mount",
    "PUSH_ARTIFACT",
    "DELETE_ARTIFACT",
    "SCANNING_COMPLETED",
    "SCANNING_FAILED",
    "harbor.artifact.pushed",
    "harbor.scan.failed",
    "1.0",
    "sbom",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json; charset=utf-8",
    "application/json",
    "2024-13-01T00:00:00Z",
    "2023-04-03T06:04:46Z",
    "__proto__",
    "constructor",
    "Critical",
    "a".repeat(5000),
    { __proto__: null, polluted: true },
    { summary: { summary: { Critical: 1 } } },
    -1,
    1.5,
    1680501893,
    Number.MAX_SAFE_INTEGER,
  ),
);

describe("webhook parsers under random input", () => {
  it("throw nothing but EventParseError for arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        check(attempt(() => parseDistributionEnvelope(raw, opts)));
        check(attempt(() => parseHarborWebhook(raw, opts)));
      }),
      { numRuns: 3000 },
    );
  });

  it("throw nothing but EventParseError for envelopes and payloads with random fields", () => {
    const entryKeys = ["id", "timestamp", "action", "target", "actor", "request", "source"];
    const targetKeys = ["mediaType", "digest", "repository", "tag", "size", "url", "references"];
    const entry = fc
      .record({
        entry: fc.dictionary(fc.constantFrom(...entryKeys), tricky),
        target: fc.dictionary(fc.constantFrom(...targetKeys), tricky),
        hasTarget: fc.boolean(),
      })
      .map(({ entry, target, hasTarget }) => (hasTarget ? { ...entry, target } : entry));
    const envelope = fc.array(entry, { maxLength: 4 }).map((events) => ({ events }));

    const topKeys = [
      "type",
      "occur_at",
      "operator",
      "specversion",
      "id",
      "time",
      "datacontenttype",
    ];
    const dataKeys = ["resources", "repository", "scan"];
    const resourceKeys = ["digest", "tag", "resource_url", "scan_overview", "sbom_overview"];
    const harbor = fc
      .record({
        top: fc.dictionary(fc.constantFrom(...topKeys), tricky),
        data: fc.dictionary(fc.constantFrom(...dataKeys), tricky),
        resources: fc.array(fc.dictionary(fc.constantFrom(...resourceKeys), tricky), {
          maxLength: 3,
        }),
        dataKey: fc.constantFrom("event_data", "data"),
      })
      .map(({ top, data, resources, dataKey }) => ({
        ...top,
        [dataKey]: { ...data, resources, repository: { repo_full_name: "harbor/alpine" } },
      }));

    fc.assert(
      fc.property(envelope, harbor, (env, hb) => {
        check(attempt(() => parseDistributionEnvelope(env, opts)));
        check(attempt(() => parseHarborWebhook(hb, opts)));
      }),
      { numRuns: 1500 },
    );
  });

  it("throw nothing but EventParseError for fixtures with fields dropped or replaced", () => {
    const mutated = (fixtures: unknown[]) =>
      fc
        .constantFrom(...fixtures)
        .chain((raw) =>
          fc.tuple(
            fc.constant(raw),
            fc.array(
              fc.tuple(
                fc.constantFrom(...pathsOf(raw)),
                fc.constantFrom("drop" as const, "replace" as const),
                tricky,
              ),
              { minLength: 1, maxLength: 4 },
            ),
          ),
        );
    const run = (raw: unknown, mutations: [Path, "drop" | "replace", unknown][]) => {
      let current = raw;
      for (const [path, op, value] of mutations) {
        // An earlier mutation may have removed this path's parent: skip it then.
        try {
          current = applyMutation(current, path, op, value);
        } catch {}
      }
      return current;
    };
    fc.assert(
      fc.property(mutated(distributionFixtures), ([raw, mutations]) =>
        check(attempt(() => parseDistributionEnvelope(run(raw, mutations), opts))),
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(mutated(harborFixtures), ([raw, mutations]) =>
        check(attempt(() => parseHarborWebhook(run(raw, mutations), opts))),
      ),
      { numRuns: 3000 },
    );
  });

  it("parseWebhook throws nothing but EventParseError, whatever the content type", () => {
    const contentType = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.constantFrom(
        "application/json",
        "application/cloudevents+json",
        "application/vnd.docker.distribution.events.v1+json",
        "application/vnd.docker.distribution.events.v2+json; charset=utf-8",
      ),
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(...distributionFixtures, ...harborFixtures),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<WebhookKind>("distribution", "harbor"),
        contentType,
        body,
        (kind, ct, b) => check(attempt(() => parseWebhook(kind, ct, b, opts))),
      ),
      { numRuns: 3000 },
    );
  });

  it("gives the same events for the same body, every time (ids are deterministic)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...harborFixtures, ...distributionFixtures), (raw) => {
        const parse = (b: unknown) =>
          Object.hasOwn(b as object, "events")
            ? parseDistributionEnvelope(b, opts)
            : parseHarborWebhook(b, opts);
        expect(parse(structuredClone(raw))).toEqual(parse(structuredClone(raw)));
      }),
      { numRuns: 100 },
    );
  });
});
