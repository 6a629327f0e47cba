import * as z from "zod";
import type { Finding, ScanResult } from "../domain/finding.ts";
import { normalizeSeverity } from "../domain/severity.ts";
import { bestScore } from "./best-score.ts";
import { compactFinding } from "./compact-finding.ts";
import { parseWith } from "./findings-format-error.ts";
import { isoTimestamp } from "./iso-timestamp.ts";

const cvssSchema = z.object({
  version: z.string().optional(),
  metrics: z.object({ baseScore: z.number().optional() }).optional(),
});

const metadataSchema = z.object({
  id: z.string().min(1),
  dataSource: z.string().optional(),
  severity: z.string().optional(),
  urls: z.array(z.string()).nullish(),
  cvss: z.array(cvssSchema).nullish(),
});

const matchSchema = z.object({
  vulnerability: metadataSchema.extend({
    fix: z
      .object({ versions: z.array(z.string()).nullish(), state: z.string().optional() })
      .optional(),
  }),
  relatedVulnerabilities: z.array(metadataSchema).nullish(),
  artifact: z.object({ name: z.string(), version: z.string().optional() }),
});

/** Grype's JSON document (`grype <image> -o json`): the fields we read. */
export const grypeDocumentSchema = z.object({
  matches: z.array(matchSchema),
  descriptor: z
    .object({ name: z.string().optional(), timestamp: z.string().optional() })
    .optional(),
});

type GrypeMatch = z.output<typeof matchSchema>;

/** Grype states that no fix exists (not-fixed, wont-fix) or may not know (unknown). */
const FIXED_STATE = "fixed";

/**
 * The match's own CVSS first, then its related records' (a distro advisory often carries none
 * itself, only the related NVD record does).
 */
function grypeScore(m: GrypeMatch): number | undefined {
  const records = [m.vulnerability, ...(m.relatedVulnerabilities ?? [])];
  for (const r of records) {
    const score = bestScore(
      (r.cvss ?? []).map((c) => ({ score: c.metrics?.baseScore, version: c.version })),
    );
    if (score !== undefined) return score;
  }
  return undefined;
}

function fromGrypeMatch(m: GrypeMatch): Finding {
  const v = m.vulnerability;
  const versions = (v.fix?.versions ?? []).filter((s) => s.trim() !== "");
  const fixed = v.fix?.state?.toLowerCase() === FIXED_STATE && versions.length > 0;
  return compactFinding({
    id: v.id,
    severity: normalizeSeverity(v.severity),
    score: grypeScore(m),
    package: m.artifact.name,
    installedVersion: m.artifact.version,
    // Grype lists every version that fixes it (one per release line), lowest first.
    fixedVersion: fixed ? versions.join(", ") : undefined,
    url: v.dataSource || v.urls?.[0],
  });
}

/** A Grype document → ScanResult (scanner "grype"). Ignored matches stay ignored. */
export function parseGrypeDocument(json: unknown): ScanResult {
  const doc = parseWith(grypeDocumentSchema, json, "grype");
  const completedAt = isoTimestamp(doc.descriptor?.timestamp);
  return {
    status: "COMPLETE",
    scanner: "grype",
    findings: doc.matches.map(fromGrypeMatch),
    ...(completedAt ? { completedAt } : {}),
  };
}
