import type { ChainReport } from "../../shared/domain/audit-chain.ts";
import { imageKeyOf, repositoryKeyOf } from "../audit-target.ts";
import { auditTableSettings } from "../aws-settings.ts";
import { auditLog, READ_ONLY_RETENTION_DAYS } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { verifyText } from "../format-audit.ts";
import { parseImageReference, parseRepositoryReference } from "../image-reference.ts";
import { parseNow } from "../read-input.ts";
import type { AuditVerifyOptions } from "./audit-command.ts";

export async function runAuditVerify(opts: AuditVerifyOptions, io: CliIo): Promise<void> {
  if (opts.image !== undefined && opts.repository !== undefined) {
    throw new CliUsageError(
      "CLI_SELECTOR",
      "audit verify takes --image or --repository, not both (or neither, for every image)",
    );
  }
  const now = parseNow(opts.now);
  const table = auditTableSettings(opts, io.env);
  const image =
    opts.image === undefined ? undefined : parseImageReference(opts.image, opts, "--image");
  const repository =
    opts.repository === undefined ? undefined : parseRepositoryReference(opts.repository, opts);

  const store = auditLog(table, READ_ONLY_RETENTION_DAYS);
  let reports: ChainReport[];
  if (image) {
    const key = await imageKeyOf(image, table.region);
    const report = await store.verifyImage(key, now);
    if (report.records === 0 && report.headSeq === null) {
      // Nothing at all under this key: most likely a typo, and "intact" would mislead.
      throw new CliUsageError(
        "CLI_NO_RECORDS",
        `no audit records for ${key}; check the key (audit query --repository lists a repository's images)`,
      );
    }
    reports = [report];
  } else {
    const repositoryKey = repository ? await repositoryKeyOf(repository, table.region) : undefined;
    reports = await store.verifyAll(repositoryKey === undefined ? {} : { repositoryKey }, now);
  }

  const ok = reports.every((r) => r.ok);
  if (opts.json) {
    const issues = reports.flatMap((r) => r.issues);
    io.out(
      JSON.stringify(
        {
          schemaVersion: 1,
          ok,
          checkedAt: now.toISOString(),
          images: reports.length,
          imagesWithIssues: reports.filter((r) => !r.ok).length,
          issues,
          reports,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(verifyText(reports));
  }
  io.exit(ok ? EXIT.ok : EXIT.failed);
}
