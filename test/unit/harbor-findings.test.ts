import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ResolvedPolicy } from "../../shared/domain/policy.ts";
import { evaluateGate } from "../../shared/domain/severity-gate.ts";
import { FindingsFormatError } from "../../shared/findings/findings-format-error.ts";
import {
  fromHarborSeverity,
  HARBOR_GENERIC_REPORT_MEDIA_TYPE,
  HARBOR_NATIVE_REPORT_MEDIA_TYPE,
  harborTimestamp,
  isHarborReport,
  parseHarborVulnerabilityReport,
} from "../../shared/findings/harbor-findings.ts";

function fixture(path: string) {
  return JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8"));
}

const trivy = fixture("harbor-api/vulnerabilities-trivy.json");
const native = fixture("harbor-api/vulnerabilities-native.json");
const scanned = fixture("harbor-api/artifact-scanned.json");

describe("Harbor vulnerability report (API answer)", () => {
  const scan = parseHarborVulnerabilityReport(trivy);

  it("is a completed scan named after Harbor's scanner, at the report's time", () => {
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("harbor:Trivy");
    expect(scan.completedAt).toBe("2023-04-03T06:23:19.582Z");
    expect(scan.detail).toBeUndefined();
  });

  it("maps one vulnerability to one finding", () => {
    expect(scan.findings[0]).toEqual({
      id: "CVE-2017-8283",
      severity: "CRITICAL",
      score: 9.8,
      package: "dpkg",
      installedVersion: "1.17.27",
      fixedVersion: "1.18.0",
      title: "dpkg-source in dpkg 1.3.0 through 1.18.23 is able to use a non-GNU patch program",
      url: "https://security-tracker.debian.org/tracker/CVE-2017-8283",
    });
  });

  it("maps Harbor's severity words, None (Harbor's Negligible) as INFORMATIONAL", () => {
    expect(scan.findings.map((f) => f.severity)).toEqual([
      "CRITICAL",
      "HIGH",
      "HIGH",
      "MEDIUM",
      "LOW",
      "INFORMATIONAL",
      "UNKNOWN",
    ]);
  });

  it("has no fixed version where fix_version is empty", () => {
    expect(scan.findings.map((f) => f.fixedVersion)).toEqual([
      "1.18.0",
      "2.36-9+deb12u3",
      "1.52.0-1+deb12u1",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("scores from preferred_cvss v3, then vendor v3, then v2; zero is no score", () => {
    // 6.5: only the vendor's NVD v3; 3.2: the preferred v3 wins over the vendor's 6.5;
    // 4.3: score_v3 0 means unscored, so v2; undefined: no score anywhere.
    expect(scan.findings.map((f) => f.score)).toEqual([9.8, 7.8, 7.5, 6.5, 3.2, 4.3, undefined]);
  });

  it("takes the first non-empty link and leaves out Harbor's empty placeholders", () => {
    expect(scan.findings[1]?.url).toBe("https://security-tracker.debian.org/tracker/CVE-2023-4911");
    const temp = scan.findings[6];
    expect(temp?.id).toBe("TEMP-0841856-B18BAF");
    expect(temp).not.toHaveProperty("url");
    expect(temp).not.toHaveProperty("title");
  });

  it("counts per severity what Harbor's scan overview counts", () => {
    const harborCounts: Record<string, number> =
      scanned.scan_overview[HARBOR_GENERIC_REPORT_MEDIA_TYPE].summary.summary;
    const ours: Record<string, number> = {};
    for (const [word, n] of Object.entries(harborCounts)) {
      const s = fromHarborSeverity(word);
      ours[s] = (ours[s] ?? 0) + n;
    }
    const counted: Record<string, number> = {};
    for (const f of scan.findings) counted[f.severity] = (counted[f.severity] ?? 0) + 1;
    expect(counted).toEqual(ours);
    const overview = scanned.scan_overview[HARBOR_GENERIC_REPORT_MEDIA_TYPE].summary;
    expect(scan.findings).toHaveLength(overview.total);
    expect(scan.findings.filter((f) => f.fixedVersion)).toHaveLength(overview.fixable);
  });

  it("reads the native (1.0) report type", () => {
    const s = parseHarborVulnerabilityReport(native);
    expect(s.scanner).toBe("harbor:Trivy");
    expect(s.completedAt).toBe("2020-08-01T18:28:49.072Z");
    expect(s.findings).toEqual([
      expect.objectContaining({ id: "CVE-2017-8283", severity: "LOW", score: 3.2 }),
    ]);
  });

  it("prefers the 1.1 report when the answer holds both types", () => {
    const both = { ...native, ...trivy };
    expect(parseHarborVulnerabilityReport(both).findings).toHaveLength(7);
    const reversed = { ...trivy, ...native };
    expect(parseHarborVulnerabilityReport(reversed).findings).toHaveLength(7);
  });

  it("reads a bare report too (a scanner adapter's output)", () => {
    const bare = native[HARBOR_NATIVE_REPORT_MEDIA_TYPE];
    expect(parseHarborVulnerabilityReport(bare)).toEqual(parseHarborVulnerabilityReport(native));
  });

  it("takes null vulnerabilities, scanner and time as a clean report from an unnamed scanner", () => {
    const s = parseHarborVulnerabilityReport({
      [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: {
        generated_at: null,
        scanner: null,
        vulnerabilities: null,
      },
    });
    expect(s).toEqual({ status: "COMPLETE", scanner: "harbor", findings: [] });
  });
});

describe("parseHarborVulnerabilityReport refuses", () => {
  it("Harbor's empty answer, saying the artifact has no report", () => {
    expect(() => parseHarborVulnerabilityReport({})).toThrow(/no vulnerability report/);
  });

  it("a vulnerability without an id, naming the path", () => {
    const bad = structuredClone(trivy);
    delete bad[HARBOR_GENERIC_REPORT_MEDIA_TYPE].vulnerabilities[2].id;
    const err = captured(() => parseHarborVulnerabilityReport(bad));
    expect(err).toBeInstanceOf(FindingsFormatError);
    expect(err.message).toContain(`["${HARBOR_GENERIC_REPORT_MEDIA_TYPE}"].vulnerabilities[2].id`);
    expect(err.code).toBe("FINDINGS_FORMAT");
  });

  it("a report without a vulnerabilities list", () => {
    expect(() =>
      parseHarborVulnerabilityReport({ [HARBOR_NATIVE_REPORT_MEDIA_TYPE]: { severity: "Low" } }),
    ).toThrow(FindingsFormatError);
  });

  it("a wrong type in a field", () => {
    const bad = structuredClone(trivy);
    bad[HARBOR_GENERIC_REPORT_MEDIA_TYPE].vulnerabilities[0].preferred_cvss.score_v3 = "high";
    expect(() => parseHarborVulnerabilityReport(bad)).toThrow(/preferred_cvss\.score_v3/);
  });

  it("anything that is not an object", () => {
    for (const json of [null, [], "report", 3]) {
      expect(() => parseHarborVulnerabilityReport(json)).toThrow(FindingsFormatError);
    }
  });

  it("another scanner's document", () => {
    expect(() => parseHarborVulnerabilityReport(fixture("findings/trivy.json"))).toThrow(
      FindingsFormatError,
    );
  });
});

describe("isHarborReport", () => {
  it("recognises the API's answers and a bare report", () => {
    expect(isHarborReport(trivy)).toBe(true);
    expect(isHarborReport(native)).toBe(true);
    expect(isHarborReport(native[HARBOR_NATIVE_REPORT_MEDIA_TYPE])).toBe(true);
  });

  it("rejects the other formats and non-reports", () => {
    for (const name of ["trivy", "grype", "ecr-basic", "ecr-enhanced"]) {
      expect(isHarborReport(fixture(`findings/${name}.json`))).toBe(false);
    }
    for (const json of [{}, [], null, "x", { vulnerabilities: [] }, { scanner: {} }]) {
      expect(isHarborReport(json)).toBe(false);
    }
  });
});

describe("Harbor severities and times", () => {
  it.each([
    ["Critical", "CRITICAL"],
    ["High", "HIGH"],
    ["Medium", "MEDIUM"],
    ["Low", "LOW"],
    ["Negligible", "INFORMATIONAL"],
    ["None", "INFORMATIONAL"],
    [" none ", "INFORMATIONAL"],
    ["Unknown", "UNKNOWN"],
    ["Severe", "UNKNOWN"],
    ["", "UNKNOWN"],
  ])("%j → %s", (word, ours) => {
    expect(fromHarborSeverity(word)).toBe(ours);
  });

  it("treats Go's zero time as no time", () => {
    expect(harborTimestamp("0001-01-01T00:00:00.000Z")).toBeUndefined();
    expect(harborTimestamp("2023-04-03T06:23:20Z")).toBe("2023-04-03T06:23:20.000Z");
    expect(harborTimestamp("soon")).toBeUndefined();
  });
});

describe("Harbor findings through the severity gate", () => {
  const scan = parseHarborVulnerabilityReport(trivy);
  const policy = (gate: Partial<ResolvedPolicy["gate"]>): ResolvedPolicy => ({
    version: "p-1",
    repository: "library/team/debian",
    matchedRules: [],
    gate: {
      blockAt: "HIGH",
      ignoreUnfixed: false,
      requireScan: true,
      scanTimeoutMinutes: 30,
      onFail: "alert",
      ...gate,
    },
    allowlist: [],
    audit: { retentionDays: 400 },
  });
  const now = new Date("2023-04-03T07:00:00Z");

  it("blocks on the critical and high findings", () => {
    const v = evaluateGate({ scan, policy: policy({}), now });
    expect(v.verdict).toBe("fail");
  });

  it("honours ignoreUnfixed: Harbor's scanners report fixed versions", () => {
    const v = evaluateGate({
      scan,
      policy: policy({ blockAt: "MEDIUM", ignoreUnfixed: true }),
      now,
    });
    expect(v.verdict).toBe("fail");
    const medium = evaluateGate({
      scan: { ...scan, findings: scan.findings.filter((f) => f.severity === "MEDIUM") },
      policy: policy({ blockAt: "MEDIUM", ignoreUnfixed: true }),
      now,
    });
    // The one MEDIUM finding has no fix, so it is not counted.
    expect(medium.verdict).toBe("pass");
  });
});

function captured(fn: () => unknown): FindingsFormatError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FindingsFormatError) return err;
    throw err;
  }
  throw new Error("expected FindingsFormatError");
}
