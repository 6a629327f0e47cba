import { readFileSync } from "node:fs";
import type { EnhancedImageScanFinding, ImageScanFinding } from "@aws-sdk/client-ecr";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type EcrBasicFindingLike,
  type EcrEnhancedFindingLike,
  type EcrScanFindingsLike,
  fromEcrBasicFinding,
  fromEcrEnhancedFinding,
  fromEcrScanFindings,
  fromEcrScanStatus,
  parseEcrFindingsDocument,
} from "../../shared/findings/ecr-findings.ts";
import { FindingsFormatError } from "../../shared/findings/findings-format-error.ts";

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/findings/${name}`, import.meta.url), "utf8"));
}

describe("ECR basic findings", () => {
  it("accepts the SDK's types as they are", () => {
    expectTypeOf<ImageScanFinding>().toExtend<EcrBasicFindingLike>();
    expectTypeOf<EnhancedImageScanFinding>().toExtend<EcrEnhancedFindingLike>();
    const sdk: ImageScanFinding = {
      name: "CVE-2024-1",
      severity: "HIGH",
      attributes: [{ key: "package_name", value: "zlib" }, { key: undefined }],
    };
    expect(fromEcrBasicFinding(sdk)).toEqual({
      id: "CVE-2024-1",
      severity: "HIGH",
      package: "zlib",
    });
  });

  it("reads the documented describe-image-scan-findings sample", () => {
    const scan = parseEcrFindingsDocument(fixture("ecr-basic.json"));
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("basic");
    expect(scan.completedAt).toBe(new Date(1579839105 * 1000).toISOString());
    expect(scan.detail).toBeUndefined();
    expect(scan.findings).toEqual([
      {
        id: "CVE-2019-5188",
        severity: "MEDIUM",
        score: 4.6,
        package: "e2fsprogs",
        installedVersion: "1.44.1-1ubuntu1.1",
        url: "http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5188",
      },
      {
        id: "CVE-2023-4911",
        severity: "HIGH",
        score: 7.8, // CVSS3 over CVSS2 (6.9)
        package: "glibc",
        installedVersion: "2.36-9+deb12u1",
        url: "https://security-tracker.debian.org/tracker/CVE-2023-4911",
      },
      {
        id: "CVE-2022-3219",
        severity: "UNKNOWN", // UNDEFINED
        package: "gnupg2",
        installedVersion: "2.2.40-1.1",
        url: "https://security-tracker.debian.org/tracker/CVE-2022-3219",
      },
    ]);
  });

  it("never invents a fixed version: basic scanning reports none", () => {
    const f = fromEcrBasicFinding({ name: "CVE-1", severity: "LOW", attributes: [] });
    expect(f.fixedVersion).toBeUndefined();
  });
});

describe("ECR enhanced (Inspector) findings", () => {
  const base: EnhancedImageScanFinding = {
    title: "CVE-2024-9 - a, b",
    severity: "CRITICAL",
    status: "ACTIVE",
    firstObservedAt: new Date("2024-01-01T00:00:00Z"),
    packageVulnerabilityDetails: {
      vulnerabilityId: "CVE-2024-9",
      cvss: [
        { baseScore: 9.1, version: "3.1", source: "NVD" },
        { baseScore: 7.5, version: "2.0", source: "NVD" },
      ],
      vulnerablePackages: [
        { name: "a", version: "1.0", fixedInVersion: "1.1" },
        { name: "b", version: "2.0", release: "3.el9", epoch: 2, fixedInVersion: "NotAvailable" },
      ],
    },
  };

  it("yields one finding per vulnerable package, each with its own fix", () => {
    const out = fromEcrEnhancedFinding(base);
    expect(out).toEqual([
      {
        id: "CVE-2024-9",
        severity: "CRITICAL",
        score: 9.1,
        package: "a",
        installedVersion: "1.0",
        fixedVersion: "1.1",
        title: "CVE-2024-9 - a, b",
      },
      {
        id: "CVE-2024-9",
        severity: "CRITICAL",
        score: 9.1,
        package: "b",
        installedVersion: "2:2.0-3.el9",
        title: "CVE-2024-9 - a, b",
      },
    ]);
  });

  it("prefers the Inspector score to any CVSS score", () => {
    expect(fromEcrEnhancedFinding({ ...base, score: 8.2 })[0]?.score).toBe(8.2);
    expect(fromEcrEnhancedFinding({ ...base, inspectorScore: 6.4 })[0]?.score).toBe(6.4);
    expect(
      fromEcrEnhancedFinding({ ...base, scoreDetails: { cvss: { score: 5.5, version: "3.1" } } })[0]
        ?.score,
    ).toBe(5.5);
  });

  it("treats a zero score as unknown, so minScore cannot ignore it", () => {
    const out = fromEcrEnhancedFinding({
      ...base,
      score: 0,
      packageVulnerabilityDetails: { vulnerabilityId: "X" },
    });
    expect(out[0]?.score).toBeUndefined();
  });

  it("maps UNTRIAGED to UNKNOWN and keeps a finding without packages", () => {
    const out = fromEcrEnhancedFinding({
      severity: "UNTRIAGED",
      packageVulnerabilityDetails: { vulnerabilityId: "GHSA-1" },
    });
    expect(out).toEqual([{ id: "GHSA-1", severity: "UNKNOWN" }]);
  });

  it("follows fixAvailable: NO drops a version, YES without a version still means fixable", () => {
    const pkgs = {
      vulnerabilityId: "CVE-1",
      vulnerablePackages: [{ name: "p", version: "1", fixedInVersion: "2" }],
    };
    expect(
      fromEcrEnhancedFinding({ fixAvailable: "NO", packageVulnerabilityDetails: pkgs })[0]
        ?.fixedVersion,
    ).toBeUndefined();
    const noVersion = {
      vulnerabilityId: "CVE-1",
      vulnerablePackages: [{ name: "p", version: "1" }],
    };
    expect(
      fromEcrEnhancedFinding({ fixAvailable: "YES", packageVulnerabilityDetails: noVersion })[0]
        ?.fixedVersion,
    ).toBe("available");
    expect(
      fromEcrEnhancedFinding({ fixAvailable: "PARTIAL", packageVulnerabilityDetails: noVersion })[0]
        ?.fixedVersion,
    ).toBeUndefined();
    const empty = {
      vulnerabilityId: "CVE-1",
      vulnerablePackages: [{ name: "p", version: "1", fixedInVersion: " " }],
    };
    expect(
      fromEcrEnhancedFinding({ packageVulnerabilityDetails: empty })[0]?.fixedVersion,
    ).toBeUndefined();
  });

  it("drops CLOSED findings and keeps SUPPRESSED ones", () => {
    expect(fromEcrEnhancedFinding({ ...base, status: "CLOSED" })).toEqual([]);
    expect(fromEcrEnhancedFinding({ ...base, status: "SUPPRESSED" })).toHaveLength(2);
  });

  it("reads an enhanced describe-image-scan-findings document", () => {
    const scan = parseEcrFindingsDocument(fixture("ecr-enhanced.json"));
    expect(scan.status).toBe("COMPLETE"); // ACTIVE: continuously monitored
    expect(scan.scanner).toBe("enhanced");
    expect(scan.completedAt).toBe("2024-03-12T09:14:03.120Z");
    expect(
      scan.findings.map((f) => [f.id, f.package, f.severity, f.score, f.fixedVersion]),
    ).toEqual([
      ["CVE-2023-3817", "openssl-libs", "HIGH", 7.5, "1:1.0.2k-24.amzn2.0.10"],
      ["CVE-2023-3817", "openssl", "HIGH", 7.5, "1:1.0.2k-24.amzn2.0.10"],
      ["CVE-2023-4806", "glibc", "MEDIUM", 5.3, undefined],
      ["GHSA-xxxx-yyyy-zzzz", "lodash", "UNKNOWN", undefined, "4.17.21"],
    ]);
    expect(scan.findings[0]?.installedVersion).toBe("1:1.0.2k-1.amzn2.0.1");
    expect(scan.findings[2]?.installedVersion).toBe("2.26-292.amzn2.0.1");
    expect(scan.findings[0]?.url).toBe("https://nvd.nist.gov/vuln/detail/CVE-2023-3817");
  });

  it("accepts an SDK-typed response with Date timestamps", () => {
    const resp: EcrScanFindingsLike = {
      imageScanStatus: { status: "COMPLETE" },
      imageScanFindings: {
        imageScanCompletedAt: new Date("2024-05-01T00:00:00Z"),
        enhancedFindings: [base],
      },
    };
    const scan = fromEcrScanFindings(resp);
    expect(scan).toMatchObject({
      status: "COMPLETE",
      scanner: "enhanced",
      completedAt: "2024-05-01T00:00:00.000Z",
    });
    expect(scan.findings).toHaveLength(2);
  });
});

describe("ECR scan status", () => {
  it.each([
    ["COMPLETE", "COMPLETE"],
    ["ACTIVE", "COMPLETE"],
    ["PENDING", "PENDING"],
    ["IN_PROGRESS", "IN_PROGRESS"],
    ["FAILED", "FAILED"],
    ["UNSUPPORTED_IMAGE", "UNSUPPORTED"],
    ["SCAN_ELIGIBILITY_EXPIRED", "FAILED"],
    ["FINDINGS_UNAVAILABLE", "FAILED"],
    ["LIMIT_EXCEEDED", "FAILED"],
    ["SOMETHING_NEW", "NONE"],
    [undefined, "NONE"],
  ] as const)("%s → %s", (ecr, ours) => {
    expect(fromEcrScanStatus(ecr)).toBe(ours);
  });

  it("keeps ECR's description when the scan is not complete", () => {
    const scan = parseEcrFindingsDocument({
      imageScanStatus: {
        status: "FAILED",
        description: "UnsupportedImageError: The operating system is not supported",
      },
    });
    expect(scan).toEqual({
      status: "FAILED",
      scanner: "basic",
      findings: [],
      detail:
        "ECR scan status FAILED: UnsupportedImageError: The operating system is not supported",
    });
  });
});

describe("malformed ECR documents", () => {
  it("refuses one page of a paginated result", () => {
    const page = {
      ...(fixture("ecr-basic.json") as object),
      NextToken: "eyJuZXh0VG9rZW4iOiAiYWJjIn0=",
    };
    expect(() => parseEcrFindingsDocument(page)).toThrow(/NextToken/);
  });

  it("names the path of a wrong field", () => {
    const bad = {
      imageScanFindings: { findings: [{ name: "CVE-1", attributes: [{ value: "x" }] }] },
    };
    try {
      parseEcrFindingsDocument(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FindingsFormatError);
      expect((err as FindingsFormatError).code).toBe("FINDINGS_FORMAT");
      expect((err as FindingsFormatError).expected).toBe("ecr");
      expect((err as Error).message).toContain("imageScanFindings.findings[0].attributes[0].key");
    }
  });

  it("refuses a document with neither status nor findings", () => {
    expect(() => parseEcrFindingsDocument({ repositoryName: "x" })).toThrow(FindingsFormatError);
  });
});
