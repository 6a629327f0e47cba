import * as z from "zod";
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Finding } from "../domain/finding.ts";
import type { GatePolicy } from "../domain/policy.ts";
import { SEVERITIES, type Severity } from "../domain/severity.ts";
import type { AllowlistUse, GateReason, GateVerdict } from "../domain/verdict.ts";

/**
 * What a gate-evaluated record keeps of its verdict. A redelivery that finishes a decision (its
 * first delivery failed after the gate record) must alert about the decision that was recorded,
 * and often cannot recompute it: a quarantined image cannot be scanned or read any more, and
 * findings may have changed. So the record holds the verdict in a form the alert can be rebuilt
 * from, with finding lists capped so the item stays small. Titles and URLs are left out; the
 * rebuilt alert names at most MAX_FINDINGS findings per reason, and counts stay exact.
 */

const MAX_FINDINGS = 50;
const MAX_TEXT = 200;

export type OnFail = GatePolicy["onFail"];

export function verdictDetail(
  v: GateVerdict,
  ctx: { onFail: OnFail; matchedRules: string[] },
): Record<string, unknown> {
  const blocking = new Set<string>();
  for (const r of v.reasons) if ("findings" in r) for (const f of r.findings) blocking.add(f.id);
  return {
    onFail: ctx.onFail,
    evaluatedAt: v.evaluatedAt,
    counts: v.counts,
    totalCounts: v.totalCounts,
    blockingIds: [...blocking].slice(0, MAX_FINDINGS),
    blockingTotal: blocking.size,
    rules: v.reasons.map(compactReason),
    allowlisted: v.allowlisted.map(compactUse),
    expiredAllowlist: v.expiredAllowlist.map(compactUse),
    ignored: v.ignored,
    matchedRules: ctx.matchedRules,
  };
}

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s;
}

function compactFinding(f: Finding): Finding {
  return {
    id: clip(f.id),
    severity: f.severity,
    ...(f.score !== undefined ? { score: f.score } : {}),
    ...(f.package !== undefined ? { package: clip(f.package) } : {}),
    ...(f.installedVersion !== undefined ? { installedVersion: clip(f.installedVersion) } : {}),
    ...(f.fixedVersion !== undefined ? { fixedVersion: clip(f.fixedVersion) } : {}),
  };
}

function compactReason(r: GateReason): Record<string, unknown> {
  if (r.rule === "requireScan") return { rule: r.rule, detail: r.detail.slice(0, 2000) };
  return {
    ...r,
    findingCount: r.findings.length,
    findings: r.findings.slice(0, MAX_FINDINGS).map(compactFinding),
  };
}

function compactUse(u: AllowlistUse): Record<string, unknown> {
  return {
    id: u.entry.id,
    reason: clip(u.entry.reason),
    expires: u.entry.expires,
    ...(u.entry.repositories ? { repositories: u.entry.repositories.slice(0, 20) } : {}),
    findings: u.findingIds.length,
    findingIds: u.findingIds.slice(0, MAX_FINDINGS),
  };
}

const severity = z.enum(SEVERITIES);
const finding = z.object({
  id: z.string(),
  severity,
  score: z.number().optional(),
  package: z.string().optional(),
  installedVersion: z.string().optional(),
  fixedVersion: z.string().optional(),
});
const rule = z.discriminatedUnion("rule", [
  z.object({ rule: z.literal("blockAt"), threshold: severity, findings: z.array(finding) }),
  z.object({
    rule: z.literal("maxCounts"),
    severity,
    max: z.number(),
    count: z.number(),
    findings: z.array(finding),
  }),
  z.object({ rule: z.literal("requireScan"), detail: z.string() }),
]);
const counts = z.partialRecord(severity, z.number());
const use = z.object({
  id: z.string(),
  reason: z.string().default(""),
  expires: z.string().default(""),
  repositories: z.array(z.string()).optional(),
  findingIds: z.array(z.string()).default([]),
});
const detailSchema = z.object({
  onFail: z.enum(["alert", "quarantine"]).optional(),
  evaluatedAt: z.string().optional(),
  counts: counts.default({}),
  totalCounts: counts.default({}),
  rules: z.array(rule).default([]),
  allowlisted: z.array(use).default([]),
  expiredAllowlist: z.array(use).default([]),
  ignored: z.object({ unfixed: z.number(), belowMinScore: z.number() }).optional(),
});

export interface RecordedDecision {
  verdict: GateVerdict;
  /** The onFail the policy said when the decision was taken; absent in records that predate it. */
  onFail?: OnFail;
}

/**
 * The decision a gate-evaluated record holds, rebuilt as a verdict. A detail that does not parse
 * (hand-edited, or written by an older version) still yields the recorded pass/fail with no
 * reasons: the decision is what the record says, whatever its explanation.
 */
export function recordedDecision(record: AuditRecord): RecordedDecision {
  const parsed = detailSchema.safeParse(record.detail ?? {});
  const d = parsed.success ? parsed.data : detailSchema.parse({});
  const toUse = (u: z.infer<typeof use>): AllowlistUse => ({
    entry: {
      id: u.id,
      reason: u.reason,
      expires: u.expires,
      ...(u.repositories ? { repositories: u.repositories } : {}),
    },
    findingIds: u.findingIds,
  });
  const verdict: GateVerdict = {
    verdict: record.verdict === "pass" ? "pass" : "fail",
    reasons: d.rules as GateReason[],
    counts: fullCounts(d.counts),
    totalCounts: fullCounts(d.totalCounts),
    allowlisted: d.allowlisted.map(toUse),
    expiredAllowlist: d.expiredAllowlist.map(toUse),
    ignored: d.ignored ?? { unfixed: 0, belowMinScore: 0 },
    policyVersion: record.policyVersion ?? "",
    evaluatedAt: d.evaluatedAt ?? record.recordedAt,
  };
  return { verdict, ...(d.onFail ? { onFail: d.onFail } : {}) };
}

function fullCounts(partial: Partial<Record<Severity, number>>): Record<Severity, number> {
  const out = {} as Record<Severity, number>;
  for (const s of SEVERITIES) out[s] = partial[s] ?? 0;
  return out;
}
