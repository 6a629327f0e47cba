import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDistributionEnvelope } from "../../shared/events/distribution-envelope.ts";
import {
  EventParseError,
  type EventParseErrorCode,
} from "../../shared/events/event-parse-error.ts";
import { parseHarborWebhook } from "../../shared/events/harbor-webhook.ts";

const FIXTURES = new URL("../fixtures/webhooks/", import.meta.url);
const opts = { registryHost: "registry.example.com" };

type Json = Record<string | number, unknown>;
type Key = string | number;

function fixture(path: string): Json {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8")) as Json;
}

const DROP = Symbol("drop");

/** Sets (or with DROP, deletes) the value at a path. */
function mutate(path: string, at: Key[], value: unknown): Json {
  const raw = fixture(path);
  let node = raw;
  for (const key of at.slice(0, -1)) node = node[key] as Json;
  const last = at.at(-1) as Key;
  if (value === DROP) delete node[last];
  else node[last] = value;
  return raw;
}

function parseError(parse: () => unknown): EventParseError {
  try {
    parse();
  } catch (err) {
    if (err instanceof EventParseError) return err;
    throw err;
  }
  throw new Error("expected an EventParseError, the body parsed");
}

interface Case {
  what: string;
  fixture: string;
  at: Key[];
  value: unknown;
  code: EventParseErrorCode;
  /** The field path the error must name. */
  field: string;
}

const T = ["events", 0, "target"];
const PUSH = "distribution/manifest-push-tagged.json";
const DELETE = "distribution/manifest-delete.json";

