import * as z from "zod";
import type { Finding, ScanResult } from "../domain/finding.ts";
import { normalizeSeverity, type Severity } from "../domain/severity.ts";
import { bestScore, type ScoreCandidate } from "./best-score.ts";
import { compactFinding } from "./compact-finding.ts";
import { describeJson, FindingsFormatError } from "./findings-format-error.ts";
import { isoTimestamp } from "./iso-timestamp.ts";

/*
 * Harbor's vulnerability report, as its API v2.0 serves it
 * (`GET …/artifacts/{reference}/additions/vulnerabilities`): an object keyed by report media
 * type, whose value is the report `{ generated_at, scanner, severity, vulnerabilities[] }` of the
 * pluggable scanner spec (HarborVulnerabilityReport). Harbor stores findings in its own tables
 * and rebuilds the report from them, which is why nulls and `[""]` lists show up (see below).
 */

/** The generic report type (Harbor 2.8+, scanner spec 1.1): asked for first. */
export const HARBOR_GENERIC_REPORT_MEDIA_TYPE =
  "application/vnd.security.vulnerability.report; version=1.1";
/** Harbor's native report type (scanner spec 1.0), which older scanners produce. */
export const HARBOR_NATIVE_REPORT_MEDIA_TYPE =
  "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
/** In Harbor's order of preference: the value of `X-Accept-Vulnerabilities`. */
export const HARBOR_REPORT_MEDIA_TYPES = [
  HARBOR_GENERIC_REPORT_MEDIA_TYPE,
  HARBOR_NATIVE_REPORT_MEDIA_TYPE,
] as const;

export const HARBOR_REPORT_FORMAT_NAME =
  "a Harbor vulnerability report (GET /api/v2.0/projects/{project}/repositories/{repository}/artifacts/{digest}/additions/vulnerabilities)";

const cvssSchema = z.object({
  score_v3: z.number().nullish(),
  score_v2: z.number().nullish(),
  vector_v3: z.string().nullish(),
  vector_v2: z.string().nullish(),
});

const itemSchema = z.object({
  id: z.string().trim().min(1),
  package: z.string().nullish(),
  version: z.string().nullish(),
  fix_version: z.string().nullish(),
  severity: z.string().nullish(),
  description: z.string().nullish(),
  links: z.array(z.string()).nullish(),
  preferred_cvss: cvssSchema.nullish(),
  cwe_ids: z.array(z.string()).nullish(),
  vendor_attributes: z.record(z.string(), z.unknown()).nullish(),
});

/** One report (the value under a media type). `vulnerabilities` is required: it is what a report is. */
export const harborReportSchema = z.object({
  generated_at: z.string().nullish(),
  scanner: z
    .object({
      name: z.string().nullish(),
      vendor: z.string().nullish(),
      version: z.string().nullish(),
    })
    .nullish(),
  severity: z.string().nullish(),
  vulnerabilities: z.array(itemSchema).nullable(),
});

export type HarborReport = z.output<typeof harborReportSchema>;
type HarborItem = z.output<typeof itemSchema>;

function isObject(json: unknown): json is Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

function isReportShape(json: Record<string, unknown>): boolean {
  return Array.isArray(json.vulnerabilities) || json.vulnerabilities === null;
}

/** The report media types a document is keyed by, in Harbor's order of preference. */
function reportKeys(json: Record<string, unknown>): string[] {
  return HARBOR_REPORT_MEDIA_TYPES.filter((t) => Object.hasOwn(json, t));
}

/**
 * True for a Harbor vulnerability report: the API's answer keyed by a report media type, or
 * one report on its own (`vulnerabilities` plus `scanner` or `generated_at`). No other format
 * we read has these keys: ECR has imageScanFindings, Trivy Results, Grype matches.
 */
export function isHarborReport(json: unknown): boolean {
  if (!isObject(json)) return false;
  if (reportKeys(json).length > 0) return true;
  return isReportShape(json) && ("scanner" in json || "generated_at" in json);
}

/**
 * Harbor's severity words → ours. Harbor rebuilds severities through its CVSS v3 rating scale,
 * which turns the scanner spec's `Negligible` into `None`; both are INFORMATIONAL. `Unknown`,
 * and any word Harbor does not define, is UNKNOWN (normalizeSeverity's rule).
 */
export function fromHarborSeverity(raw: string | null | undefined): Severity {
  return (raw ?? "").trim().toUpperCase() === "NONE" ? "INFORMATIONAL" : normalizeSeverity(raw);
}

