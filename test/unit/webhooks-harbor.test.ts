import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { HARBOR_CLOUDEVENT_TYPES } from "../../shared/events/harbor-payload.ts";
import { parseHarborWebhook } from "../../shared/events/harbor-webhook.ts";

const FIXTURES = new URL("../fixtures/webhooks/harbor/", import.meta.url);
const HOST = "harbor.example.com";

type Json = Record<string, unknown>;
type Format = "default" | "cloudevents";

function fixture(format: Format, name: string): Json {
  return JSON.parse(readFileSync(new URL(`${format}/${name}`, FIXTURES), "utf8"));
}

function parse(body: unknown) {
  return parseHarborWebhook(body, { registryHost: HOST });
}

/** The documented id derivation, recomputed here independently of the parser. */
function expectedId(type: string, occurAt: number, repo: string, digest: string, tag: string) {
  const material = JSON.stringify([type, occurAt, repo, digest, tag]);
  return `harbor-${createHash("sha256").update(material).digest("hex")}`;
}

/** The Default body as Harbor's CloudEvents formatter would send it (formats/cloudevents.go). */
function asCloudEvent(body: Json, id: string): Json {
  return {
    specversion: "1.0",
    id,
    requestid: "0f0e0d0c-0b0a-4908-8706-050403020100",
    source: "/projects/2/webhook/policies/15",
    type: HARBOR_CLOUDEVENT_TYPES[body.type as string],
    datacontenttype: "application/json",
    time: new Date((body.occur_at as number) * 1000).toISOString().replace(".000Z", "Z"),
    data: body.event_data,
    operator: body.operator,
  };
}

const ALPINE = "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4";
const ALPINE_38 = "sha256:2bb501e6173d9d006e56de5bce2720eb06396803300fe1687b58a7ff32bf4c14";
const image = (digest: string, tags: string[] = []) => ({
  registry: "oci",
  registryId: HOST,
  repository: "harbor/alpine",
  digest,
  tags,
});

