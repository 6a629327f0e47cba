import * as z from "zod";
import type { Finding, ScanResult, ScanStatus } from "../domain/finding.ts";
import { normalizeSeverity } from "../domain/severity.ts";
import { bestScore, usableScore } from "./best-score.ts";
import { compactFinding as compact } from "./compact-finding.ts";
import { FindingsFormatError, FORMAT_NAMES, parseWith } from "./findings-format-error.ts";
import { isoTimestamp } from "./iso-timestamp.ts";

/*
 * ECR findings → Finding. The parameter types below list only the fields read, all optional, so
 * both the SDK's types (@aws-sdk/client-ecr ImageScanFinding, EnhancedImageScanFinding) and
 * parsed `aws ecr describe-image-scan-findings` JSON are accepted without a cast.
 */

type Opt<T> = T | undefined;

export interface EcrAttributeLike {
  key?: Opt<string>;
  value?: Opt<string>;
}

/** ECR basic scanning (`imageScanFindings.findings[]`). */
export interface EcrBasicFindingLike {
  name?: Opt<string>;
  uri?: Opt<string>;
  severity?: Opt<string>;
  attributes?: Opt<readonly EcrAttributeLike[]>;
}

export interface EcrCvssLike {
  baseScore?: Opt<number>;
  version?: Opt<string>;
  source?: Opt<string>;
}

export interface EcrVulnerablePackageLike {
  name?: Opt<string>;
  version?: Opt<string>;
  epoch?: Opt<number>;
  release?: Opt<string>;
  fixedInVersion?: Opt<string>;
}

/** ECR enhanced scanning, i.e. Amazon Inspector (`imageScanFindings.enhancedFindings[]`). */
export interface EcrEnhancedFindingLike {
  title?: Opt<string>;
  severity?: Opt<string>;
  status?: Opt<string>;
  /** The Inspector score. */
  score?: Opt<number>;
  /** Inspector's own API names the same score `inspectorScore`. */
  inspectorScore?: Opt<number>;
  scoreDetails?: Opt<{ cvss?: Opt<{ score?: Opt<number>; version?: Opt<string> }> }>;
  fixAvailable?: Opt<string>;
  findingArn?: Opt<string>;
  packageVulnerabilityDetails?: Opt<{
    vulnerabilityId?: Opt<string>;
    cvss?: Opt<readonly EcrCvssLike[]>;
    sourceUrl?: Opt<string>;
    referenceUrls?: Opt<readonly string[]>;
    vulnerablePackages?: Opt<readonly EcrVulnerablePackageLike[]>;
  }>;
}

/** Inspector's word for "no fixed version": treated like an absent one. */
const NO_FIX_VERSIONS = new Set(["", "NOTAVAILABLE", "NONE", "N/A"]);

function attribute(f: EcrBasicFindingLike, key: string): string | undefined {
  for (const a of f.attributes ?? []) if (a.key === key) return a.value;
  return undefined;
}

function numeric(s: string | undefined): number | undefined {
  return s === undefined || s.trim() === "" ? undefined : usableScore(Number(s));
}

/**
 * One basic-scan finding. Basic scanning never reports a fixed version, so `fixedVersion` is
 * always absent (the gate knows the "basic" scanner carries no fix data; see severity-gate.ts).
 */
export function fromEcrBasicFinding(f: EcrBasicFindingLike): Finding {
  const score = bestScore([
    { score: numeric(attribute(f, "CVSS3_SCORE")), version: "3" },
    { score: numeric(attribute(f, "CVSS2_SCORE")), version: "2" },
  ]);
  return compact({
    id: f.name?.trim() || "UNKNOWN",
    severity: normalizeSeverity(f.severity),
    score,
    package: attribute(f, "package_name"),
    installedVersion: attribute(f, "package_version"),
    url: f.uri,
  });
}

