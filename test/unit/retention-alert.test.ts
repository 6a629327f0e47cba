import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { publishSizeBytes, SNS_MAX_PUBLISH_BYTES } from "../../shared/domain/alert-envelope.ts";
import {
  buildRetentionAlert,
  humanBytes,
  type RetentionSummary,
} from "../../shared/domain/retention-alert.ts";

function summary(over: Partial<RetentionSummary> = {}): RetentionSummary {
  return {
    planId: "3f2a9c0d1e2b",
    mode: "applied",
    registry: { kind: "ecr", registryId: "123456789012", region: "eu-west-1" },
    policyVersion: "0123456789ab",
    now: "2026-03-01T12:00:00.000Z",
    repositories: 3,
    artifacts: 120,
    kept: 100,
    deleted: 20,
    alreadyGone: 1,
    bytesReclaimed: 3.5 * 1024 ** 3,
    bytesUnknown: 0,
    failed: { count: 0, items: [] },
    skipped: { count: 0, items: [] },
    errors: [],
    topRepositories: [
      { repository: "team-a/api", deleted: 5, bytesReclaimed: 10, failed: 0 },
      { repository: "team-b/web", deleted: 15, bytesReclaimed: 3.5 * 1024 ** 3 - 10, failed: 0 },
      { repository: "team-c/idle", deleted: 0, bytesReclaimed: 0, failed: 0 },
    ],
    ...over,
  };
}

/** The parts of the alert JSON these tests read. */
interface AlertJson {
  totals: Record<string, unknown>;
  topRepositories: { repository: string }[];
  failures: unknown[];
  skipped: unknown[];
  truncated: Record<string, number>;
}

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

