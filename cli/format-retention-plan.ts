import type {
  PlannedArtifact,
  RepositoryPlan,
  RetentionPlan,
} from "../shared/domain/retention-plan.ts";
import type { ApplyResult } from "../shared/retention/apply-plan.ts";

/**
 * The retention plan for people (an aligned table per repository) and for programs (the JSON
 * document `gc --json`, `gc --output` and `retention plan --json` print, which `gc --apply --plan`
 * reads back). Pure: the same plan always renders to the same bytes.
 */

/** What `--json` prints and `--output` writes: the plan, and what applying it did. */
export interface RetentionDocument {
  schemaVersion: 1;
  /** True when nothing was deleted: a dry run or an offline plan. */
  dryRun: boolean;
  plan: RetentionPlan;
  applied?: ApplyResult;
}

export function retentionDocument(plan: RetentionPlan, applied?: ApplyResult): RetentionDocument {
  return { schemaVersion: 1, dryRun: applied === undefined, plan, ...(applied ? { applied } : {}) };
}

export function retentionJson(plan: RetentionPlan, applied?: ApplyResult): string {
  return JSON.stringify(retentionDocument(plan, applied), null, 2);
}

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** 1288490189 → "1.2 GiB"; under 1 KiB in bytes. Binary units: what registries bill and show. */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  let value = bytes;
  let unit: string = "B";
  for (const u of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** An ISO time as `YYYY-MM-DD HH:MM UTC` (a table needs no seconds); an unparsable one as given. */
export function utcMinute(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Pull times: null is "the registry records pulls and this was never pulled". */
export function lastPulled(value: string | null | undefined): string {
  if (value === null) return "never";
  return value === undefined ? "unknown" : utcMinute(value);
}

/** sha256:<first 12 hex>: enough to tell artifacts apart in a table. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 19);
}

const PROTECTIONS = new Set(["immutable-tag", "quarantined", "in-use", "pulled-recently"]);
const COLLECTIONS = new Set([
  "untagged-expired",
  "untagged-too-young",
  "orphan-referrer",
  "quarantine-expired",
]);
const LINKS = new Set([
  "child-of-kept-index",
  "referrer-of-kept-subject",
  "child-of-deleted-index",
  "subject-deleted",
]);

/** Who decided: `rule #0 latestPushedK`, `protection immutable-tag`, `gc untagged-expired` … */
export function decidedBy(a: PlannedArtifact): string {
  const rule = a.rule ? `rule #${a.rule.index} ${a.rule.template}` : undefined;
  if (a.reason === "rule") return rule ?? "rule";
  if (a.reason === "not-retained") return rule ? `not-retained by ${rule}` : "not-retained";
  if (PROTECTIONS.has(a.reason)) return `protection ${a.reason}`;
  if (COLLECTIONS.has(a.reason)) return `gc ${a.reason}`;
  if (LINKS.has(a.reason)) return `link ${a.reason}`;
  return a.reason;
}

/** Registry data is someone else's: no control character reaches the terminal. */
function cell(value: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const COLUMNS: [string, (a: PlannedArtifact) => string, number][] = [
  ["DIGEST", (a) => shortDigest(a.digest), 19],
  ["ROLE", (a) => a.role, 12],
  ["TAGS", (a) => (a.tags.length ? [...a.tags].sort().join(",") : "-"), 40],
  ["PUSHED", (a) => (a.pushedAt === undefined ? "unknown" : utcMinute(a.pushedAt)), 24],
  ["LAST PULLED", (a) => lastPulled(a.lastPulledAt), 24],
  ["SIZE", (a) => (a.sizeBytes === undefined ? "unknown" : humanBytes(a.sizeBytes)), 12],
  ["DECISION", (a) => (a.decision === "delete" ? "DELETE" : "keep"), 8],
  ["DECIDED BY", decidedBy, 48],
  ["DETAIL", (a) => a.detail, 400],
];

export function artifactsTable(artifacts: readonly PlannedArtifact[]): string {
  const rows = artifacts.map((a) => COLUMNS.map(([, get, max]) => cell(get(a), max)));
  const widths = COLUMNS.map(([title], i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        if (i === cells.length - 1) return c;
        // Sizes read best right-aligned.
        return COLUMNS[i]?.[0] === "SIZE" ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0);
      })
      .join("  ")
      .trimEnd();
  return [line(COLUMNS.map(([title]) => title)), ...rows.map(line)].join("\n");
}

function reclaimed(bytes: number, unknown: number): string {
  return `${humanBytes(bytes)} to reclaim${unknown ? ` (+${unknown} of unknown size)` : ""}`;
}

export function repositoryName(
  r: Pick<RepositoryPlan, "registry" | "registryId" | "region" | "repository">,
): string {
  return `${r.registry}:${r.registryId}/${r.repository}${r.region ? ` (${r.region})` : ""}`;
}

function repositorySection(r: RepositoryPlan): string {
  const head = `${cell(repositoryName(r), 400)}: ${r.artifacts.length} artifact${r.artifacts.length === 1 ? "" : "s"}, ${r.kept} kept, ${r.deleted} to delete, ${reclaimed(r.bytesReclaimed, r.bytesUnknown)}`;
  return r.artifacts.length === 0
    ? `${head}\n  (empty repository)`
    : `${head}\n${artifactsTable(r.artifacts)}`;
}

/** The whole plan: one section per repository, then the totals. */
export function planTable(plan: RetentionPlan): string {
  const t = plan.totals;
  const sections = plan.repositories.map(repositorySection);
  const footer = [
    `plan ${plan.planId} for ${plan.now}, policy ${plan.policyVersion}`,
    `total: ${t.repositories} repositor${t.repositories === 1 ? "y" : "ies"}, ${t.artifacts} artifacts, ${t.kept} kept, ${t.deleted} to delete, ${reclaimed(t.bytesReclaimed, t.bytesUnknown)}`,
  ];
  return [...sections, footer.join("\n")].join("\n\n");
}

/** What applying did, beyond the summary: every failure and skipped digest on its own line. */
export function applyDetails(applied: ApplyResult): string {
  const lines = [
    ...applied.failed.map(
      (f) =>
        `FAILED   ${cell(f.repository, 200)}@${f.digest}${f.code ? ` ${cell(f.code, 60)}` : ""}${f.message ? `: ${cell(f.message, 300)}` : ""}`,
    ),
    ...applied.skipped.map(
      (s) => `SKIPPED  ${cell(s.repository, 200)}@${s.digest}: ${cell(s.why, 300)}`,
    ),
  ];
  return lines.join("\n");
}

/** The last line: counts and bytes, for a dry run (what would happen) or an apply (what did). */
export function summaryLine(plan: RetentionPlan, applied?: ApplyResult, label = "dry run"): string {
  const t = plan.totals;
  const repos = `${t.repositories} repositor${t.repositories === 1 ? "y" : "ies"}`;
  if (!applied) {
    return `${label}: ${repos}, ${t.kept} kept, ${t.deleted} to delete, 0 failed, ${reclaimed(t.bytesReclaimed, t.bytesUnknown)}; nothing was deleted`;
  }
  const gone = applied.alreadyGone ? ` (+${applied.alreadyGone} already gone)` : "";
  const skipped = applied.skipped.length ? `, ${applied.skipped.length} skipped` : "";
  return `applied plan ${applied.planId.slice(0, 12)}: ${repos}, ${t.kept} kept, ${applied.deleted} deleted${gone}, ${applied.failed.length} failed${skipped}, ${humanBytes(applied.bytesReclaimed)} reclaimed`;
}
