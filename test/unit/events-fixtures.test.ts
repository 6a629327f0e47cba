import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { EVENT_TYPES, parseRegistryEvent } from "../../shared/events/parse-event.ts";

const FIXTURES = new URL("../fixtures/events/", import.meta.url);
const EXAMPLES = new URL("../../examples/events/", import.meta.url);

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
}

const DOC_DIGEST = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678";

describe("ECR Image Action", () => {
  it("turns a successful PUSH into image-pushed, registry and region from the envelope", () => {
    expect(parseRegistryEvent(fixture("ecr-image-push.json"))).toEqual({
      kind: "image-pushed",
      eventId: "13cde686-328b-6117-af20-0e5566167482",
      time: "2019-11-16T01:54:34Z",
      source: "ecr",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-west-2",
        repository: "my-repository-name",
        digest: DOC_DIGEST,
        tags: ["latest"],
      },
    });
  });

  it("turns a successful DELETE into image-deleted", () => {
    const ev = parseRegistryEvent(fixture("ecr-image-delete.json"));
    expect(ev).toEqual({
      kind: "image-deleted",
      eventId: "dd3b46cb-2c74-f49e-393b-28286b67279d",
      time: "2019-11-16T02:01:05Z",
      source: "ecr",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-west-2",
        repository: "my-repository-name",
        digest: DOC_DIGEST,
        tags: ["latest"],
      },
    });
  });

  it("ignores a FAILURE with a reason that says so", () => {
    const ev = parseRegistryEvent(fixture("ecr-image-push-failure.json"));
    expect(ev).toEqual({
      kind: "ignored",
      eventId: "2a7d9f3e-5b1c-4e8a-9d6f-0c3b8e1a4f72",
      source: "ecr",
      reason: expect.stringContaining('result "FAILURE"'),
    });
  });

  it("ignores the storage-class change that archiving (quarantine) causes", () => {
    const ev = parseRegistryEvent(fixture("ecr-image-archive.json"));
    expect(ev.kind).toBe("ignored");
    expect(ev.eventId).toBe("4f5ec4d5-4de4-7aad-a046-EXAMPLE");
    expect(ev.kind === "ignored" && ev.reason).toContain("UPDATE_STORAGE_CLASS");
  });

  it("keeps the manifest media type of a push, and no tag for a push by digest", () => {
    const raw = fixture("ecr-image-archive.json") as { detail: Record<string, unknown> };
    raw.detail["action-type"] = "PUSH";
    const ev = parseRegistryEvent(raw);
    expect(ev).toMatchObject({
      kind: "image-pushed",
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      image: { repository: "ubuntu", region: "us-east-1", tags: [] },
    });
  });
});

describe("ECR Image Scan (basic)", () => {
  it("turns a COMPLETE scan into scan-completed with the reported counts", () => {
    expect(parseRegistryEvent(fixture("ecr-basic-scan-complete.json"))).toEqual({
      kind: "scan-completed",
      eventId: "85fc3613-e913-7fc4-a80c-a3753e4aa9ae",
      time: "2019-10-29T02:36:48Z",
      source: "ecr",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-east-1",
        repository: "my-repository-name",
        digest: DOC_DIGEST,
        tags: [],
      },
      scanType: "basic",
      status: "COMPLETE",
      reportedCounts: { CRITICAL: 10, MEDIUM: 9 },
    });
  });

  it("passes a FAILED scan on as scan-completed with status FAILED and no counts", () => {
    const ev = parseRegistryEvent(fixture("ecr-basic-scan-failed.json"));
    expect(ev).toEqual({
      kind: "scan-completed",
      eventId: "b4e0c1d2-7a3f-4c5e-8b9d-1f2a3c4d5e6f",
      time: "2019-10-29T02:40:02Z",
      source: "ecr",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-east-1",
        repository: "my-repository-name",
        digest: DOC_DIGEST,
        tags: ["v1.2.0", "latest"],
      },
      scanType: "basic",
      status: "FAILED",
    });
  });
});

