import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  artifactsTable,
  decidedBy,
  humanBytes,
  lastPulled,
  planTable,
  retentionDocument,
  retentionJson,
  shortDigest,
  summaryLine,
  utcMinute,
} from "../../cli/format-retention-plan.ts";
import type {
  PlannedArtifact,
  RepositoryPlan,
  RetentionPlan,
} from "../../shared/domain/retention-plan.ts";
import type { ApplyResult } from "../../shared/retention/apply-plan.ts";

const hex = (c: string) => c.repeat(64);
const D1 = `sha256:${hex("a")}`;
const D2 = `sha256:${hex("b")}`;
const D3 = `sha256:${hex("c")}`;

const kept: PlannedArtifact = {
  digest: D1,
  tags: ["v2", "latest"],
  role: "image",
  pushedAt: "2026-06-01T12:34:56.000Z",
  lastPulledAt: "2026-06-10T08:00:00+02:00",
  sizeBytes: 1_288_490_189,
  decision: "keep",
  reason: "rule",
  rule: { index: 0, template: "latestPushedK" },
  detail: "kept by rule 0 (latestPushedK 1): among the 1 newest pushes",
};
const deleted: PlannedArtifact = {
  digest: D2,
  tags: ["v1"],
  role: "image",
  pushedAt: "2026-01-01T00:00:00Z",
  lastPulledAt: null,
  sizeBytes: 2048,
  decision: "delete",
  reason: "not-retained",
  rule: { index: 0, template: "latestPushedK" },
  detail: "no rule retains it",
};
const signature: PlannedArtifact = {
  digest: D3,
  tags: [`sha256-${hex("b")}.sig`],
  role: "referrer",
  decision: "delete",
  reason: "subject-deleted",
  detail: "its subject is deleted by this plan",
};

function repo(artifacts: PlannedArtifact[], repository = "team/api"): RepositoryPlan {
  const deletions = artifacts.filter((a) => a.decision === "delete");
  return {
    registry: "ecr",
    registryId: "123456789012",
    region: "eu-west-1",
    repository,
    artifacts,
    kept: artifacts.length - deletions.length,
    deleted: deletions.length,
    bytesReclaimed: deletions.reduce((n, a) => n + (a.sizeBytes ?? 0), 0),
    bytesUnknown: deletions.filter((a) => a.sizeBytes === undefined).length,
  };
}

function planOf(repositories: RepositoryPlan[]): RetentionPlan {
  const sum = (f: (r: RepositoryPlan) => number) => repositories.reduce((n, r) => n + f(r), 0);
  return {
    planId: hex("9"),
    now: "2026-06-15T00:00:00.000Z",
    policyVersion: "25d9cf28d4f3",
    repositories,
    totals: {
      repositories: repositories.length,
      artifacts: sum((r) => r.artifacts.length),
      kept: sum((r) => r.kept),
      deleted: sum((r) => r.deleted),
      bytesReclaimed: sum((r) => r.bytesReclaimed),
      bytesUnknown: sum((r) => r.bytesUnknown),
    },
  };
}

describe("humanBytes", () => {
  it("uses binary units with one decimal, bytes below 1 KiB", () => {
    expect(humanBytes(0)).toBe("0 B");
    expect(humanBytes(1023)).toBe("1023 B");
    expect(humanBytes(1024)).toBe("1.0 KiB");
    expect(humanBytes(1536)).toBe("1.5 KiB");
    expect(humanBytes(1_288_490_189)).toBe("1.2 GiB");
    expect(humanBytes(5 * 1024 ** 4)).toBe("5.0 TiB");
  });

  it("reads back within rounding of the true size (property)", () => {
    const factor: Record<string, number> = {
      B: 1,
      KiB: 1024,
      MiB: 1024 ** 2,
      GiB: 1024 ** 3,
      TiB: 1024 ** 4,
      PiB: 1024 ** 5,
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const m = /^(\d+(?:\.\d)?) (B|KiB|MiB|GiB|TiB|PiB)$/.exec(humanBytes(n));
        expect(m).not.toBeNull();
        const [, value, unit] = m as RegExpExecArray;
        const back = Number(value) * (factor[unit as string] as number);
        // One decimal of a value below 1024: at most 0.05 of the unit off.
        expect(Math.abs(back - n)).toBeLessThanOrEqual(0.05 * (factor[unit as string] as number));
        if (unit !== "B") expect(Number(value)).toBeLessThan(1024);
      }),
    );
  });
});

describe("times and digests", () => {
  it("prints times as YYYY-MM-DD HH:MM UTC, converting offsets", () => {
    expect(utcMinute("2026-06-01T12:34:56.000Z")).toBe("2026-06-01 12:34 UTC");
    expect(utcMinute("2026-06-10T08:00:00+02:00")).toBe("2026-06-10 06:00 UTC");
  });

  it("says never for a pull the registry knows did not happen, unknown when it does not record pulls", () => {
    expect(lastPulled(null)).toBe("never");
    expect(lastPulled(undefined)).toBe("unknown");
    expect(lastPulled("2026-06-10T08:00:00Z")).toBe("2026-06-10 08:00 UTC");
  });

  it("shortens a digest to its algorithm and 12 hex", () => {
    expect(shortDigest(D1)).toBe(`sha256:${"a".repeat(12)}`);
  });
});