/**
 * One enhanced (Inspector) finding → one Finding per vulnerable package, so package, installed
 * and fixed version stay together. CLOSED findings (no longer present in the image) yield
 * nothing; SUPPRESSED ones still count: registry-guard's allowlist, with its expiry and audit
 * trail, is the place to accept a finding.
 */
export function fromEcrEnhancedFinding(f: EcrEnhancedFindingLike): Finding[] {
  if (f.status?.toUpperCase() === "CLOSED") return [];
  const details = f.packageVulnerabilityDetails;
  const base = {
    id: details?.vulnerabilityId?.trim() || f.title?.trim() || f.findingArn || "UNKNOWN",
    severity: normalizeSeverity(f.severity),
    score:
      usableScore(f.score) ??
      usableScore(f.inspectorScore) ??
      bestScore([
        { score: f.scoreDetails?.cvss?.score, version: f.scoreDetails?.cvss?.version },
        ...(details?.cvss ?? []).map((c) => ({ score: c.baseScore, version: c.version })),
      ]),
    title: f.title,
    url: details?.sourceUrl ?? details?.referenceUrls?.[0],
  };
  const fixAvailable = f.fixAvailable?.toUpperCase();
  const packages = details?.vulnerablePackages ?? [];
  if (packages.length === 0) return [compact(base)];
  return packages.map((p) => {
    const fixed = p.fixedInVersion?.trim();
    const hasFixVersion = fixed !== undefined && !NO_FIX_VERSIONS.has(fixed.toUpperCase());
    // "YES" without a version still means upgrading fixes it; "NO" overrides any version.
    const fixedVersion =
      fixAvailable === "NO"
        ? undefined
        : hasFixVersion
          ? fixed
          : fixAvailable === "YES"
            ? "available"
            : undefined;
    return compact({
      ...base,
      package: p.name,
      installedVersion: packageVersion(p),
      fixedVersion,
    });
  });
}

/** epoch:version-release, as rpm and dpkg print it; epoch 0 is left out. */
function packageVersion(p: EcrVulnerablePackageLike): string | undefined {
  if (!p.version) return undefined;
  const epoch = p.epoch ? `${p.epoch}:` : "";
  const release = p.release ? `-${p.release}` : "";
  return `${epoch}${p.version}${release}`;
}

/**
 * ECR's scan status → ours. ACTIVE is enhanced scanning's "scanned and monitored continuously".
 * Statuses that waiting can never turn into a completed scan map to FAILED (or UNSUPPORTED), so
 * a gate that requires a scan decides at once instead of waiting out the timeout. Unknown or
 * missing statuses are NONE: not scanned.
 */
export function fromEcrScanStatus(status: string | undefined): ScanStatus {
  switch (status?.toUpperCase()) {
    case "COMPLETE":
    case "ACTIVE":
      return "COMPLETE";
    case "PENDING":
      return "PENDING";
    case "IN_PROGRESS":
      return "IN_PROGRESS";
    case "UNSUPPORTED_IMAGE":
      return "UNSUPPORTED";
    case "FAILED":
    case "SCAN_ELIGIBILITY_EXPIRED":
    case "FINDINGS_UNAVAILABLE":
    case "LIMIT_EXCEEDED":
    case "IMAGE_ARCHIVED":
      return "FAILED";
    default:
      return "NONE";
  }
}

const timestamp = z.union([z.string(), z.number()]);

const basicFindingSchema = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  uri: z.string().optional(),
  severity: z.string().optional(),
  attributes: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
});