describe("Inspector2", () => {
  it("turns an ECR initial scan into an enhanced scan-completed, image from the repository ARN", () => {
    expect(parseRegistryEvent(fixture("inspector2-scan.json"))).toEqual({
      kind: "scan-completed",
      eventId: "739c0d3c-4f02-85c7-5a88-94a9EXAMPLE",
      time: "2021-12-03T18:03:16Z",
      source: "inspector2",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-east-2",
        repository: "amazon/amazon-ecs-sample",
        digest: "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e50a1b2c3d4e",
        tags: ["latest"],
      },
      scanType: "enhanced",
      status: "INITIAL_SCAN_COMPLETE",
      reportedCounts: { CRITICAL: 7, HIGH: 61, MEDIUM: 62 },
    });
  });

  it("takes registry id and region from the ARN even when the envelope says otherwise", () => {
    const raw = fixture("inspector2-scan.json") as { detail: Record<string, unknown> };
    raw.detail["repository-name"] = "arn:aws:ecr:eu-west-1:809632081692:repository/team/api";
    const ev = parseRegistryEvent(raw);
    expect(ev).toMatchObject({
      image: { registryId: "809632081692", region: "eu-west-1", repository: "team/api" },
    });
  });

  it("ignores an initial scan of an EC2 instance", () => {
    expect(parseRegistryEvent(fixture("inspector2-scan-ec2.json"))).toEqual({
      kind: "ignored",
      eventId: "28a46762-6ac8-6cc4-4f55-bc9ab99af928",
      source: "inspector2",
      reason: expect.stringContaining("not an ECR image"),
    });
  });

  it("ignores a finding event: findings are read from ECR on completion", () => {
    expect(parseRegistryEvent(fixture("inspector2-finding.json"))).toEqual({
      kind: "ignored",
      eventId: "42dbea55-45ad-b2b4-87a8-afaEXAMPLE",
      source: "inspector2",
      reason: expect.stringContaining("Inspector2 Finding"),
    });
  });
});

describe("ECR Referrer Action", () => {
  it("turns a cosign signature push into referrer-pushed, subject from its tag", () => {
    expect(parseRegistryEvent(fixture("ecr-referrer-push.json"))).toEqual({
      kind: "referrer-pushed",
      eventId: "5e1b7c9a-3d2f-4a8b-b6c4-9f0e2d1a7c35",
      time: "2024-06-12T09:14:27Z",
      source: "ecr",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-east-1",
        repository: "my-repository-name",
        digest: "sha256:c2f4a9e1b7d3058f6a1e9c4b2d7f0a3e5b8c1d6f9a2e4b7c0d3f6a9e1b4c7d02",
        tags: ["sha256-7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678.sig"],
      },
      subjectDigest: DOC_DIGEST,
      artifactType: "application/vnd.dev.cosign.simplesigning.v1+json",
    });
  });

  it("passes on a referrer push whose subject the event does not name, without a subject", () => {
    const ev = parseRegistryEvent(fixture("ecr-referrer-push-untagged.json"));
    expect(ev.kind).toBe("referrer-pushed");
    expect(ev.kind === "referrer-pushed" && ev.subjectDigest).toBeUndefined();
    // The artifact media type is what tells the push handler the referrer is a signature.
    expect(ev.kind === "referrer-pushed" && ev.artifactType).toBe(
      "application/vnd.cncf.notary.signature",
    );
    expect(ev.eventId).toBe("9a4c2e7b-1f3d-4b6a-8c5e-2d7f0b9a3c61");
    expect(ev.kind === "referrer-pushed" && ev.image.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it("ignores the documented storage-class restore", () => {
    const ev = parseRegistryEvent(fixture("ecr-referrer-restore.json"));
    expect(ev.kind).toBe("ignored");
    expect(ev.kind === "ignored" && ev.reason).toContain("UPDATE_STORAGE_CLASS");
  });
});

describe("CloudTrail PutImage", () => {
  it("turns a PutImage call into push-recorded with the caller as principal", () => {
    expect(parseRegistryEvent(fixture("cloudtrail-put-image.json"))).toEqual({
      kind: "push-recorded",
      eventId: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      time: "2019-04-15T16:45:00Z",
      source: "cloudtrail",
      principal: "arn:aws:sts::123456789012:user/Mary_Major",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "us-east-2",
        repository: "testrepo",
        digest: "sha256:98c8b060c21d9adbb6b8c41b916e95e6307102786973ab93a41e8b86d1fc6d3e",
        tags: ["latest"],
      },
      sourceIp: "203.0.113.12",
      userAgent: "console.amazonaws.com",
    });
  });

  it("ignores a call that failed (errorCode), whose response is null", () => {
    expect(parseRegistryEvent(fixture("cloudtrail-put-image-error.json"))).toEqual({
      kind: "ignored",
      eventId: "0f3c5a8e-2b7d-4e91-a6c4-8d1f9b2e7a53",
      source: "cloudtrail",
      reason: expect.stringContaining("ImageTagAlreadyExistsException"),
    });
  });

  it("ignores other ECR API calls delivered by CloudTrail", () => {
    const raw = fixture("cloudtrail-put-image.json") as { detail: Record<string, unknown> };
    raw.detail.eventName = "BatchGetImage";
    const ev = parseRegistryEvent(raw);
    expect(ev.kind === "ignored" && ev.reason).toContain("BatchGetImage");
  });

  it("falls back to the invoking service when the identity has no ARN", () => {
    const raw = fixture("cloudtrail-put-image.json") as { detail: Record<string, unknown> };
    raw.detail.userIdentity = { accountId: "123456789012", invokedBy: "ecr.amazonaws.com" };
    expect(parseRegistryEvent(raw)).toMatchObject({ principal: "ecr.amazonaws.com" });
  });
});

describe("Scan Timeout Check (internal)", () => {
  it("turns our own event into scan-timeout-check", () => {
    expect(parseRegistryEvent(fixture("scan-timeout-check.json"))).toEqual({
      kind: "scan-timeout-check",
      eventId: `scan-timeout:ecr:123456789012/team/api@${DOC_DIGEST}`,
      time: "2024-05-08T21:15:00Z",
      source: "registry-guard",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "eu-west-1",
        repository: "team/api",
        digest: DOC_DIGEST,
        tags: ["1.4.2"],
      },
      pushedAt: "2024-05-08T20:44:54Z",
    });
  });

  it("accepts an OCI registry image, validated by the OCI naming rules", () => {
    const raw = fixture("scan-timeout-check.json") as { detail: Record<string, unknown> };
    raw.detail = {
      registry: "oci",
      registryId: "localhost:5000",
      repository: "library/alpine",
      digest: DOC_DIGEST,
      tags: [],
      pushedAt: "2024-05-08T20:44:54.123+02:00",
    };
    expect(parseRegistryEvent(raw)).toMatchObject({
      kind: "scan-timeout-check",
      image: { registry: "oci", registryId: "localhost:5000", repository: "library/alpine" },
      pushedAt: "2024-05-08T20:44:54.123+02:00",
    });
  });
});

