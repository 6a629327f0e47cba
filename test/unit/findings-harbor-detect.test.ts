import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  detectFindingsFormat,
  parseFindingsDocument,
} from "../../shared/findings/parse-findings-document.ts";

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/harbor-api/${name}`, "utf8")) as unknown;

describe("Harbor reports through parseFindingsDocument", () => {
  it("detects a Harbor vulnerability report and parses it like the dedicated parser", () => {
    const doc = fixture("vulnerabilities-trivy.json");
    expect(detectFindingsFormat(doc)).toBe("harbor");
    const auto = parseFindingsDocument(doc, "auto");
    expect(auto.scanner).toMatch(/^harbor:/);
    expect(auto.findings.length).toBeGreaterThan(0);
    expect(parseFindingsDocument(doc, "harbor")).toEqual(auto);
  });

  it("does not mistake the other formats for Harbor's", () => {
    for (const [file, format] of [
      ["test/fixtures/findings/trivy.json", "trivy"],
      ["test/fixtures/findings/grype.json", "grype"],
      ["test/fixtures/findings/ecr-basic.json", "ecr"],
    ] as const) {
      expect(detectFindingsFormat(JSON.parse(readFileSync(file, "utf8")))).toBe(format);
    }
  });
});
