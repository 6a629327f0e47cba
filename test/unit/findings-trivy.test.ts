import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FindingsFormatError } from "../../shared/findings/findings-format-error.ts";
import { parseTrivyReport } from "../../shared/findings/trivy-findings.ts";

const report = JSON.parse(
  readFileSync(new URL("../fixtures/findings/trivy.json", import.meta.url), "utf8"),
);

describe("Trivy JSON report", () => {
  const scan = parseTrivyReport(report);

  it("is a completed trivy scan with the report's creation time", () => {
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("trivy");
    expect(scan.completedAt).toBe("2024-03-12T09:20:31.485Z");
  });

  it("maps every vulnerability of every result, skipping not_affected", () => {
    expect(scan.findings.map((f) => f.id)).toEqual([
      "CVE-2023-5363",
      "CVE-2023-42363",
      "CVE-2024-0727",
      "GHSA-c2qf-rxjj-qqgw",
    ]);
  });

  it("keeps package, versions, title and URL", () => {
    expect(scan.findings[0]).toEqual({
      id: "CVE-2023-5363",
      severity: "HIGH",
      score: 7.5,
      package: "libcrypto3",
      installedVersion: "3.1.3-r0",
      fixedVersion: "3.1.4-r0",
      title: "openssl: Incorrect cipher key and IV length processing",
      url: "https://avd.aquasec.com/nvd/cve-2023-5363",
    });
    expect(scan.findings[1]?.fixedVersion).toBeUndefined();
    expect(scan.findings[3]?.fixedVersion).toBe("7.5.2, 6.3.1, 5.7.2");
  });

  it("takes the score of the severity's source first, then NVD; v3 over v4 over v2", () => {
    expect(scan.findings[1]?.score).toBe(5.5); // SeveritySource redhat, not nvd's 7.8
    expect(scan.findings[2]?.score).toBe(6.1); // only V2 and V40: v4 wins
    expect(scan.findings[3]?.score).toBe(5.3); // ghsa
  });

  it("accepts a clean image's report without Results", () => {
    const clean = parseTrivyReport({ SchemaVersion: 2, ArtifactName: "x" });
    expect(clean.findings).toEqual([]);
    expect(clean.status).toBe("COMPLETE");
  });

  it("refuses another schema version and says what to do", () => {
    expect(() => parseTrivyReport({ ...report, SchemaVersion: 1 })).toThrow(
      /SchemaVersion.*upgrade Trivy/,
    );
  });

  it("refuses a vulnerability without an id, naming its path", () => {
    const bad = structuredClone(report);
    delete bad.Results[0].Vulnerabilities[1].VulnerabilityID;
    const err = (() => {
      try {
        parseTrivyReport(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FindingsFormatError);
    expect((err as FindingsFormatError).expected).toBe("trivy");
    expect((err as Error).message).toContain("Results[0].Vulnerabilities[1].VulnerabilityID");
  });
});
