import type { Alert } from "../ports.ts";
import { ALERT_BUDGET_BYTES } from "./alert-envelope.ts";
import { fitLists } from "./alert-fit.ts";
import { clip, printable, shortDigest } from "./alert-format.ts";
import { NO_SEVERITY } from "./alert-message.ts";
import { SUBJECT_MAX } from "./alert-subject.ts";
import { capText } from "./alert-text.ts";
import type { RegistryKind } from "./image.ts";

/** Version of the retention alert JSON; bumped on any incompatible change. */
export const RETENTION_ALERT_SCHEMA_VERSION = 1;

/**
 * `eventType` attribute of a retention summary: retention-applied (deletions were made) or
 * retention-planned (a dry run that alerts, e.g. a schedule that only plans). The same words
 * are the audit records' eventType.
 */
export const RETENTION_EVENT_TYPES = ["retention-applied", "retention-planned"] as const;
export type RetentionEventType = (typeof RETENTION_EVENT_TYPES)[number];

/**
 * `severity` attribute when something failed. A failed deletion leaves the image where it was,
 * so it never outranks a vulnerability in a filter policy written for the gate.
 */
export const RETENTION_FAILURE_SEVERITY = "LOW";

/** Entries shown in the text per list; the JSON keeps as many as fit in the budget. */
const TEXT_ITEMS = 10;
/**
 * No list can put more entries than this into the JSON: five JSON copies of 240 KB leave under
 * 50 KB for each, and an entry is well over 50 bytes. Only these are formatted at all.
 */
const JSON_ITEMS_MAX = 1000;

export interface RetentionSummaryFailure {
  repository: string;
  digest: string;
  code?: string;
  message?: string;
}

export interface RetentionSummarySkip {
  repository: string;
  digest: string;
  why: string;
}

export interface RetentionSummaryRepository {
  repository: string;
  /** Applied: deleted by this run; dry run: planned deletions. */
  deleted: number;
  bytesReclaimed: number;
  failed: number;
}

/** What one retention run did (or, on a dry run, would do): the input of its alert. */
export interface RetentionSummary {
  planId: string;
  mode: "applied" | "dry-run";
  registry: { kind: RegistryKind; registryId: string; region?: string };
  policyVersion: string;
  /** The `now` the plan was made for (ISO). */
  now: string;
  repositories: number;
  /** The repository's name when the run covered exactly one. */
  repository?: string;
  artifacts: number;
  kept: number;
  /** Applied: deleted by this run; dry run: planned deletions. */
  deleted: number;
  alreadyGone: number;
  /** Applied: bytes of what was deleted; dry run: bytes the plan would reclaim. */
  bytesReclaimed: number;
  /** Deletions whose size the registry did not report. */
  bytesUnknown: number;
  /** `count` is the full count; `items` may be only the first of them. */
  failed: { count: number; items: RetentionSummaryFailure[] };
  skipped: { count: number; items: RetentionSummarySkip[] };
  /** Repositories that could not be planned or applied at all. */
  errors: { repository: string; message: string }[];
  /** Largest reclaim first (the builder sorts and cuts). */
  topRepositories: RetentionSummaryRepository[];
  /** Set when the run stopped early: the next run continues after this repository. */
  cursor?: string;
}