const enhancedFindingSchema = z.object({
  title: z.string().optional(),
  severity: z.string().optional(),
  status: z.string().optional(),
  score: z.number().optional(),
  inspectorScore: z.number().optional(),
  scoreDetails: z
    .object({
      cvss: z.object({ score: z.number().optional(), version: z.string().optional() }).optional(),
    })
    .optional(),
  fixAvailable: z.string().optional(),
  findingArn: z.string().optional(),
  packageVulnerabilityDetails: z
    .object({
      vulnerabilityId: z.string().optional(),
      cvss: z
        .array(
          z.object({
            baseScore: z.number().optional(),
            version: z.string().optional(),
            source: z.string().optional(),
          }),
        )
        .optional(),
      sourceUrl: z.string().optional(),
      referenceUrls: z.array(z.string()).optional(),
      vulnerablePackages: z
        .array(
          z.object({
            name: z.string().optional(),
            version: z.string().optional(),
            epoch: z.number().optional(),
            release: z.string().optional(),
            fixedInVersion: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/** The output of `aws ecr describe-image-scan-findings --output json` (all pages merged). */
export const ecrFindingsDocumentSchema = z
  .object({
    imageScanStatus: z
      .object({ status: z.string().optional(), description: z.string().optional() })
      .optional(),
    imageScanFindings: z
      .object({
        imageScanCompletedAt: timestamp.optional(),
        findings: z.array(basicFindingSchema).optional(),
        enhancedFindings: z.array(enhancedFindingSchema).optional(),
      })
      .optional(),
    nextToken: z.string().optional(),
    NextToken: z.string().optional(),
  })
  .refine((d) => d.imageScanStatus !== undefined || d.imageScanFindings !== undefined, {
    message: "expected imageScanStatus and/or imageScanFindings",
  });

/** The fields of a DescribeImageScanFindings response we read: the SDK's type fits as it is. */
export interface EcrScanFindingsLike {
  imageScanStatus?: Opt<{ status?: Opt<string>; description?: Opt<string> }>;
  imageScanFindings?: Opt<{
    imageScanCompletedAt?: Opt<Date | string | number>;
    findings?: Opt<readonly EcrBasicFindingLike[]>;
    enhancedFindings?: Opt<readonly EcrEnhancedFindingLike[]>;
  }>;
}

/**
 * A DescribeImageScanFindings response (pages merged by the caller) → ScanResult. Enhanced
 * findings (or an ACTIVE status) make it an "enhanced" scan, otherwise "basic".
 */
export function fromEcrScanFindings(doc: EcrScanFindingsLike): ScanResult {
  const rawStatus = doc.imageScanStatus?.status;
  // Findings without a status are the findings of a finished scan.
  const status =
    rawStatus === undefined && doc.imageScanFindings ? "COMPLETE" : fromEcrScanStatus(rawStatus);
  const scan = doc.imageScanFindings;
  const enhanced = scan?.enhancedFindings !== undefined || rawStatus?.toUpperCase() === "ACTIVE";
  const findings = [
    ...(scan?.findings ?? []).map(fromEcrBasicFinding),
    ...(scan?.enhancedFindings ?? []).flatMap(fromEcrEnhancedFinding),
  ];
  const completedAt = isoTimestamp(scan?.imageScanCompletedAt);
  const description = doc.imageScanStatus?.description;
  return {
    status,
    scanner: enhanced ? "enhanced" : "basic",
    findings,
    ...(completedAt ? { completedAt } : {}),
    ...(status !== "COMPLETE"
      ? {
          detail: `ECR scan status ${rawStatus ?? "missing"}${description ? `: ${description}` : ""}`,
        }
      : {}),
  };
}

/**
 * The output of `aws ecr describe-image-scan-findings --output json` → ScanResult. A document
 * that is one page of several is refused: judging part of the findings could pass an image
 * that should fail.
 */
export function parseEcrFindingsDocument(json: unknown): ScanResult {
  const doc = parseWith(ecrFindingsDocumentSchema, json, "ecr");
  if (doc.nextToken !== undefined || doc.NextToken !== undefined) {
    throw new FindingsFormatError(
      `Expected ${FORMAT_NAMES.ecr} with every page, but this one has a NextToken: run it again without --max-items or --no-paginate`,
      "ecr",
      "one page of a paginated result",
    );
  }
  return fromEcrScanFindings(doc);
}
