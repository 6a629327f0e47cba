import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FindingsFormatError } from "../../shared/findings/findings-format-error.ts";
import { parseGrypeDocument } from "../../shared/findings/grype-findings.ts";

const doc = JSON.parse(
  readFileSync(new URL("../fixtures/findings/grype.json", import.meta.url), "utf8"),
);

describe("Grype JSON document", () => {
  const scan = parseGrypeDocument(doc);

  it("is a completed grype scan at the descriptor's timestamp", () => {
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("grype");
    expect(scan.completedAt).toBe("2024-03-12T09:21:07.123Z");
  });

  it("maps each match to the artifact it was found in", () => {
    expect(scan.findings[0]).toEqual({
      id: "CVE-2023-44487",
      severity: "HIGH",
      score: 7.5,
      package: "libnghttp2-14",
      installedVersion: "1.52.0-1",
      fixedVersion: "1.52.0-1+deb12u1",
      url: "https://security-tracker.debian.org/tracker/CVE-2023-44487",
    });
  });

  it("maps Grype's severity words", () => {
    expect(scan.findings.map((f) => f.severity)).toEqual([
      "HIGH",
      "INFORMATIONAL",
      "CRITICAL",
      "UNKNOWN",
    ]);
  });

  it("has a fixed version only when the fix state is fixed", () => {
    expect(scan.findings.map((f) => f.fixedVersion)).toEqual([
      "1.52.0-1+deb12u1",
      undefined, // not-fixed
      "1.2.6, 0.2.4",
      undefined, // wont-fix
    ]);
  });

  it("falls back to related records for the score, preferring CVSS v3", () => {
    expect(scan.findings.map((f) => f.score)).toEqual([7.5, 3.7, 9.8, undefined]);
  });

  it("accepts a document without matches as a clean scan", () => {
    expect(parseGrypeDocument({ matches: [], descriptor: { name: "grype" } }).findings).toEqual([]);
  });

  it("refuses a match without an artifact name", () => {
    const bad = structuredClone(doc);
    delete bad.matches[2].artifact.name;
    expect(() => parseGrypeDocument(bad)).toThrow(FindingsFormatError);
    expect(() => parseGrypeDocument(bad)).toThrow(/matches\[2\]\.artifact\.name/);
  });
});