/** "3.2 GiB": binary units, one decimal below 10. */
export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  const digits = u === 0 || v >= 10 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[u]}`;
}

/** "12,345". */
function count(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function verdictOf(s: RetentionSummary): "pass" | "fail" {
  return s.failed.count > 0 || s.errors.length > 0 ? "fail" : "pass";
}

function byBytes(a: RetentionSummaryRepository, b: RetentionSummaryRepository): number {
  return (
    b.bytesReclaimed - a.bytesReclaimed ||
    b.deleted - a.deleted ||
    (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0)
  );
}

/** SNS subjects: ASCII, under 100 characters; trailing details give way first. */
function subjectOf(s: RetentionSummary): string {
  const applied = s.mode === "applied";
  const head = `[registry-guard] RETENTION ${applied ? "applied" : "plan"}:`;
  const scope =
    s.repository !== undefined
      ? s.repository
      : `${count(s.repositories)} repositor${s.repositories === 1 ? "y" : "ies"}`;
  const parts = [
    `${count(s.deleted)} ${applied ? "deleted" : "to delete"}`,
    humanBytes(s.bytesReclaimed),
    ...(s.failed.count ? [`${count(s.failed.count)} failed`] : []),
    ...(s.errors.length ? [`${count(s.errors.length)} errors`] : []),
  ];
  const ascii = (x: string) => x.replace(/[^\x20-\x7e]/g, "?");
  for (let keep = parts.length; keep >= 1; keep--) {
    const line = ascii(`${head} ${parts.slice(0, keep).join(", ")} (${scope})`);
    if (line.length <= SUBJECT_MAX) return line;
  }
  const fixed = ascii(`${head} ${parts[0]} ()`).length;
  const room = SUBJECT_MAX - fixed - 3;
  const cut = room > 0 ? `...${scope.slice(-room)}` : "";
  return ascii(`${head} ${parts[0]} (${cut})`).slice(0, SUBJECT_MAX);
}

function textOf(s: RetentionSummary, top: RetentionSummaryRepository[]): string {
  const applied = s.mode === "applied";
  const where = `${s.registry.kind} ${s.registry.registryId}${s.registry.region ? ` (${s.registry.region})` : ""}`;
  const scope =
    s.repository !== undefined
      ? `repository ${s.repository}`
      : `${count(s.repositories)} repositories`;
  const lines = [
    applied
      ? `registry-guard: retention applied to ${scope} of ${where}.`
      : `registry-guard: retention plan (dry run) for ${scope} of ${where}; nothing was deleted.`,
    "",
    `Plan        ${s.planId} (policy ${s.policyVersion}, now ${s.now})`,
    `Artifacts   ${count(s.artifacts)}, kept ${count(s.kept)}`,
    applied
      ? `Deleted     ${count(s.deleted)}, ${humanBytes(s.bytesReclaimed)} reclaimed${s.bytesUnknown ? ` (${count(s.bytesUnknown)} sizes unknown)` : ""}`
      : `To delete   ${count(s.deleted)}, ${humanBytes(s.bytesReclaimed)} to reclaim${s.bytesUnknown ? ` (${count(s.bytesUnknown)} sizes unknown)` : ""}`,
    ...(applied ? [`Already gone ${count(s.alreadyGone)}`] : []),
    ...(s.failed.count ? [`Failed      ${count(s.failed.count)}`] : []),
    ...(s.skipped.count ? [`Skipped     ${count(s.skipped.count)} (changed since the plan)`] : []),
    ...(s.cursor !== undefined
      ? [`Continues   after ${clip(s.cursor, 256)} (this run stopped early; the next one goes on)`]
      : []),
  ];
  if (top.length) {
    lines.push("", "Top repositories by bytes");
    for (const r of top.slice(0, TEXT_ITEMS)) {
      lines.push(
        `  ${clip(r.repository, 120)}: ${count(r.deleted)} ${applied ? "deleted" : "to delete"}, ${humanBytes(r.bytesReclaimed)}${r.failed ? `, ${count(r.failed)} failed` : ""}`,
      );
    }
    if (top.length > TEXT_ITEMS) lines.push(`  ... and ${count(top.length - TEXT_ITEMS)} more`);
  }
  if (s.failed.count) {
    lines.push("", "Failures");
    for (const f of s.failed.items.slice(0, TEXT_ITEMS)) {
      lines.push(
        `  ${clip(f.repository, 120)}@${shortDigest(f.digest)} ${clip(f.code ?? "failed", 80)}${f.message ? `: ${clip(f.message, 200)}` : ""}`,
      );
    }
    const shown = Math.min(TEXT_ITEMS, s.failed.items.length);
    if (s.failed.count > shown) lines.push(`  ... and ${count(s.failed.count - shown)} more`);
  }
  if (s.errors.length) {
    lines.push("", "Repositories with errors");
    for (const e of s.errors.slice(0, TEXT_ITEMS)) {
      lines.push(`  ${clip(e.repository, 120)}: ${clip(e.message, 300)}`);
    }
    if (s.errors.length > TEXT_ITEMS)
      lines.push(`  ... and ${count(s.errors.length - TEXT_ITEMS)} more`);
  }
  if (verdictOf(s) === "fail") {
    lines.push(
      "",
      "What to do",
      "  Failed deletions left the images in place. Fix the cause named by the code (permissions,",
      "  throttling, a manifest still referenced), then apply the same plan again: what was done",
      "  is not done twice, and what changed since the plan is skipped.",
    );
  }
  return capText(lines.join("\n"));
}

/**
 * The summary alert of a retention run: counts, bytes, failures and the largest repositories.
 * Attributes for filter policies: eventType retention-applied | retention-planned, severity
 * NONE (or LOW when something failed), repository (the one, or "*"), verdict pass | fail. The
 * publish stays under 256 KB: lists are cut to what fits and `truncated` says how many were
 * left out (the counts are always the full ones).
 */
export function buildRetentionAlert(summary: RetentionSummary): Alert {
  const s = summary;
  const eventType: RetentionEventType =
    s.mode === "applied" ? "retention-applied" : "retention-planned";
  const verdict = verdictOf(s);
  const top = [...s.topRepositories].filter((r) => r.deleted > 0 || r.failed > 0).sort(byBytes);
  const base = {
    subject: subjectOf(s),
    text: textOf(s, top),
    attributes: {
      eventType,
      severity: verdict === "fail" ? RETENTION_FAILURE_SEVERITY : NO_SEVERITY,
      repository: s.repository ?? "*",
      verdict,
    },
  };

  const topJson = top
    .slice(0, JSON_ITEMS_MAX)
    .map((r) => ({ ...r, repository: clip(r.repository, 256) }));
  const failures = s.failed.items.slice(0, JSON_ITEMS_MAX).map((f) => ({
    repository: clip(f.repository, 256),
    digest: clip(f.digest, 80),
    ...(f.code !== undefined ? { code: clip(f.code, 100) } : {}),
    ...(f.message !== undefined ? { message: clip(printable(f.message), 500) } : {}),
  }));
  const skipped = s.skipped.items.slice(0, JSON_ITEMS_MAX).map((x) => ({
    repository: clip(x.repository, 256),
    digest: clip(x.digest, 80),
    why: clip(printable(x.why), 300),
  }));
  const errors = s.errors.slice(0, JSON_ITEMS_MAX).map((e) => ({
    repository: clip(e.repository, 256),
    message: clip(printable(e.message), 1000),
  }));
  const common = {
    schemaVersion: RETENTION_ALERT_SCHEMA_VERSION,
    eventType,
    planId: clip(s.planId, 128),
    mode: s.mode,
    verdict,
    registry: {
      kind: s.registry.kind,
      registryId: clip(s.registry.registryId, 256),
      ...(s.registry.region ? { region: clip(s.registry.region, 64) } : {}),
    },
    policyVersion: clip(s.policyVersion, 64),
    now: s.now,
    ...(s.repository !== undefined ? { repository: clip(s.repository, 256) } : {}),
    ...(s.cursor !== undefined ? { cursor: clip(s.cursor, 256) } : {}),
    totals: {
      repositories: s.repositories,
      artifacts: s.artifacts,
      kept: s.kept,
      deleted: s.deleted,
      alreadyGone: s.alreadyGone,
      failed: s.failed.count,
      skipped: s.skipped.count,
      errors: s.errors.length,
      bytesReclaimed: s.bytesReclaimed,
      bytesReclaimedHuman: humanBytes(s.bytesReclaimed),
      bytesUnknown: s.bytesUnknown,
    },
  };

  const render = (cap: number): Alert => {
    const omitted = {
      topRepositories: Math.max(0, top.length - Math.min(cap, topJson.length)),
      failures: Math.max(0, s.failed.count - Math.min(cap, failures.length)),
      skipped: Math.max(0, s.skipped.count - Math.min(cap, skipped.length)),
      errors: Math.max(0, s.errors.length - Math.min(cap, errors.length)),
    };
    const nonZero = Object.fromEntries(Object.entries(omitted).filter(([, n]) => n > 0));
    return {
      ...base,
      json: {
        ...common,
        topRepositories: topJson.slice(0, cap),
        failures: failures.slice(0, cap),
        skipped: skipped.slice(0, cap),
        errors: errors.slice(0, cap),
        ...(Object.keys(nonZero).length ? { truncated: nonZero } : {}),
      },
    };
  };
  return fitLists([topJson, failures, skipped, errors], render, ALERT_BUDGET_BYTES) ?? render(0);
}