describe("unrelated events", () => {
  it("rejects an EC2 state change as an unknown type, naming what it got", () => {
    const err = catchError(() => parseRegistryEvent(fixture("ec2-instance-state-change.json")));
    expect(err.code).toBe("EVENT_UNKNOWN_TYPE");
    expect(err.eventId).toBe("7bf73129-1428-4cd3-a780-95db273d1602");
    expect(err.message).toContain('"aws.ec2"');
    expect(err.message).toContain('"EC2 Instance State-change Notification"');
  });

  it("rejects a known detail-type from the wrong source", () => {
    const raw = fixture("ecr-image-push.json") as Record<string, unknown>;
    raw.source = "aws.inspector2";
    expect(catchError(() => parseRegistryEvent(raw)).code).toBe("EVENT_UNKNOWN_TYPE");
  });
});

describe("EVENT_TYPES", () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
  const typeOf = (name: string) => {
    const raw = fixture(name) as Record<string, unknown>;
    return `${raw.source}/${raw["detail-type"]}`;
  };

  it("lists every recognised fixture type, and has a fixture for every type it lists", () => {
    const listed = new Set(EVENT_TYPES.map((t) => `${t.source}/${t.detailType}`));
    const seen = new Set(
      fixtures.map(typeOf).filter((t) => t !== "aws.ec2/EC2 Instance State-change Notification"),
    );
    expect([...seen].sort()).toEqual([...listed].sort());
  });

  it("gives each type a pattern that matches its own source and detail-type", () => {
    for (const t of EVENT_TYPES) {
      expect(t.pattern).toMatchObject({ source: [t.source], "detail-type": [t.detailType] });
    }
    expect(EVENT_TYPES.filter((t) => !t.subscribe).map((t) => t.detailType)).toEqual([
      "Inspector2 Finding",
    ]);
  });

  it("says which kinds each type produces, and every fixture's result is among them", () => {
    for (const name of fixtures) {
      const type = EVENT_TYPES.find((t) => `${t.source}/${t.detailType}` === typeOf(name));
      if (!type) continue;
      expect(type.produces, name).toContain(parseRegistryEvent(fixture(name)).kind);
    }
  });
});

describe("examples/events", () => {
  it("are copies of fixtures, so what a newcomer replays is what is tested", () => {
    const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".json"));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const name of examples) {
      expect(JSON.parse(readFileSync(new URL(name, EXAMPLES), "utf8")), name).toEqual(
        fixture(name),
      );
    }
  });
});

function catchError(fn: () => unknown): EventParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EventParseError) return err;
    throw err;
  }
  throw new Error("expected an EventParseError, nothing was thrown");
}
