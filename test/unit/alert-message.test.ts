import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byImportance, topFindings } from "../../shared/domain/alert-format.ts";
import {
  ALERT_EVENT_TYPES,
  buildGateAlert,
  buildReleaseAlert,
  type GateAlertInput,
} from "../../shared/domain/alert-message.ts";
import type { Finding } from "../../shared/domain/finding.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import { SEVERITIES, type Severity } from "../../shared/domain/severity.ts";
import type { GateVerdict } from "../../shared/domain/verdict.ts";

const DIGEST = `sha256:abcd1234${"0".repeat(56)}`;
const image: ImageRef = {
  registry: "ecr",
  registryId: "123456789012",
  region: "eu-west-1",
  repository: "team-a/api",
  digest: DIGEST,
  tags: ["v1.4.0", "latest"],
};

function counts(partial: Partial<Record<Severity, number>> = {}): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, partial[s] ?? 0])) as Record<
    Severity,
    number
  >;
}

function f(id: string, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return { id, severity, ...extra };
}

const critical = [
  f("CVE-2024-0001", "CRITICAL", {
    package: "openssl",
    installedVersion: "3.0.1",
    fixedVersion: "3.0.13",
    score: 9.8,
  }),
  f("CVE-2024-0002", "CRITICAL", {
    package: "glibc",
    installedVersion: "2.36-9",
    fixedVersion: "2.36-9+deb12u4",
    score: 9.1,
  }),
];
const high = Array.from({ length: 5 }, (_, i) =>
  f(`CVE-2023-10${i}`, "HIGH", {
    package: `lib${i}`,
    installedVersion: "1.0",
    ...(i ? { fixedVersion: "1.1" } : {}),
  }),
);

function verdict(over: Partial<GateVerdict> = {}): GateVerdict {
  return {
    verdict: "fail",
    reasons: [{ rule: "blockAt", threshold: "HIGH", findings: [...high, ...critical] }],
    counts: counts({ CRITICAL: 2, HIGH: 5, MEDIUM: 3 }),
    totalCounts: counts({ CRITICAL: 2, HIGH: 6, MEDIUM: 3, LOW: 4 }),
    allowlisted: [
      {
        entry: {
          id: "CVE-2023-9999",
          reason: "not reachable: the parser is never used",
          expires: "2099-01-01",
        },
        findingIds: ["CVE-2023-9999"],
      },
    ],
    expiredAllowlist: [
      {
        entry: { id: "CVE-2022-1111", reason: "waiting for upstream", expires: "2024-01-31" },
        findingIds: ["CVE-2022-1111"],
      },
    ],
    ignored: { unfixed: 2, belowMinScore: 1 },
    policyVersion: "3f2a9c1d",
    evaluatedAt: "2024-05-01T12:00:00.000Z",
    ...over,
  };
}

function input(over: Partial<GateAlertInput> = {}): GateAlertInput {
  return {
    image,
    verdict: verdict(),
    action: "quarantined",
    eventId: "4f1c7b1e-8a7b-4b9e-9f3c-2a1d5e6f7a8b",
    policyVersion: "3f2a9c1d",
    principal: "arn:aws:iam::123456789012:role/ci-deployer",
    ...over,
  };
}

