import type { ChainReport } from "../shared/domain/audit-chain.ts";
import type { AuditRecord } from "../shared/domain/audit-record.ts";

/** One table cell: records are data someone else wrote, so no control character reaches the terminal. */
function cell(value: string, max = 60): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** repo@sha256:abcdef123456: enough to tell images apart in a table. */
function shortImage(r: AuditRecord): string {
  return `${r.repository}@${r.digest.slice(0, 19)}`;
}

const COLUMNS: [string, (r: AuditRecord) => string][] = [
  ["RECORDED AT", (r) => r.recordedAt],
  ["IMAGE", shortImage],
  ["SEQ", (r) => String(r.seq)],
  ["ACTION", (r) => r.action],
  ["EVENT TYPE", (r) => r.eventType],
  ["VERDICT", (r) => r.verdict ?? "-"],
  ["PRINCIPAL", (r) => r.principal ?? "-"],
  ["REASONS", (r) => (r.reasons?.length ? r.reasons.join("; ") : "-")],
];

/** Records as an aligned text table, in the order given. */
export function recordsTable(records: readonly AuditRecord[]): string {
  if (records.length === 0) return "no audit records match";
  const rows = records.map((r) => COLUMNS.map(([, get]) => cell(get(r))));
  const widths = COLUMNS.map(([title], i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(COLUMNS.map(([title]) => title)), ...rows.map(line)].join("\n");
}

function span(r: ChainReport): string {
  const count = `${r.records} record${r.records === 1 ? "" : "s"}`;
  const seqs =
    r.firstSeq === null ? "" : ` (seq ${r.firstSeq}-${r.lastSeq}, head ${r.headSeq ?? "none"})`;
  const gone = [
    ...(r.truncated ? [`${r.truncated.from}-${r.truncated.to}`] : []),
    ...r.expiredGaps.map((g) => `${g.from}-${g.to}`),
  ];
  return `${count}${seqs}${gone.length ? `; expired by TTL: ${gone.join(", ")}` : ""}`;
}

/** The verify report: one line per image, every issue under its image, then a summary. */
export function verifyText(reports: readonly ChainReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.ok ? "OK  " : "FAIL"}  ${cell(r.imageKey, 400)}  ${span(r)}`);
    for (const i of r.issues) lines.push(`      ${i.code}  seq ${i.seq}  ${cell(i.message, 400)}`);
  }
  const bad = reports.filter((r) => !r.ok);
  const issues = bad.reduce((n, r) => n + r.issues.length, 0);
  lines.push(
    reports.length === 0
      ? "no audit records found: nothing to verify"
      : `${reports.length} image(s) verified: ${reports.length - bad.length} intact, ${bad.length} with issues${issues ? ` (${issues} issue${issues === 1 ? "" : "s"})` : ""}`,
  );
  return lines.join("\n");
}
