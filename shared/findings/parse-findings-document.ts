import type { ScanResult } from "../domain/finding.ts";
import { parseEcrFindingsDocument } from "./ecr-findings.ts";
import {
  describeJson,
  type FindingsFormat,
  FindingsFormatError,
  FORMAT_NAMES,
} from "./findings-format-error.ts";
import { parseGrypeDocument } from "./grype-findings.ts";
import { isHarborReport, parseHarborVulnerabilityReport } from "./harbor-findings.ts";
import { parseTrivyReport } from "./trivy-findings.ts";

export { type FindingsFormat, FindingsFormatError } from "./findings-format-error.ts";

export type FindingsFormatOption = FindingsFormat | "auto";

const PARSERS: Record<FindingsFormat, (json: unknown) => ScanResult> = {
  ecr: parseEcrFindingsDocument,
  trivy: parseTrivyReport,
  grype: parseGrypeDocument,
  harbor: parseHarborVulnerabilityReport,
};

function isObject(json: unknown): json is Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/**
 * Which format a document is, from the keys only each format has; undefined when none fits.
 * ECR: imageScanFindings / imageScanStatus; Trivy: SchemaVersion or Results; Grype: matches;
 * Harbor: a report keyed by its vulnerability-report media type (or a bare report).
 */
export function detectFindingsFormat(json: unknown): FindingsFormat | undefined {
  if (!isObject(json)) return undefined;
  if ("imageScanFindings" in json || "imageScanStatus" in json) return "ecr";
  if ("SchemaVersion" in json || "Results" in json) return "trivy";
  if ("matches" in json) return "grype";
  if (isHarborReport(json)) return "harbor";
  return undefined;
}

/**
 * A findings document → ScanResult. With "auto" the format is detected; anything that is not
 * a well-formed document of the (detected) format throws FindingsFormatError saying which
 * format was expected and what was found.
 */
export function parseFindingsDocument(json: unknown, format: FindingsFormatOption): ScanResult {
  if (format !== "auto") return PARSERS[format](json);
  const detected = detectFindingsFormat(json);
  if (detected) return PARSERS[detected](json);
  const found = describeJson(json);
  // Trivy before 0.20 wrote a bare array of results.
  const hint = Array.isArray(json)
    ? " (a bare array is the pre-0.20 Trivy format: upgrade Trivy)"
    : "";
  throw new FindingsFormatError(
    `Could not tell the findings format: expected ${Object.values(FORMAT_NAMES).join(", or ")}; found ${found}${hint}. Name the format (ecr, trivy, grype or harbor) instead of auto.`,
    undefined,
    found,
  );
}
