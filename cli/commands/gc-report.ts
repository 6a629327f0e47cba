import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type { ApplyResult } from "../../shared/retention/apply-plan.ts";
import { CliUsageError } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import {
  applyDetails,
  humanBytes,
  planTable,
  retentionJson,
  summaryLine,
} from "../format-retention-plan.ts";

/** --output is checked before the run: a plan that cannot be saved is found before it is made. */
export function checkOutputFile(path: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // Not there yet: its directory must be.
  }
  if (isDirectory) {
    throw new CliUsageError("CLI_OUTPUT", `--output ${path}: is a directory; name a file`);
  }
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch {
    throw new CliUsageError(
      "CLI_OUTPUT",
      `--output ${path}: cannot write there (the directory is missing or not writable)`,
    );
  }
}

export interface GcReport {
  plan: RetentionPlan;
  applied?: ApplyResult;
  errors: { repository: string; code: string; message: string }[];
  json: boolean;
  output?: string;
}

/**
 * stdout carries the result only: the JSON document, or the table (dry run) or what was deleted
 * (apply), then the summary line. With --json the summary and errors go to stderr.
 */
export function reportGc(io: CliIo, r: GcReport): void {
  const json = retentionJson(r.plan, r.applied);
  if (r.output !== undefined) writeFileSync(r.output, `${json}\n`);
  const errorLines = r.errors.map((e) => `ERROR    ${e.repository}: ${e.code}: ${e.message}`);
  const summary = summaryLine(r.plan, r.applied);
  if (r.json) {
    io.out(json);
    for (const line of errorLines) io.err(line);
    io.err(summary);
    return;
  }
  const parts = [r.applied ? appliedTable(r.applied) : planTable(r.plan)];
  const details = r.applied ? applyDetails(r.applied) : "";
  if (details) parts.push(details);
  if (errorLines.length) parts.push(errorLines.join("\n"));
  parts.push(summary);
  io.out(parts.join("\n\n"));
}

/** One line per repository of an apply: what went, what did not. */
function appliedTable(applied: ApplyResult): string {
  if (applied.repositories.length === 0) return "no repositories";
  return applied.repositories
    .map(
      (r) =>
        `${r.repository}: ${r.deleted} deleted${r.alreadyGone ? `, ${r.alreadyGone} already gone` : ""}, ${r.failed.length} failed${r.skipped.length ? `, ${r.skipped.length} skipped` : ""}, ${humanBytes(r.bytesReclaimed)} reclaimed`,
    )
    .join("\n");
}