describe("buildRetentionAlert", () => {
  it("summarizes an applied run: subject, attributes, text and JSON", () => {
    const alert = buildRetentionAlert(summary());
    expect(alert.subject).toBe(
      "[registry-guard] RETENTION applied: 20 deleted, 3.5 GiB (3 repositories)",
    );
    expect(alert.attributes).toEqual({
      eventType: "retention-applied",
      severity: "NONE",
      repository: "*",
      verdict: "pass",
    });
    expect(alert.text).toContain(
      "retention applied to 3 repositories of ecr 123456789012 (eu-west-1)",
    );
    expect(alert.text).toContain("Deleted     20, 3.5 GiB reclaimed");
    expect(alert.text).not.toContain("What to do");
    const json = alert.json as unknown as AlertJson;
    expect(json.totals).toMatchObject({ deleted: 20, bytesReclaimedHuman: "3.5 GiB", failed: 0 });
    // Largest first; repositories with nothing deleted are left out.
    expect(json.topRepositories.map((r: { repository: string }) => r.repository)).toEqual([
      "team-b/web",
      "team-a/api",
    ]);
    expect(json).not.toHaveProperty("truncated");
  });

  it("fails, with LOW severity and what to do, when deletions failed or repositories erred", () => {
    const alert = buildRetentionAlert(
      summary({
        failed: {
          count: 2,
          items: [
            { repository: "team-a/api", digest: digest(1), code: "ImageReferencedByManifestList" },
            {
              repository: "team-a/api",
              digest: digest(2),
              code: "ThrottlingException",
              message: "slow down",
            },
          ],
        },
        errors: [{ repository: "team-c/idle", message: "AccessDenied: ecr:DescribeImages" }],
      }),
    );
    expect(alert.attributes).toMatchObject({ verdict: "fail", severity: "LOW" });
    expect(alert.subject).toContain("2 failed, 1 errors");
    expect(alert.text).toContain("ThrottlingException: slow down");
    expect(alert.text).toContain("team-c/idle: AccessDenied");
    expect(alert.text).toContain("What to do");
  });

  it("names a dry run as a plan, with the single repository as the attribute", () => {
    const alert = buildRetentionAlert(
      summary({ mode: "dry-run", repositories: 1, repository: "prod/api", alreadyGone: 0 }),
    );
    expect(alert.attributes).toMatchObject({
      eventType: "retention-planned",
      repository: "prod/api",
    });
    expect(alert.subject).toBe("[registry-guard] RETENTION plan: 20 to delete, 3.5 GiB (prod/api)");
    expect(alert.text).toContain("nothing was deleted");
    expect(alert.text).toContain("To delete   20");
  });

  it("says where a yielded run continues", () => {
    const alert = buildRetentionAlert(summary({ cursor: "team-b/web" }));
    expect(alert.text).toContain("Continues   after team-b/web");
    expect((alert.json as Record<string, unknown>).cursor).toBe("team-b/web");
  });

  it("keeps the subject under 100 ASCII characters for long names and huge counts", () => {
    const repo = `${"very-long-team-name/".repeat(20)}service-ü`;
    const alert = buildRetentionAlert(
      summary({
        repository: repo,
        repositories: 1,
        deleted: 123_456_789,
        failed: { count: 98_765_432, items: [] },
        errors: [{ repository: repo, message: "x" }],
      }),
    );
    expect(alert.subject.length).toBeLessThan(100);
    expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(alert.subject).toContain("123,456,789 deleted");
    expect(alert.subject).toContain("service-?");
  });

  it("stays under 256 KB for a huge summary and says how much it left out", () => {
    const n = 100_000;
    const long = "détail ".repeat(40);
    const why = `changed since the plan: ${"x".repeat(500)}`;
    const failures = Array.from({ length: n }, (_, i) => ({
      repository: `team-${i % 50}/service-${i}`,
      digest: digest(i),
      code: "ImageReferencedByManifestList",
      message: `The image is referenced by an image index — ${long}`,
    }));
    const alert = buildRetentionAlert(
      summary({
        repositories: 20_000,
        failed: { count: 250_000, items: failures },
        skipped: {
          count: n,
          items: failures.map((f) => ({ ...f, why })),
        },
        errors: failures
          .slice(0, 20_000)
          .map((f) => ({ repository: f.repository, message: f.message })),
        topRepositories: Array.from({ length: 20_000 }, (_, i) => ({
          repository: `team/${"r".repeat(300)}-${i}`,
          deleted: i,
          bytesReclaimed: i * 1000,
          failed: 1,
        })),
      }),
    );
    expect(publishSizeBytes(alert)).toBeLessThan(SNS_MAX_PUBLISH_BYTES);
    const json = alert.json as unknown as AlertJson;
    expect(json.failures.length).toBeGreaterThan(0);
    expect(json.truncated.failures).toBe(250_000 - json.failures.length);
    expect(json.truncated.skipped).toBe(n - json.skipped.length);
    expect(json.truncated.topRepositories).toBe(20_000 - json.topRepositories.length);
    expect(json.totals.failed).toBe(250_000);
    expect(alert.text).toContain(`... and ${(250_000 - 10).toLocaleString("en-US")} more`);
    expect(alert.subject.length).toBeLessThan(100);
  });

  it("is always under the SNS limit and the subject limit (property)", () => {
    const item = fc.record({
      repository: fc.string({ maxLength: 400 }),
      digest: fc.string({ maxLength: 100 }),
      code: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
      message: fc.option(fc.string({ unit: "binary", maxLength: 3000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 400 }),
        fc.string({ unit: "binary", maxLength: 600 }),
        fc.nat(),
        (failures, repo, count) => {
          const alert = buildRetentionAlert(
            summary({
              repository: repo,
              failed: { count: failures.length + count, items: failures },
              skipped: {
                count: failures.length,
                items: failures.map((f) => ({ ...f, why: f.message ?? "" })),
              },
              errors: failures.map((f) => ({ repository: f.repository, message: f.message ?? "" })),
            }),
          );
          expect(publishSizeBytes(alert)).toBeLessThan(SNS_MAX_PUBLISH_BYTES);
          expect(alert.subject.length).toBeLessThan(100);
          expect(alert.attributes.repository).toBe(repo);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("humanBytes", () => {
  it("uses binary units with one decimal below ten", () => {
    expect(humanBytes(0)).toBe("0 B");
    expect(humanBytes(1023)).toBe("1023 B");
    expect(humanBytes(1536)).toBe("1.5 KiB");
    expect(humanBytes(12 * 1024 ** 2)).toBe("12 MiB");
    expect(humanBytes(3.25 * 1024 ** 4)).toBe("3.3 TiB");
  });
});