/** Harbor's Trivy adapter keeps every source's scores in `vendor_attributes.CVSS.<source>`. */
function vendorScores(attrs: Record<string, unknown> | null | undefined): ScoreCandidate[] {
  const cvss = attrs?.CVSS;
  if (!isObject(cvss)) return [];
  const sources = Object.keys(cvss).sort((a, b) => (a === "nvd" ? -1 : b === "nvd" ? 1 : 0));
  const out: ScoreCandidate[] = [];
  for (const source of sources) {
    const s = cvss[source];
    if (!isObject(s)) continue;
    out.push(
      { score: numberOf(s.V3Score), version: "3" },
      { score: numberOf(s.V2Score), version: "2" },
    );
  }
  return out;
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  // Harbor's own tests store scores as strings ("4.3"); accept what parses.
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  return undefined;
}

/**
 * CVSS v3 before v2 (bestScore's rule); within a version the preferred CVSS first, then the
 * vendor scores, NVD first. Zero means "not scored" (Harbor writes 0 when no source had a v3
 * score), so bestScore skips it.
 */
function harborScore(v: HarborItem): number | undefined {
  return bestScore([
    { score: v.preferred_cvss?.score_v3, version: "3" },
    { score: v.preferred_cvss?.score_v2, version: "2" },
    ...vendorScores(v.vendor_attributes),
  ]);
}

/** Harbor splits stored links on `|`, so a finding without links comes back as `[""]`. */
function firstLink(links: readonly string[] | null | undefined): string | undefined {
  return links?.map((l) => l.trim()).find((l) => l !== "");
}

/** The description's first line, cut to a title's length. */
function titleOf(description: string | null | undefined): string | undefined {
  const line = description?.trim().split("\n")[0]?.trim();
  if (!line) return undefined;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

export function fromHarborItem(v: HarborItem): Finding {
  return compactFinding({
    id: v.id,
    severity: fromHarborSeverity(v.severity),
    score: harborScore(v),
    package: v.package ?? undefined,
    installedVersion: v.version ?? undefined,
    // An empty fix_version is how Harbor says "no fix": it counts as not fixable there too.
    fixedVersion: v.fix_version?.trim() || undefined,
    title: titleOf(v.description),
    url: firstLink(v.links),
  });
}

/** `harbor:<scanner name>` (harbor:Trivy), or `harbor` when the report names none. */
export function harborScannerName(name: string | null | undefined): string {
  const n = name?.trim();
  return n ? `harbor:${n}` : "harbor";
}

/** Go's zero time (0001-01-01) is Harbor's "not set"; anything before 1970 counts as absent. */
export function harborTimestamp(value: string | null | undefined): string | undefined {
  const iso = isoTimestamp(value ?? undefined);
  return iso !== undefined && Date.parse(iso) >= 0 ? iso : undefined;
}

/** One validated report → ScanResult. A report is always a finished scan. */
export function fromHarborReport(report: HarborReport): ScanResult {
  const completedAt = harborTimestamp(report.generated_at);
  return {
    status: "COMPLETE",
    scanner: harborScannerName(report.scanner?.name),
    findings: (report.vulnerabilities ?? []).map(fromHarborItem),
    ...(completedAt ? { completedAt } : {}),
  };
}

/**
 * A Harbor vulnerability report → ScanResult (scanner "harbor:<name>"). Accepts the API's
 * answer (keyed by report media type; the 1.1 report is read when both are present) or one
 * report on its own. An empty answer (`{}`: Harbor has no report for the artifact) and anything
 * malformed throw FindingsFormatError.
 */
export function parseHarborVulnerabilityReport(json: unknown): ScanResult {
  if (!isObject(json)) fail("the document is not a JSON object", json);
  const key = reportKeys(json)[0];
  if (key !== undefined) return fromHarborReport(validate(json[key], json, [key]));
  if (Object.keys(json).length === 0) {
    fail(
      "the document is empty: Harbor has no vulnerability report for this artifact (it has not been scanned, or a scan is running)",
      json,
    );
  }
  return fromHarborReport(validate(json, json, []));
}

const MAX_ISSUES = 3;

function validate(report: unknown, doc: unknown, prefix: PropertyKey[]): HarborReport {
  const result = harborReportSchema.safeParse(report);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, MAX_ISSUES).map((i) => {
    const at = formatPath([...prefix, ...i.path]);
    return at ? `${at}: ${i.message}` : i.message;
  });
  const more =
    result.error.issues.length > MAX_ISSUES
      ? ` (and ${result.error.issues.length - MAX_ISSUES} more)`
      : "";
  fail(`the document does not match: ${issues.join("; ")}${more}`, doc);
}

function fail(why: string, json: unknown): never {
  // "harbor" is not (yet) a FindingsFormat, so `expected` stays undefined.
  throw new FindingsFormatError(
    `Expected ${HARBOR_REPORT_FORMAT_NAME}, but ${why}`,
    "harbor",
    describeJson(json),
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && p.includes(" ")) out += `[${JSON.stringify(p)}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