describe("buildGateAlert", () => {
  it("names verdict, action, image and counts in a short subject", () => {
    const alert = buildGateAlert(input());
    expect(alert.subject).toBe(
      "[registry-guard] FAIL quarantined team-a/api@sha256:abcd1234 (2 CRITICAL, 5 HIGH, 3 MEDIUM)",
    );
    expect(alert.attributes).toEqual({
      eventType: "image.quarantined",
      severity: "CRITICAL",
      repository: "team-a/api",
      verdict: "fail",
    });
  });

  it("explains rule, top findings with fixes, allowlist, expired entries and how to release", () => {
    const { text } = buildGateAlert(input());
    expect(text).toContain("FAILED the severity gate and was quarantined");
    expect(text).toContain("blockAt HIGH: 7 finding(s) at or above HIGH");
    expect(text).toContain("CVE-2024-0001  openssl 3.0.1 → 3.0.13  (score 9.8)");
    expect(text).toContain("lib0 1.0 → no fix");
    // Most severe first, whatever order the gate listed them in.
    expect(text.indexOf("CVE-2024-0001")).toBeLessThan(text.indexOf("CVE-2023-100"));
    expect(text).toContain(
      'CVE-2023-9999 (expires 2099-01-01): "not reachable: the parser is never used"',
    );
    expect(text).toMatch(/EXPIRED allowlist entries[\s\S]*CVE-2022-1111 \(expires 2024-01-31\)/);
    expect(text).toContain(
      `registry-guard release team-a/api@${DIGEST} --registry-id 123456789012 --region eu-west-1 --reason`,
    );
    expect(text).toContain("arn:aws:iam::123456789012:role/ci-deployer");
    expect(text).toContain("ignored: 2 without a fix, 1 below minScore");
  });

  it("carries the full structure in the JSON", () => {
    const { json } = buildGateAlert(input());
    expect(json).toMatchObject({
      schemaVersion: 1,
      eventType: "image.quarantined",
      eventId: "4f1c7b1e-8a7b-4b9e-9f3c-2a1d5e6f7a8b",
      policyVersion: "3f2a9c1d",
      action: "quarantined",
      verdict: "fail",
      severity: "CRITICAL",
      image: {
        key: `ecr:123456789012/team-a/api@${DIGEST}`,
        repository: "team-a/api",
        digest: DIGEST,
      },
      counts: counts({ CRITICAL: 2, HIGH: 5, MEDIUM: 3 }),
      reasons: [{ rule: "blockAt", threshold: "HIGH", findingCount: 7 }],
      expiredAllowlist: [{ id: "CVE-2022-1111", findingIds: ["CVE-2022-1111"], findingCount: 1 }],
    });
    const reasons = json.reasons as { findings: Finding[] }[];
    expect(reasons[0]?.findings.map((x) => x.id).sort()).toEqual(
      [...high, ...critical].map((x) => x.id).sort(),
    );
    expect(json).not.toHaveProperty("truncated");
  });

  it("says 'alerted' images were not quarantined and uses gate.failed", () => {
    const alert = buildGateAlert(input({ action: "alerted" }));
    expect(alert.subject).toBe(
      "[registry-guard] FAIL team-a/api@sha256:abcd1234 (2 CRITICAL, 5 HIGH, 3 MEDIUM)",
    );
    expect(alert.attributes.eventType).toBe("gate.failed");
    expect(alert.text).toContain("was NOT quarantined");
    expect(alert.text).not.toContain("registry-guard release");
  });

  it("takes the severity attribute from the blocking findings only", () => {
    const v = verdict({
      reasons: [
        {
          rule: "maxCounts",
          severity: "MEDIUM",
          max: 2,
          count: 3,
          findings: [f("A", "MEDIUM"), f("B", "MEDIUM"), f("C", "MEDIUM")],
        },
      ],
    });
    expect(buildGateAlert(input({ verdict: v })).attributes.severity).toBe("MEDIUM");
  });

  it("reports an unscanned image with NONE severity", () => {
    const v = verdict({
      reasons: [{ rule: "requireScan", detail: "no completed scan 30 minutes after push" }],
      counts: counts(),
      totalCounts: counts(),
      allowlisted: [],
      expiredAllowlist: [],
    });
    const alert = buildGateAlert(input({ verdict: v }));
    expect(alert.subject).toBe(
      "[registry-guard] FAIL quarantined team-a/api@sha256:abcd1234 (no completed scan)",
    );
    expect(alert.attributes.severity).toBe("NONE");
    expect(alert.text).toContain("requireScan: no completed scan 30 minutes after push");
  });

  it("reports a pass as gate.passed", () => {
    const v = verdict({ verdict: "pass", reasons: [], counts: counts({ LOW: 1 }) });
    const alert = buildGateAlert(input({ verdict: v, action: "alerted" }));
    expect(alert.subject).toBe("[registry-guard] PASS team-a/api@sha256:abcd1234 (1 LOW)");
    expect(alert.attributes).toMatchObject({
      eventType: "gate.passed",
      verdict: "pass",
      severity: "NONE",
    });
    expect(alert.text).not.toContain("What to do");
  });

  it("lists ten findings per reason in the text and says how many more", () => {
    const many = Array.from({ length: 25 }, (_, i) => f(`CVE-2024-${1000 + i}`, "HIGH"));
    const v = verdict({ reasons: [{ rule: "blockAt", threshold: "HIGH", findings: many }] });
    const { text } = buildGateAlert(input({ verdict: v }));
    expect(text.match(/CVE-2024-1\d{3}/g)).toHaveLength(10);
    expect(text).toContain("... and 15 more");
  });

  it("uses only the documented event types", () => {
    for (const [v, action] of [
      ["fail", "quarantined"],
      ["fail", "alerted"],
      ["pass", "alerted"],
    ] as const) {
      const alert = buildGateAlert(input({ verdict: verdict({ verdict: v }), action }));
      expect(ALERT_EVENT_TYPES).toContain(alert.attributes.eventType);
    }
  });

  it("keeps every subject under 100 ASCII characters on one line", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.array(fc.nat({ max: 100_000 }), { minLength: 6, maxLength: 6 }),
        fc.constantFrom("quarantined", "alerted"),
        (repository, n, action) => {
          const c = counts(Object.fromEntries(SEVERITIES.map((s, i) => [s, n[i] ?? 0])));
          const alert = buildGateAlert(
            input({ image: { ...image, repository }, verdict: verdict({ counts: c }), action }),
          );
          expect(alert.subject.length).toBeLessThan(100);
          expect(alert.subject).toMatch(/^\[registry-guard\] [\x20-\x7e]*$/);
          expect(alert.subject).toContain("sha256:abcd1234");
        },
      ),
    );
  });

  it("shortens a long repository from the left, keeping its most specific end", () => {
    const repository = `${"platform/".repeat(12)}payments-api`;
    const alert = buildGateAlert(input({ image: { ...image, repository } }));
    expect(alert.subject.length).toBeLessThan(100);
    expect(alert.subject).toContain("payments-api@sha256:abcd1234");
    expect(alert.attributes.repository).toBe(repository);
  });
});