describe("Harbor Default format, documented samples", () => {
  it("PUSH_ARTIFACT of an untagged artifact (the digest in `tag`) → image-pushed, no tags", () => {
    expect(parse(fixture("default", "push-artifact.json"))).toEqual([
      {
        kind: "image-pushed",
        eventId: expectedId("PUSH_ARTIFACT", 1680501893, "harbor/alpine", ALPINE, ALPINE),
        time: "2023-04-03T06:04:53Z",
        source: "harbor",
        principal: "harbor-jobservice",
        image: image(ALPINE),
      },
    ]);
  });

  it("PUSH_ARTIFACT with a tag keeps it", () => {
    const digest = "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8";
    expect(parse(fixture("default", "push-artifact-tagged.json"))).toEqual([
      {
        kind: "image-pushed",
        eventId: expectedId("PUSH_ARTIFACT", 1586922308, "test-webhook/debian", digest, "latest"),
        time: "2020-04-15T03:45:08Z",
        source: "harbor",
        principal: "admin",
        image: {
          registry: "oci",
          registryId: HOST,
          repository: "test-webhook/debian",
          digest,
          tags: ["latest"],
        },
      },
    ]);
  });

  it("DELETE_ARTIFACT → image-deleted with the deleted tag", () => {
    expect(parse(fixture("default", "delete-artifact.json"))).toEqual([
      {
        kind: "image-deleted",
        eventId: expectedId("DELETE_ARTIFACT", 1680502598, "harbor/alpine", ALPINE_38, "3.8"),
        time: "2023-04-03T06:16:38Z",
        source: "harbor",
        principal: "harbor-jobservice",
        image: image(ALPINE_38, ["3.8"]),
      },
    ]);
  });

  it("SCANNING_COMPLETED with no findings → scan-completed COMPLETE with empty counts", () => {
    expect(parse(fixture("default", "scanning-completed.json"))).toEqual([
      {
        kind: "scan-completed",
        eventId: expectedId("SCANNING_COMPLETED", 1680502375, "harbor/alpine", ALPINE, ""),
        time: "2023-04-03T06:12:55Z",
        source: "harbor",
        principal: "auto",
        image: image(ALPINE),
        scanType: "basic",
        status: "COMPLETE",
        reportedCounts: {},
      },
    ]);
  });

  it("SCANNING_COMPLETED with findings → Harbor's severity words upper-cased, totals dropped", () => {
    const [ev] = parse(fixture("default", "scanning-completed-findings.json"));
    expect(ev).toMatchObject({
      kind: "scan-completed",
      image: image(ALPINE_38, ["3.8"]),
      status: "COMPLETE",
      reportedCounts: { CRITICAL: 1, HIGH: 3, LOW: 7 },
    });
    expect(ev?.kind === "scan-completed" && Object.keys(ev.reportedCounts ?? {})).toEqual([
      "CRITICAL",
      "HIGH",
      "LOW",
    ]);
  });

  it("SCANNING_FAILED → scan-completed FAILED without counts (summary is null)", () => {
    const digest = "sha256:dabea2944dcc2b86482b4f0b0fb62da80e0673e900c46c0e03b45919881a5d84";
    expect(parse(fixture("default", "scanning-failed.json"))).toEqual([
      {
        kind: "scan-completed",
        eventId: expectedId("SCANNING_FAILED", 1680505885, "harbor/alpine", digest, ""),
        time: "2023-04-03T07:11:25Z",
        source: "harbor",
        principal: "auto",
        image: image(digest),
        scanType: "basic",
        status: "FAILED",
      },
    ]);
  });

  it("ignores SBOM generation reported as SCANNING_COMPLETED", () => {
    expect(parse(fixture("default", "scanning-completed-sbom.json"))).toEqual([
      {
        kind: "ignored",
        eventId: expect.stringMatching(/^harbor-[a-f0-9]{64}$/),
        source: "harbor",
        reason: expect.stringContaining("SBOM"),
      },
    ]);
  });

  it.each([
    ["pull-artifact.json", "PULL_ARTIFACT"],
    ["scanning-stopped.json", "SCANNING_STOPPED"],
    ["quota-exceed.json", "QUOTA_EXCEED"],
    ["quota-warning.json", "QUOTA_WARNING"],
    ["replication.json", "REPLICATION"],
    ["tag-retention.json", "TAG_RETENTION"],
  ])("ignores %s (%s) with one IgnoredEvent naming the type", (name, type) => {
    const out = parse(fixture("default", name));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: "ignored", source: "harbor" });
    expect(out[0]?.kind === "ignored" && out[0].reason).toContain(`"${type}"`);
  });
});

describe("Harbor CloudEvents format, documented samples", () => {
  it("harbor.artifact.pushed → image-pushed; time as sent; operator extension as principal", () => {
    expect(parse(fixture("cloudevents", "push-artifact.json"))).toEqual([
      {
        kind: "image-pushed",
        eventId: expectedId("PUSH_ARTIFACT", 1680501886, "harbor/alpine", ALPINE, ALPINE),
        time: "2023-04-03T06:04:46Z",
        source: "harbor",
        principal: "harbor-jobservice",
        image: image(ALPINE),
      },
    ]);
  });

  it.each(["delete-artifact.json", "scanning-completed.json", "scanning-failed.json"])(
    "%s gives exactly what the Default sample of the same occurrence gives",
    (name) => {
      const ce = parse(fixture("cloudevents", name));
      expect(ce).toEqual(parse(fixture("default", name)));
      expect(ce[0]?.kind).not.toBe("ignored");
    },
  );

  it("a cosign signature push → referrer-pushed of the subject the tag names", () => {
    expect(parse(fixture("cloudevents", "push-cosign-signature.json"))).toEqual([
      {
        kind: "referrer-pushed",
        eventId: expect.stringMatching(/^harbor-[a-f0-9]{64}$/),
        time: "2023-04-03T06:05:12Z",
        source: "harbor",
        principal: "robot$harbor+signer",
        image: image("sha256:e802987f152d7826cf929ad4999fb3bb956ce7a30966aeb46c749f9120eaf22c", [
          `sha256-${ALPINE.slice(7)}.sig`,
        ]),
        subjectDigest: ALPINE,
      },
    ]);
  });

  it.each([
    "pull-artifact.json",
    "scanning-stopped.json",
    "quota-exceed.json",
    "quota-warning.json",
    "replication.json",
    "tag-retention.json",
  ])("ignores %s", (name) => {
    const out = parse(fixture("cloudevents", name));
    expect(out).toEqual([expect.objectContaining({ kind: "ignored", source: "harbor" })]);
  });
});

