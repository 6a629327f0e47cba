import type { AuditRecord } from "../../shared/domain/audit-record.ts";
import type { AuditQuery } from "../../shared/ports.ts";
import { imageKeyOf, repositoryKeyOf } from "../audit-target.ts";
import { auditTableSettings } from "../aws-settings.ts";
import { auditLog, READ_ONLY_RETENTION_DAYS } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { recordsTable } from "../format-audit.ts";
import { parseImageReference, parseRepositoryReference } from "../image-reference.ts";
import { parseTime } from "../read-input.ts";
import type { AuditQueryOptions } from "./audit-command.ts";

const MAX_LIMIT = 100_000;

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LIMIT) {
    throw new CliUsageError(
      "CLI_LIMIT",
      `--limit ${value}: expected a whole number from 1 to ${MAX_LIMIT}`,
    );
  }
  return n;
}

/** The validated query: bounds as the ISO strings records carry, so they compare as stored. */
function parseQuery(opts: AuditQueryOptions): AuditQuery {
  const from = opts.from === undefined ? undefined : parseTime(opts.from, "--from").toISOString();
  const to = opts.to === undefined ? undefined : parseTime(opts.to, "--to").toISOString();
  if (from !== undefined && to !== undefined && from > to) {
    throw new CliUsageError("CLI_RANGE", `--from ${opts.from} is after --to ${opts.to}`);
  }
  const limit = parseLimit(opts.limit);
  return {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** byImage reads the whole chain; the same bounds as the index queries are applied here. */
function within(records: AuditRecord[], q: AuditQuery): AuditRecord[] {
  const kept = records.filter(
    (r) =>
      (q.from === undefined || r.recordedAt >= q.from) &&
      (q.to === undefined || r.recordedAt <= q.to),
  );
  return q.limit === undefined ? kept : kept.slice(0, q.limit);
}

export async function runAuditQuery(opts: AuditQueryOptions, io: CliIo): Promise<void> {
  const chosen = [opts.image, opts.repository, opts.eventType].filter((s) => s !== undefined);
  if (chosen.length !== 1) {
    throw new CliUsageError(
      "CLI_SELECTOR",
      `audit query needs exactly one of --image, --repository or --event-type (got ${chosen.length})`,
    );
  }
  const q = parseQuery(opts);
  const table = auditTableSettings(opts, io.env);
  const image =
    opts.image === undefined ? undefined : parseImageReference(opts.image, opts, "--image");
  const repository =
    opts.repository === undefined ? undefined : parseRepositoryReference(opts.repository, opts);
  if (opts.eventType !== undefined && !/^[a-z0-9][a-z0-9.:_-]{0,99}$/.test(opts.eventType)) {
    throw new CliUsageError(
      "CLI_EVENT_TYPE",
      `--event-type ${opts.eventType}: expected an event type such as image-pushed, scan-completed or release`,
    );
  }

  const store = auditLog(table, READ_ONLY_RETENTION_DAYS);
  let records: AuditRecord[];
  if (image) records = within(await store.byImage(await imageKeyOf(image, table.region)), q);
  else if (repository)
    records = await store.byRepository(await repositoryKeyOf(repository, table.region), q);
  else records = await store.byEventType(opts.eventType as string, q);

  if (opts.json) {
    for (const record of records) io.out(JSON.stringify({ schemaVersion: 1, record }));
  } else {
    io.out(recordsTable(records));
  }
  io.exit(EXIT.ok);
}