describe("buildReleaseAlert", () => {
  const release = {
    image,
    reason: "false positive: CVE-2024-0001 is in a test-only package (TICKET-123)",
    principal: "arn:aws:sts::123456789012:assumed-role/security/alice",
    eventId: "release:6b1e",
    wasQuarantined: true,
  };

  it("says who released what and why", () => {
    const alert = buildReleaseAlert(release);
    expect(alert.subject).toBe("[registry-guard] RELEASED team-a/api@sha256:abcd1234");
    expect(alert.attributes).toEqual({
      eventType: "image.released",
      severity: "NONE",
      repository: "team-a/api",
      verdict: "none",
    });
    expect(alert.text).toContain(release.principal);
    expect(alert.text).toContain(release.reason);
    expect(alert.text).toContain("up to 20 minutes");
    expect(alert.json).toMatchObject({
      schemaVersion: 1,
      eventType: "image.released",
      eventId: "release:6b1e",
      principal: release.principal,
      reason: release.reason,
      wasQuarantined: true,
      image: { digest: DIGEST },
    });
  });

  it("says so when the image was not quarantined", () => {
    const alert = buildReleaseAlert({ ...release, wasQuarantined: false });
    expect(alert.subject).toBe(
      "[registry-guard] RELEASE no-op team-a/api@sha256:abcd1234 (was not quarantined)",
    );
    expect(alert.text).toContain("nothing changed");
  });
});

describe("topFindings", () => {
  it("picks exactly what a full sort would, in the same order", () => {
    const arb = fc.record({
      id: fc.constantFrom("CVE-1", "CVE-2", "CVE-3", "GHSA-x"),
      severity: fc.constantFrom(...SEVERITIES),
      score: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (raw, n) => {
        const findings = raw.map((x) =>
          x.score === undefined ? { id: x.id, severity: x.severity } : x,
        );
        expect(topFindings(findings, n)).toEqual([...findings].sort(byImportance).slice(0, n));
      }),
    );
  });
});