describe("Harbor event ids", () => {
  const push = () => fixture("default", "push-artifact-tagged.json");

  it("are the same for one event in either format, whatever the CloudEvents id", () => {
    const a = parse(asCloudEvent(push(), "11111111-1111-4111-8111-111111111111"));
    const b = parse(asCloudEvent(push(), "22222222-2222-4222-8222-222222222222"));
    expect(a).toEqual(parse(push()));
    expect(b).toEqual(a);
  });

  it("differ when the type, time, repository, digest or tag differ", () => {
    const base = parse(push())[0]?.eventId;
    const variants: ((b: Json) => void)[] = [
      (b) => {
        b.type = "DELETE_ARTIFACT";
      },
      (b) => {
        b.occur_at = 1586922309;
      },
      (b) => {
        (b.event_data as Json).repository = { repo_full_name: "test-webhook/other" };
      },
      (b) => {
        const [r] = (b.event_data as { resources: Json[] }).resources;
        (r as Json).digest = ALPINE;
      },
      (b) => {
        const [r] = (b.event_data as { resources: Json[] }).resources;
        (r as Json).tag = "stable";
      },
    ];
    const ids = variants.map((edit) => {
      const body = push();
      edit(body);
      return parse(body)[0]?.eventId;
    });
    expect(new Set([base, ...ids]).size).toBe(variants.length + 1);
  });

  it("gives one event per resource, each with its own id", () => {
    const body = fixture("default", "delete-artifact.json");
    const data = body.event_data as { resources: Json[] };
    data.resources.push({ digest: ALPINE, tag: "3.17" });
    const out = parse(body);
    expect(out.map((e) => e.kind === "image-deleted" && e.image.tags)).toEqual([["3.8"], ["3.17"]]);
    expect(out[0]?.eventId).not.toBe(out[1]?.eventId);
  });
});

describe("Harbor: identity and edge cases", () => {
  it("takes the registry from our configuration, never from resource_url", () => {
    const body = fixture("default", "push-artifact-tagged.json");
    const [ev] = parseHarborWebhook(body, { registryHost: "harbor.internal:8443" });
    expect(ev?.kind === "image-pushed" && ev.image.registryId).toBe("harbor.internal:8443");
  });

  it("has no principal when the operator is empty (quota events) or absent", () => {
    for (const op of ["", undefined]) {
      const body = fixture("default", "delete-artifact.json");
      if (op === undefined) delete body.operator;
      else body.operator = op;
      expect(parse(body)[0]).not.toHaveProperty("principal");
    }
  });

  it("ignores an unknown Harbor type, but refuses a CloudEvent that is not Harbor's", () => {
    const future = fixture("default", "push-artifact.json");
    future.type = "ARTIFACT_LABELED";
    expect(parse(future)[0]?.kind).toBe("ignored");
    const futureCe = fixture("cloudevents", "push-artifact.json");
    futureCe.type = "harbor.artifact.labeled";
    expect(parse(futureCe)[0]?.kind).toBe("ignored");
    const other = fixture("cloudevents", "push-artifact.json");
    other.type = "com.github.push";
    expect(() => parse(other)).toThrowError(
      expect.objectContaining({ code: "EVENT_UNKNOWN_TYPE", eventId: other.id }),
    );
    expect(() => parse(other)).toThrow(EventParseError);
  });

  it("reads a vulnerability scan named as such (Harbor 2.11+ `scan.scan_type`)", () => {
    const body = fixture("default", "scanning-completed-findings.json");
    (body.event_data as Json).scan = { scan_type: "vulnerability" };
    expect(parse(body)[0]).toMatchObject({ kind: "scan-completed", status: "COMPLETE" });
  });
});
