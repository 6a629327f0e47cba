import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";

export interface AuditTargetOptions {
  table?: string;
  endpointDynamodb?: string;
  region?: string;
  registryId?: string;
  json?: boolean;
}

export interface AuditQueryOptions extends AuditTargetOptions {
  image?: string;
  repository?: string;
  eventType?: string;
  from?: string;
  to?: string;
  limit?: string;
}

export interface AuditVerifyOptions extends AuditTargetOptions {
  image?: string;
  repository?: string;
  now?: string;
}

/** Options every audit subcommand shares: where the table is, and how to complete short names. */
function tableOptions(cmd: Command): Command {
  return cmd
    .option(
      "--registry-id <id>",
      "registry (account) id for a plain repository name (default: your AWS account)",
    )
    .option("--table <name>", "audit table (env REGISTRY_GUARD_TABLE)")
    .option("--region <region>", "region of the audit table (default: your AWS configuration)")
    .option(
      "--endpoint-dynamodb <url>",
      "DynamoDB endpoint, e.g. a local DynamoDB (env REGISTRY_GUARD_DYNAMODB_ENDPOINT)",
    )
    .option("--json", "print JSON (docs/cli.md)");
}

export function auditCommand(program: Command, io: CliIo): void {
  const audit = program
    .command("audit")
    .description("read and verify the tamper-evident audit trail")
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard audit query --repository prod/api --from 2026-06-01",
          "registry-guard audit verify",
        ],
        "see each subcommand's --help.",
      ),
    );

  tableOptions(
    audit
      .command("query")
      .description("list audit records of one image, one repository or one event type")
      .option("--image <image>", "an image key (ecr:<id>/REPO@sha256:…) or REPO@sha256:…")
      .option("--repository <repo>", "a repository key (ecr:<id>/REPO) or a plain name")
      .option(
        "--event-type <type>",
        "records of one event type: image-pushed, scan-completed, release, scan-timeout-check …",
      )
      .option("--from <iso>", "records written at or after this time")
      .option("--to <iso>", "records written at or before this time")
      .option("--limit <n>", "at most this many records"),
  )
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard audit query --image ecr:123456789012/prod/api@sha256:<digest>",
          "registry-guard audit query --repository prod/api --registry-id 123456789012 \\\n      --from 2026-06-01 --to 2026-06-30T23:59:59Z",
          "registry-guard audit query --event-type release --limit 20 --json | jq .record.principal",
        ],
        "0 listed (even none), 2 bad input, 3 could not complete.",
      ),
    )
    .action(async (opts: AuditQueryOptions) => {
      const { runAuditQuery } = await import("./audit-query-action.ts");
      await runAuditQuery(opts, io);
    });

  tableOptions(
    audit
      .command("verify")
      .description("check the hash chains: detect edited, deleted or reordered records")
      .option("--image <image>", "only this image: an image key or REPO@sha256:…")
      .option("--repository <repo>", "only this repository: a repository key or a plain name")
      .option("--now <iso>", "judge record expiry (TTL) as of this time"),
  )
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard audit verify --table <tableName>",
          "registry-guard audit verify --repository prod/api --json | jq '.issues[]'",
          "registry-guard audit verify --image ecr:123456789012/prod/api@sha256:<digest>",
        ],
        "0 every chain intact, 1 tampering found (each issue listed with its code, image and seq), 2 bad input (or --image has no records), 3 could not complete.",
      ),
    )
    .action(async (opts: AuditVerifyOptions) => {
      const { runAuditVerify } = await import("./audit-verify-action.ts");
      await runAuditVerify(opts, io);
    });
}