describe("decidedBy", () => {
  it("names the rule, the protection, the collection or the link that decided", () => {
    expect(decidedBy(kept)).toBe("rule #0 latestPushedK");
    expect(decidedBy(deleted)).toBe("not-retained by rule #0 latestPushedK");
    expect(decidedBy({ ...deleted, rule: undefined } as PlannedArtifact)).toBe("not-retained");
    expect(
      decidedBy({ ...kept, reason: "immutable-tag", rule: undefined } as PlannedArtifact),
    ).toBe("protection immutable-tag");
    expect(decidedBy({ ...kept, reason: "in-use", rule: undefined } as PlannedArtifact)).toBe(
      "protection in-use",
    );
    expect(
      decidedBy({ ...deleted, reason: "untagged-expired", rule: undefined } as PlannedArtifact),
    ).toBe("gc untagged-expired");
    expect(decidedBy(signature)).toBe("link subject-deleted");
    expect(
      decidedBy({ ...kept, reason: "no-rule-for-repository", rule: undefined } as PlannedArtifact),
    ).toBe("no-rule-for-repository");
  });
});

describe("artifactsTable", () => {
  const table = artifactsTable([kept, deleted, signature]);
  const lines = table.split("\n");

  it("has a header and one row per artifact, with every column's value", () => {
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^DIGEST +ROLE +TAGS +PUSHED +LAST PULLED +SIZE +DECISION +DECIDED BY +DETAIL$/,
    );
    expect(lines[1]).toContain(shortDigest(D1));
    expect(lines[1]).toContain("latest,v2");
    expect(lines[1]).toContain("2026-06-01 12:34 UTC");
    expect(lines[1]).toContain("2026-06-10 06:00 UTC");
    expect(lines[1]).toContain("1.2 GiB");
    expect(lines[2]).toContain("never");
    expect(lines[2]).toContain("2.0 KiB");
    expect(lines[3]).toContain("unknown");
    expect(lines[3]).toContain("referrer");
  });

  it("aligns the columns: each decision starts under its header", () => {
    const at = (lines[0] as string).indexOf("DECISION");
    expect((lines[1] as string).slice(at, at + 4)).toBe("keep");
    expect((lines[2] as string).slice(at, at + 6)).toBe("DELETE");
    expect((lines[3] as string).slice(at, at + 6)).toBe("DELETE");
    const by = (lines[0] as string).indexOf("DECIDED BY");
    expect((lines[2] as string).slice(by)).toMatch(
      /^not-retained by rule #0 latestPushedK +no rule/,
    );
  });

  it("lets no control character of registry data through", () => {
    const evil = { ...kept, tags: ["v1\u001b[31m"], detail: "a\nb\u0007" };
    const out = artifactsTable([evil]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them
    expect(out.split("\n")[1]).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});

describe("planTable", () => {
  it("has a section per repository with its bytes, then the totals", () => {
    const plan = planOf([repo([kept, deleted, signature]), repo([], "team/empty")]);
    const text = planTable(plan);
    expect(text).toContain(
      "ecr:123456789012/team/api (eu-west-1): 3 artifacts, 1 kept, 2 to delete, 2.0 KiB to reclaim (+1 of unknown size)",
    );
    expect(text).toContain("ecr:123456789012/team/empty (eu-west-1): 0 artifacts");
    expect(text).toContain("(empty repository)");
    expect(text).toContain(
      "total: 2 repositories, 3 artifacts, 1 kept, 2 to delete, 2.0 KiB to reclaim (+1 of unknown size)",
    );
    expect(text).toContain(`plan ${plan.planId} for 2026-06-15T00:00:00.000Z, policy 25d9cf28d4f3`);
  });

  it("renders the same plan to the same bytes", () => {
    const plan = planOf([repo([kept, deleted, signature])]);
    expect(planTable(plan)).toBe(planTable(structuredClone(plan)));
    expect(retentionJson(plan)).toBe(retentionJson(structuredClone(plan)));
  });
});

describe("JSON document and summary", () => {
  const plan = planOf([repo([kept, deleted, signature])]);
  const applied: ApplyResult = {
    planId: plan.planId,
    deleted: 1,
    alreadyGone: 0,
    bytesReclaimed: 2048,
    failed: [{ repository: "team/api", digest: D3, code: "ImageNotFound", message: "x" }],
    skipped: [],
    resumed: 0,
    repositories: [],
  };

  it("wraps the plan with schemaVersion and says whether anything was applied", () => {
    expect(retentionDocument(plan)).toEqual({ schemaVersion: 1, dryRun: true, plan });
    expect(retentionDocument(plan, applied)).toEqual({
      schemaVersion: 1,
      dryRun: false,
      plan,
      applied,
    });
    expect(JSON.parse(retentionJson(plan))).toEqual({ schemaVersion: 1, dryRun: true, plan });
  });

  it("summarizes a dry run and an apply in one line", () => {
    expect(summaryLine(plan)).toBe(
      "dry run: 1 repository, 1 kept, 2 to delete, 0 failed, 2.0 KiB to reclaim (+1 of unknown size); nothing was deleted",
    );
    expect(summaryLine(plan, applied)).toBe(
      `applied plan ${plan.planId.slice(0, 12)}: 1 repository, 1 kept, 1 deleted, 1 failed, 2.0 KiB reclaimed`,
    );
  });
});
