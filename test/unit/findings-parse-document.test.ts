import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  detectFindingsFormat,
  FindingsFormatError,
  parseFindingsDocument,
} from "../../shared/findings/parse-findings-document.ts";

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/findings/${name}`, import.meta.url), "utf8"));
}

function thrown(fn: () => unknown): FindingsFormatError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FindingsFormatError) return err;
    throw err;
  }
  throw new Error("expected a FindingsFormatError");
}

describe("parseFindingsDocument", () => {
  it.each([
    ["ecr-basic.json", "ecr", "basic"],
    ["ecr-enhanced.json", "ecr", "enhanced"],
    ["trivy.json", "trivy", "trivy"],
    ["grype.json", "grype", "grype"],
  ] as const)("detects %s as %s", (file, format, scanner) => {
    const json = fixture(file);
    expect(detectFindingsFormat(json)).toBe(format);
    const auto = parseFindingsDocument(json, "auto");
    expect(auto.scanner).toBe(scanner);
    expect(auto.findings.length).toBeGreaterThan(0);
    expect(parseFindingsDocument(json, format)).toEqual(auto);
  });

  it("says which format was expected when a document is given as another", () => {
    const err = thrown(() => parseFindingsDocument(fixture("grype.json"), "trivy"));
    expect(err.code).toBe("FINDINGS_FORMAT");
    expect(err.expected).toBe("trivy");
    expect(err.message).toContain("Trivy JSON report");
    expect(err.found).toContain("matches");
  });

  it("says what was found when nothing fits", () => {
    const err = thrown(() => parseFindingsDocument({ vulnerabilities: [] }, "auto"));
    expect(err.expected).toBeUndefined();
    expect(err.message).toContain("an object with keys vulnerabilities");
    expect(err.message).toMatch(/ECR.*Trivy.*Grype/);
  });

  it("recognises the pre-0.20 Trivy array and says to upgrade", () => {
    const err = thrown(() =>
      parseFindingsDocument([{ Target: "x", Vulnerabilities: null }], "auto"),
    );
    expect(err.message).toContain("upgrade Trivy");
    expect(err.found).toBe("an array of 1 item(s)");
  });

  it.each([null, "text", 42])("refuses %j", (json) => {
    expect(() => parseFindingsDocument(json, "auto")).toThrow(FindingsFormatError);
  });
});
