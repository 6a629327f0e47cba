import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  EventParseError,
  type EventParseErrorCode,
} from "../../shared/events/event-parse-error.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";

const FIXTURES = new URL("../fixtures/events/", import.meta.url);

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Json;
}

/** Sets (or with `undefined`, deletes) the value at a path of object keys. */
function mutate(name: string, path: string[], value: unknown): Json {
  const raw = fixture(name);
  let node = raw;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  const last = path.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return raw;
}

function parseError(raw: unknown): EventParseError {
  try {
    parseRegistryEvent(raw);
  } catch (err) {
    if (err instanceof EventParseError) return err;
    throw err;
  }
  throw new Error("expected an EventParseError, the event parsed");
}

const DROP = undefined;
const PUBLISHED_60_HEX = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234";

interface Case {
  what: string;
  fixture: string;
  path: string[];
  value: unknown;
  code: EventParseErrorCode;
  /** The field path the message must name. */
  field: string;
}

const CASES: Case[] = [
  // ECR Image Action
  {
    what: "missing digest",
    fixture: "ecr-image-push.json",
    path: ["detail", "image-digest"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.image-digest",
  },
  {
    what: "the published sample's 60-hex digest",
    fixture: "ecr-image-push.json",
    path: ["detail", "image-digest"],
    value: PUBLISHED_60_HEX,
    code: "EVENT_INVALID_DIGEST",
    field: "detail.image-digest",
  },
  {
    what: "upper-case digest",
    fixture: "ecr-image-push.json",
    path: ["detail", "image-digest"],
    value: `sha256:${"A".repeat(64)}`,
    code: "EVENT_INVALID_DIGEST",
    field: "detail.image-digest",
  },
  {
    what: "sha512 digest",
    fixture: "ecr-image-push.json",
    path: ["detail", "image-digest"],
    value: `sha512:${"a".repeat(128)}`,
    code: "EVENT_INVALID_DIGEST",
    field: "detail.image-digest",
  },
  {
    what: "upper-case repository",
    fixture: "ecr-image-push.json",
    path: ["detail", "repository-name"],
    value: "My-Repo",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "one-character repository",
    fixture: "ecr-image-push.json",
    path: ["detail", "repository-name"],
    value: "a",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "repository with an empty path part",
    fixture: "ecr-image-push.json",
    path: ["detail", "repository-name"],
    value: "team//api",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "repository with a trailing separator",
    fixture: "ecr-image-push.json",
    path: ["detail", "repository-name"],
    value: "api-",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "missing repository",
    fixture: "ecr-image-delete.json",
    path: ["detail", "repository-name"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.repository-name",
  },
  {
    what: "non-ISO time",
    fixture: "ecr-image-push.json",
    path: ["time"],
    value: "16/11/2019 01:54",
    code: "EVENT_INVALID_TIME",
    field: "time",
  },
  {
    what: "impossible date",
    fixture: "ecr-image-push.json",
    path: ["time"],
    value: "2019-02-30T01:54:34Z",
    code: "EVENT_INVALID_TIME",
    field: "time",
  },
  {
    what: "epoch-number time",
    fixture: "ecr-image-push.json",
    path: ["time"],
    value: 1573869274,
    code: "EVENT_INVALID",
    field: "time",
  },
  {
    what: "missing time",
    fixture: "ecr-image-push.json",
    path: ["time"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "time",
  },
  {
    what: "short account",
    fixture: "ecr-image-push.json",
    path: ["account"],
    value: "12345",
    code: "EVENT_INVALID",
    field: "account",
  },
  {
    what: "region name",
    fixture: "ecr-image-push.json",
    path: ["region"],
    value: "Oregon",
    code: "EVENT_INVALID",
    field: "region",
  },
  {
    what: "null detail",
    fixture: "ecr-image-push.json",
    path: ["detail"],
    value: null,
    code: "EVENT_INVALID",
    field: "detail",
  },
  {
    what: "missing detail",
    fixture: "ecr-image-push.json",
    path: ["detail"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail",
  },
  {
    what: "numeric result",
    fixture: "ecr-image-push.json",
    path: ["detail", "result"],
    value: 42,
    code: "EVENT_INVALID",
    field: "detail.result",
  },
  {
    what: "missing action-type",
    fixture: "ecr-image-push.json",
    path: ["detail", "action-type"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.action-type",
  },
  {
    what: "numeric tag",
    fixture: "ecr-image-push.json",
    path: ["detail", "image-tag"],
    value: 7,
    code: "EVENT_INVALID",
    field: "detail.image-tag",
  },
  {
    what: "empty id",
    fixture: "ecr-image-push.json",
    path: ["id"],
    value: "",
    code: "EVENT_INVALID",
    field: "id",
  },
  // ECR Image Scan
  {
    what: "a number among the tags",
    fixture: "ecr-basic-scan-failed.json",
    path: ["detail", "image-tags"],
    value: ["ok", 5],
    code: "EVENT_INVALID",
    field: "detail.image-tags[1]",
  },
  {
    what: "a negative count",
    fixture: "ecr-basic-scan-complete.json",
    path: ["detail", "finding-severity-counts", "CRITICAL"],
    value: -1,
    code: "EVENT_INVALID",
    field: "detail.finding-severity-counts.CRITICAL",
  },
  {
    what: "a count as a string",
    fixture: "ecr-basic-scan-complete.json",
    path: ["detail", "finding-severity-counts", "MEDIUM"],
    value: "9",
    code: "EVENT_INVALID",
    field: "detail.finding-severity-counts.MEDIUM",
  },
  {
    what: "tags as a string",
    fixture: "ecr-basic-scan-complete.json",
    path: ["detail", "image-tags"],
    value: "latest",
    code: "EVENT_INVALID",
    field: "detail.image-tags",
  },
  {
    what: "missing scan-status",
    fixture: "ecr-basic-scan-complete.json",
    path: ["detail", "scan-status"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.scan-status",
  },
  {
    what: "bad digest in a scan",
    fixture: "ecr-basic-scan-complete.json",
    path: ["detail", "image-digest"],
    value: "latest",
    code: "EVENT_INVALID_DIGEST",
    field: "detail.image-digest",
  },
  // Inspector2
  {
    what: "a plain name where the ARN belongs",
    fixture: "inspector2-scan.json",
    path: ["detail", "repository-name"],
    value: "amazon/amazon-ecs-sample",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "an ARN with a bad repository name",
    fixture: "inspector2-scan.json",
    path: ["detail", "repository-name"],
    value: "arn:aws:ecr:us-east-2:123456789012:repository/Bad_Name",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "a Lambda ARN",
    fixture: "inspector2-scan.json",
    path: ["detail", "repository-name"],
    value: "arn:aws:lambda:us-west-2:111122223333:function:fn",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository-name",
  },
  {
    what: "repository without digest",
    fixture: "inspector2-scan.json",
    path: ["detail", "image-digest"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.image-digest",
  },
  {
    what: "bad time on a finding",
    fixture: "inspector2-finding.json",
    path: ["time"],
    value: "Dec 3, 2021, 6:02:30 PM",
    code: "EVENT_INVALID_TIME",
    field: "time",
  },
  // ECR Referrer Action
  {
    what: "bad referrer digest",
    fixture: "ecr-referrer-push.json",
    path: ["detail", "image-digest"],
    value: "sha256:xyz",
    code: "EVENT_INVALID_DIGEST",
    field: "detail.image-digest",
  },
  {
    what: "numeric artifact type",
    fixture: "ecr-referrer-push.json",
    path: ["detail", "artifact-media-type"],
    value: 1,
    code: "EVENT_INVALID",
    field: "detail.artifact-media-type",
  },
  // CloudTrail PutImage
  {
    what: "missing response digest",
    fixture: "cloudtrail-put-image.json",
    path: ["detail", "responseElements", "image", "imageId", "imageDigest"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.responseElements.image.imageId.imageDigest",
  },
  {
    what: "bad repository in the request",
    fixture: "cloudtrail-put-image.json",
    path: ["detail", "requestParameters", "repositoryName"],
    value: "TestRepo",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.requestParameters.repositoryName",
  },
  {
    what: "null response without an errorCode",
    fixture: "cloudtrail-put-image.json",
    path: ["detail", "responseElements"],
    value: null,
    code: "EVENT_INVALID",
    field: "detail.responseElements",
  },
  {
    what: "missing eventName",
    fixture: "cloudtrail-put-image.json",
    path: ["detail", "eventName"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.eventName",
  },
  {
    what: "numeric source IP",
    fixture: "cloudtrail-put-image.json",
    path: ["detail", "sourceIPAddress"],
    value: 203,
    code: "EVENT_INVALID",
    field: "detail.sourceIPAddress",
  },
  // Scan Timeout Check
  {
    what: "non-ISO pushedAt",
    fixture: "scan-timeout-check.json",
    path: ["detail", "pushedAt"],
    value: "yesterday",
    code: "EVENT_INVALID_TIME",
    field: "detail.pushedAt",
  },
  {
    what: "unknown registry kind",
    fixture: "scan-timeout-check.json",
    path: ["detail", "registry"],
    value: "gcr",
    code: "EVENT_INVALID",
    field: "detail.registry",
  },
  {
    what: "a host as an ECR registry id",
    fixture: "scan-timeout-check.json",
    path: ["detail", "registryId"],
    value: "localhost:5000",
    code: "EVENT_INVALID",
    field: "detail.registryId",
  },
  {
    what: "bad repository",
    fixture: "scan-timeout-check.json",
    path: ["detail", "repository"],
    value: "Team/API",
    code: "EVENT_INVALID_REPOSITORY",
    field: "detail.repository",
  },
  {
    what: "missing digest",
    fixture: "scan-timeout-check.json",
    path: ["detail", "digest"],
    value: DROP,
    code: "EVENT_MISSING_FIELD",
    field: "detail.digest",
  },
  {
    what: "tags as a string",
    fixture: "scan-timeout-check.json",
    path: ["detail", "tags"],
    value: "1.4.2",
    code: "EVENT_INVALID",
    field: "detail.tags",
  },
];

describe("malformed events", () => {
  it.each(CASES)("$fixture with $what → $code at $field", (c) => {
    const raw = mutate(c.fixture, c.path, c.value);
    const err = parseError(raw);
    expect(err.code).toBe(c.code);
    expect(err.path).toBe(c.field);
    expect(err.message).toContain(` ${c.field} `);
    expect(err.message).toContain(`"${raw["detail-type"]}"`);
    expect(err.eventType).toBe(raw["detail-type"]);
    if (typeof raw.id === "string" && raw.id) {
      expect(err.eventId).toBe(raw.id);
      expect(err.message).toContain(raw.id);
    }
    expect(err.problems[0]).toMatchObject({ path: c.field, code: c.code });
  });

  it("says what a missing field is and what a bad value was", () => {
    const missing = parseError(mutate("ecr-image-push.json", ["detail", "image-digest"], DROP));
    expect(missing.message).toBe(
      'Invalid "ECR Image Action" event 13cde686-328b-6117-af20-0e5566167482: detail.image-digest is required but missing',
    );
    const bad = parseError(
      mutate("ecr-image-push.json", ["detail", "image-digest"], PUBLISHED_60_HEX),
    );
    expect(bad.message).toContain('must be "sha256:" followed by 64 lowercase hex characters');
    expect(bad.message).toContain('got "sha256:7f5b2640');
    const wrongType = parseError(mutate("ecr-image-push.json", ["time"], 1573869274));
    expect(wrongType.message).toContain("time must be a string; got 1573869274");
  });

  it("counts further problems and lists them", () => {
    const raw = mutate("ecr-basic-scan-complete.json", ["detail", "image-digest"], "nope");
    (raw.detail as Json)["repository-name"] = "NOPE";
    raw.region = 7;
    const err = parseError(raw);
    expect(err.message).toMatch(/\(and 2 more problems\)$/);
    expect(err.problems.map((p) => p.code).sort()).toEqual(
      ["EVENT_INVALID", "EVENT_INVALID_DIGEST", "EVENT_INVALID_REPOSITORY"].sort(),
    );
  });

  it("names no id when the event has none", () => {
    const err = parseError(mutate("ecr-image-push.json", ["id"], DROP));
    expect(err.code).toBe("EVENT_MISSING_FIELD");
    expect(err.eventId).toBeUndefined();
    expect(err.message).toMatch(/^Invalid "ECR Image Action" event: id is required but missing/);
  });

  it("never puts a large event into its message", () => {
    const huge = "a".repeat(1_000_000);
    const bigRepo = parseError(mutate("ecr-image-push.json", ["detail", "repository-name"], huge));
    expect(bigRepo.code).toBe("EVENT_INVALID_REPOSITORY");
    expect(bigRepo.message).toContain("(1000000 characters)");
    const bigField = mutate(
      "cloudtrail-put-image.json",
      ["detail", "requestParameters", "imageManifest"],
      huge,
    );
    (
      (bigField.detail as Json).responseElements as { image: { imageId: Json } }
    ).image.imageId.imageDigest = "bad";
    const bigId = mutate("ecr-image-push.json", ["id"], huge);
    (bigId.detail as Json)["image-digest"] = "bad";
    for (const err of [bigRepo, parseError(bigField), parseError(bigId)]) {
      expect(err.message.length).toBeLessThan(600);
      expect(JSON.stringify(err.problems).length).toBeLessThan(2000);
    }
  });
});

describe("not events at all", () => {
  it.each([null, undefined, 42, true, [], [{ source: "aws.ecr" }], "{}"])(
    "rejects %j as EVENT_NOT_OBJECT",
    (raw) => {
      const err = parseError(raw);
      expect(err.code).toBe("EVENT_NOT_OBJECT");
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe("EventParseError");
    },
  );

  it("hints that a string should be parsed first", () => {
    expect(parseError('{"source":"aws.ecr"}').message).toContain("parse the JSON first");
  });

  it.each([
    {},
    { source: "aws.ecr" },
    { "detail-type": "ECR Image Action" },
    { source: 5, "detail-type": {} },
  ])("rejects %j as EVENT_UNKNOWN_TYPE, listing what is recognised", (raw) => {
    const err = parseError(raw);
    expect(err.code).toBe("EVENT_UNKNOWN_TYPE");
    expect(err.message).toContain("aws.ecr/ECR Image Action");
  });
});
