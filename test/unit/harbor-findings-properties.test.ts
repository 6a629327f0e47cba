import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES } from "../../shared/domain/severity.ts";
import { FindingsFormatError } from "../../shared/findings/findings-format-error.ts";
import {
  fromHarborSeverity,
  HARBOR_REPORT_MEDIA_TYPES,
  parseHarborVulnerabilityReport,
} from "../../shared/findings/harbor-findings.ts";

/** Harbor's severity words (after its CVSS v3 rewrite) plus the spec's Negligible. */
const WORDS = ["Critical", "High", "Medium", "Low", "Negligible", "None", "Unknown"] as const;

const score = fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null });

const item = fc.record({
  id: fc.stringMatching(/^(CVE|GHSA|TEMP)-[0-9A-Za-z-]{1,20}$/),
  package: fc.string({ minLength: 1, maxLength: 12 }),
  version: fc.string({ maxLength: 12 }),
  // Harbor counts a fix when fix_version is non-empty; blank-only versions are not generated.
  fix_version: fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9][0-9a-z.+~:-]{0,11}$/)),
  severity: fc.constantFrom(...WORDS),
  description: fc.string({ maxLength: 40 }),
  links: fc.array(fc.oneof(fc.constant(""), fc.webUrl()), { maxLength: 3 }),
  preferred_cvss: fc.record({ score_v3: score, score_v2: score }),
  cwe_ids: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  vendor_attributes: fc.constant(null),
});

type Item = typeof item extends fc.Arbitrary<infer T> ? T : never;

const report = fc.record({
  mediaType: fc.constantFrom(...HARBOR_REPORT_MEDIA_TYPES),
  scannerName: fc.constantFrom("Trivy", "Clair", "Anchore"),
  vulnerabilities: fc.array(item, { maxLength: 40 }),
});

/** What Harbor's own summary (GetSeveritySummary) says about a list of vulnerabilities. */
function harborSummary(items: Item[]) {
  const summary: Record<string, number> = {};
  for (const v of items) summary[v.severity] = (summary[v.severity] ?? 0) + 1;
  return {
    total: items.length,
    fixable: items.filter((v) => v.fix_version !== "").length,
    summary,
  };
}

describe("Harbor report properties", () => {
  it("round-trips counts: per severity, in total and fixable, as Harbor summarises them", () => {
    fc.assert(
      fc.property(report, (r) => {
        const scan = parseHarborVulnerabilityReport({
          [r.mediaType]: {
            generated_at: "2024-01-01T00:00:00Z",
            scanner: { name: r.scannerName, vendor: "v", version: "1" },
            severity: "Unknown",
            vulnerabilities: r.vulnerabilities,
          },
        });
        const harbor = harborSummary(r.vulnerabilities);
        expect(scan.status).toBe("COMPLETE");
        expect(scan.scanner).toBe(`harbor:${r.scannerName}`);
        expect(scan.findings).toHaveLength(harbor.total);
        expect(scan.findings.filter((f) => f.fixedVersion !== undefined)).toHaveLength(
          harbor.fixable,
        );
        const expected = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
        for (const [word, n] of Object.entries(harbor.summary)) {
          expected[fromHarborSeverity(word)] = (expected[fromHarborSeverity(word)] ?? 0) + n;
        }
        const actual = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
        for (const f of scan.findings) actual[f.severity] = (actual[f.severity] ?? 0) + 1;
        expect(actual).toEqual(expected);
      }),
    );
  });

  it("keeps each vulnerability's id, severity, fix and order", () => {
    fc.assert(
      fc.property(report, (r) => {
        const scan = parseHarborVulnerabilityReport({
          [r.mediaType]: { scanner: { name: r.scannerName }, vulnerabilities: r.vulnerabilities },
        });
        r.vulnerabilities.forEach((v, i) => {
          const f = scan.findings[i];
          expect(f?.id).toBe(v.id);
          expect(f?.severity).toBe(fromHarborSeverity(v.severity));
          expect(f?.fixedVersion).toBe(v.fix_version === "" ? undefined : v.fix_version);
        });
      }),
    );
  });

  it("scores with v3 when it is above zero, else v2 when above zero, else none", () => {
    fc.assert(
      fc.property(item, (v) => {
        const [f] = parseHarborVulnerabilityReport({
          vulnerabilities: [v],
          scanner: null,
        }).findings;
        const { score_v3: v3, score_v2: v2 } = v.preferred_cvss;
        const want = v3 !== null && v3 > 0 ? v3 : v2 !== null && v2 > 0 ? v2 : undefined;
        expect(f?.score).toBe(want);
      }),
    );
  });

  it("never fails on valid reports, and parses JSON-serialised reports the same", () => {
    fc.assert(
      fc.property(report, (r) => {
        const doc = { [r.mediaType]: { scanner: null, vulnerabilities: r.vulnerabilities } };
        const again = JSON.parse(JSON.stringify(doc));
        expect(parseHarborVulnerabilityReport(again)).toEqual(parseHarborVulnerabilityReport(doc));
      }),
    );
  });

  it("throws only FindingsFormatError on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          const scan = parseHarborVulnerabilityReport(json);
          expect(scan.status).toBe("COMPLETE");
        } catch (err) {
          expect(err).toBeInstanceOf(FindingsFormatError);
        }
      }),
    );
  });
});