const DISTRIBUTION_CASES: Case[] = [
  {
    what: "missing digest",
    fixture: PUSH,
    at: [...T, "digest"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "events[0].target.digest",
  },
  {
    what: "the docs' 65-hex digest on a manifest",
    fixture: PUSH,
    at: [...T, "digest"],
    value: "sha256:c3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d5",
    code: "EVENT_INVALID_DIGEST",
    field: "events[0].target.digest",
  },
  {
    what: "sha512 digest on a delete",
    fixture: DELETE,
    at: [...T, "digest"],
    value: `sha512:${"a".repeat(128)}`,
    code: "EVENT_INVALID_DIGEST",
    field: "events[0].target.digest",
  },
  {
    what: "upper-case repository",
    fixture: PUSH,
    at: [...T, "repository"],
    value: "Library/Test",
    code: "EVENT_INVALID_REPOSITORY",
    field: "events[0].target.repository",
  },
  {
    what: "missing repository on a delete",
    fixture: DELETE,
    at: [...T, "repository"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "events[0].target.repository",
  },
  {
    what: "tag with a slash",
    fixture: PUSH,
    at: [...T, "tag"],
    value: "v1/evil",
    code: "EVENT_INVALID",
    field: "events[0].target.tag",
  },
  {
    what: "tag starting with a dash",
    fixture: PUSH,
    at: [...T, "tag"],
    value: "-latest",
    code: "EVENT_INVALID",
    field: "events[0].target.tag",
  },
  {
    what: "numeric media type",
    fixture: PUSH,
    at: [...T, "mediaType"],
    value: 7,
    code: "EVENT_INVALID",
    field: "events[0].target.mediaType",
  },
  {
    what: "non-ISO timestamp",
    fixture: PUSH,
    at: ["events", 0, "timestamp"],
    value: "2016-03-09 14:44:26",
    code: "EVENT_INVALID_TIME",
    field: "events[0].timestamp",
  },
  {
    what: "missing timestamp",
    fixture: DELETE,
    at: ["events", 0, "timestamp"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "events[0].timestamp",
  },
  {
    what: "numeric id",
    fixture: PUSH,
    at: ["events", 0, "id"],
    value: 12,
    code: "EVENT_INVALID",
    field: "events[0].id",
  },
  {
    what: "missing action",
    fixture: PUSH,
    at: ["events", 0, "action"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "events[0].action",
  },
  {
    what: "missing target",
    fixture: PUSH,
    at: ["events", 0, "target"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "events[0].target",
  },
  {
    what: "numeric actor name",
    fixture: PUSH,
    at: ["events", 0, "actor", "name"],
    value: 5,
    code: "EVENT_INVALID",
    field: "events[0].actor.name",
  },
  {
    what: "an entry that is not an object",
    fixture: PUSH,
    at: ["events", 0],
    value: "push",
    code: "EVENT_INVALID",
    field: "events[0]",
  },
  {
    what: "a bad second entry",
    fixture: "distribution/v3-mount-and-index-push.json",
    at: ["events", 1, "target", "digest"],
    value: "sha256:nope",
    code: "EVENT_INVALID_DIGEST",
    field: "events[1].target.digest",
  },
  {
    what: "events not an array",
    fixture: PUSH,
    at: ["events"],
    value: {},
    code: "EVENT_INVALID",
    field: "events",
  },
  {
    what: "no events",
    fixture: PUSH,
    at: ["events"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "events",
  },
];

const REPORT = "application/vnd.security.vulnerability.report; version=1.1";
const RES = ["event_data", "resources", 0];
const H_PUSH = "harbor/default/push-artifact-tagged.json";
const H_SCAN = "harbor/default/scanning-completed-findings.json";
const CE_PUSH = "harbor/cloudevents/push-artifact.json";

const HARBOR_CASES: Case[] = [
  {
    what: "missing type",
    fixture: H_PUSH,
    at: ["type"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "type",
  },
  {
    what: "lower-case type",
    fixture: H_PUSH,
    at: ["type"],
    value: "push_artifact",
    code: "EVENT_UNKNOWN_TYPE",
    field: "type",
  },
  {
    what: "occur_at as a string",
    fixture: H_PUSH,
    at: ["occur_at"],
    value: "1586922308",
    code: "EVENT_INVALID",
    field: "occur_at",
  },
  {
    what: "negative occur_at",
    fixture: H_PUSH,
    at: ["occur_at"],
    value: -1,
    code: "EVENT_INVALID_TIME",
    field: "occur_at",
  },
  {
    what: "occur_at in milliseconds past year 9999",
    fixture: H_PUSH,
    at: ["occur_at"],
    value: 1586922308000000,
    code: "EVENT_INVALID_TIME",
    field: "occur_at",
  },
  {
    what: "missing occur_at",
    fixture: H_PUSH,
    at: ["occur_at"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "occur_at",
  },
  {
    what: "numeric operator",
    fixture: H_PUSH,
    at: ["operator"],
    value: 1,
    code: "EVENT_INVALID",
    field: "operator",
  },
  {
    what: "missing event_data",
    fixture: H_PUSH,
    at: ["event_data"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "event_data",
  },
  {
    what: "no resources",
    fixture: H_PUSH,
    at: ["event_data", "resources"],
    value: [],
    code: "EVENT_INVALID",
    field: "event_data.resources",
  },
  {
    what: "bad resource digest",
    fixture: H_PUSH,
    at: [...RES, "digest"],
    value: "sha256:abc",
    code: "EVENT_INVALID_DIGEST",
    field: "event_data.resources[0].digest",
  },
  {
    what: "missing resource digest",
    fixture: H_PUSH,
    at: [...RES, "digest"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "event_data.resources[0].digest",
  },
  {
    what: "tag that is neither a tag nor a digest",
    fixture: H_PUSH,
    at: [...RES, "tag"],
    value: "latest; rm -rf",
    code: "EVENT_INVALID",
    field: "event_data.resources[0].tag",
  },
  {
    what: "upper-case repository",
    fixture: H_PUSH,
    at: ["event_data", "repository", "repo_full_name"],
    value: "Test-Webhook/Debian",
    code: "EVENT_INVALID_REPOSITORY",
    field: "event_data.repository.repo_full_name",
  },
  {
    what: "missing repository",
    fixture: H_PUSH,
    at: ["event_data", "repository"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "event_data.repository",
  },
  {
    what: "negative severity count",
    fixture: H_SCAN,
    at: [...RES, "scan_overview", REPORT, "summary", "summary", "High"],
    value: -3,
    code: "EVENT_INVALID",
    field: `event_data.resources[0].scan_overview[${JSON.stringify(REPORT)}].summary.summary.High`,
  },
  {
    what: "numeric scan type",
    fixture: H_SCAN,
    at: ["event_data", "scan"],
    value: { scan_type: 1 },
    code: "EVENT_INVALID",
    field: "event_data.scan.scan_type",
  },
  {
    what: "CloudEvents spec version 0.3",
    fixture: CE_PUSH,
    at: ["specversion"],
    value: "0.3",
    code: "EVENT_INVALID",
    field: "specversion",
  },
  {
    what: "CloudEvent without id",
    fixture: CE_PUSH,
    at: ["id"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "id",
  },
  {
    what: "CloudEvent time as epoch",
    fixture: CE_PUSH,
    at: ["time"],
    value: 1680501886,
    code: "EVENT_INVALID",
    field: "time",
  },
  {
    what: "CloudEvent impossible date",
    fixture: CE_PUSH,
    at: ["time"],
    value: "2023-02-30T06:04:46Z",
    code: "EVENT_INVALID_TIME",
    field: "time",
  },
  {
    what: "CloudEvent data that is not JSON",
    fixture: CE_PUSH,
    at: ["datacontenttype"],
    value: "application/xml",
    code: "EVENT_INVALID",
    field: "datacontenttype",
  },
  {
    what: "CloudEvent bad digest",
    fixture: CE_PUSH,
    at: ["data", "resources", 0, "digest"],
    value: `sha256:${"A".repeat(64)}`,
    code: "EVENT_INVALID_DIGEST",
    field: "data.resources[0].digest",
  },
  {
    what: "CloudEvent without data",
    fixture: CE_PUSH,
    at: ["data"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "data",
  },
];

describe("malformed distribution notifications", () => {
  it.each(DISTRIBUTION_CASES)("$fixture with $what → $code at $field", (c) => {
    const raw = mutate(c.fixture, c.at, c.value);
    const err = parseError(() => parseDistributionEnvelope(raw, opts));
    expect(err.code).toBe(c.code);
    expect(err.path).toBe(c.field);
    expect(err.message).toContain(` ${c.field} `);
    expect(err.message).toContain('"distribution notification"');
    expect(err.problems[0]).toMatchObject({ path: c.field, code: c.code });
  });

  it("names the entry's id and says what was wrong", () => {
    const raw = mutate(PUSH, [...T, "digest"], DROP);
    const err = parseError(() => parseDistributionEnvelope(raw, opts));
    expect(err.eventId).toBe("8b2f1c0e-5d4a-4e61-9a53-2f7c9d1e4b80");
    expect(err.message).toBe(
      'Invalid "distribution notification" event 8b2f1c0e-5d4a-4e61-9a53-2f7c9d1e4b80: events[0].target.digest is required but missing',
    );
  });

  it("rejects the whole envelope when one entry is bad, however many are good", () => {
    const raw = fixture("distribution/envelope-docs.json") as { events: Json[] };
    const bad = structuredClone(raw.events[0]) as { target: Json };
    bad.target.repository = "BAD";
    raw.events.push(bad);
    const err = parseError(() => parseDistributionEnvelope(raw, opts));
    expect(err.path).toBe("events[3].target.repository");
  });

  it("refuses more events than any registry sends in one request", () => {
    const raw = fixture("distribution/manifest-pull.json") as { events: unknown[] };
    raw.events = Array.from({ length: 1001 }, () => raw.events[0]);
    const err = parseError(() => parseDistributionEnvelope(raw, opts));
    expect(err).toMatchObject({ code: "EVENT_INVALID", path: "events" });
  });

  it("does not validate what it ignores: a pull with a broken digest is still just a pull", () => {
    const raw = mutate("distribution/manifest-pull.json", [...T, "digest"], "nope");
    expect(parseDistributionEnvelope(raw, opts)).toMatchObject([{ kind: "ignored" }]);
  });
});

describe("malformed Harbor webhooks", () => {
  it.each(HARBOR_CASES)("$fixture with $what → $code at $field", (c) => {
    const raw = mutate(c.fixture, c.at, c.value);
    const err = parseError(() => parseHarborWebhook(raw, opts));
    expect(err.code).toBe(c.code);
    expect(err.path).toBe(c.field);
    if (c.code !== "EVENT_UNKNOWN_TYPE") {
      expect(err.message).toContain(` ${c.field} `);
      expect(err.problems[0]).toMatchObject({ path: c.field, code: c.code });
    }
    expect(err.message).toContain("Harbor");
    if (typeof raw.id === "string") expect(err.eventId).toBe(raw.id);
  });

  it("names the Harbor event type in the message", () => {
    const err = parseError(() => parseHarborWebhook(mutate(H_SCAN, [...RES, "digest"], "x"), opts));
    expect(err.eventType).toBe("Harbor SCANNING_COMPLETED");
    expect(err.message).toMatch(
      /^Invalid "Harbor SCANNING_COMPLETED" event: event_data\.resources\[0\]\.digest must be "sha256:"/,
    );
  });

  it("does not validate the data of a type it ignores", () => {
    const raw = mutate("harbor/default/pull-artifact.json", ["event_data"], "garbage");
    expect(parseHarborWebhook(raw, opts)).toMatchObject([{ kind: "ignored" }]);
  });

  it("never puts a large value into its message", () => {
    const huge = "a".repeat(1_000_000);
    const err = parseError(() =>
      parseHarborWebhook(
        mutate(H_PUSH, ["event_data", "repository", "repo_full_name"], huge),
        opts,
      ),
    );
    expect(err.code).toBe("EVENT_INVALID_REPOSITORY");
    expect(err.message.length).toBeLessThan(600);
    expect(err.message).toContain("(1000000 characters)");
  });
});
