import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";
import { addRegistryOptions, type RegistryOptions } from "../registry-options.ts";

export interface GcOptions extends RegistryOptions {
  dryRun?: boolean;
  apply?: boolean;
  repository: string[];
  policy?: string;
  plan?: string;
  json?: boolean;
  output?: string;
  concurrency?: string;
  registryId?: string;
  region?: string;
  ecsCluster: string[];
  table?: string;
  topicArn?: string;
  endpointDynamodb?: string;
  verbose?: boolean;
}

/** A repeatable option: every occurrence is kept, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function gcCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command("gc")
    .description(
      "retention and garbage collection: plan what the policy's retention rules delete (--dry-run), then delete exactly that (--apply)",
    )
    .option(
      "--dry-run",
      "plan only: list every artifact with its decision; delete and write nothing",
    )
    .option("--apply", "delete what the plan deletes; every deletion is audited, a summary alerted")
    .option(
      "--repository <glob>",
      "only repositories matching this glob (repeatable; * within a path segment, ** across)",
      collect,
      [],
    )
    .option(
      "--policy <file>",
      "policy file with a retention: section (default: ./registry-guard.yaml)",
    )
    .option(
      "--plan <file>",
      "with --apply: delete exactly the plan in this file (written by gc --dry-run --output), nothing else",
    )
    .option("--json", "print the plan (and what applying it did) as JSON (docs/cli.md)")
    .option("--output <file>", "also write that JSON to this file (to review, then --apply --plan)")
    .option(
      "--concurrency <n>",
      "repositories and deletions worked on at once, 1-32 (default: the registry adapter's)",
    );
  addRegistryOptions(cmd)
    .option("--registry-id <id>", "ECR: 12-digit registry (account) id (default: your AWS account)")
    .option(
      "--region <region>",
      "ECR: the registry's region; the audit table's too (default: your AWS configuration)",
    )
    .option(
      "--ecs-cluster <name>",
      "ECR with protections.inUse: only these ECS clusters' running tasks count as use (repeatable; default: every cluster)",
      collect,
      [],
    )
    .option("--table <name>", "audit table (env REGISTRY_GUARD_TABLE); needed with --apply")
    .option(
      "--topic-arn <arn>",
      "alerts topic (env REGISTRY_GUARD_TOPIC_ARN); needed with --apply on ECR (on an OCI registry the summary alert goes to stderr without one)",
    )
    .option(
      "--endpoint-dynamodb <url>",
      "DynamoDB endpoint, e.g. a local DynamoDB (env REGISTRY_GUARD_DYNAMODB_ENDPOINT)",
    )
    .option("--verbose", "log each step to stderr")
    .addHelpText(
      "after",
      [
        "",
        "Exactly one of --dry-run and --apply: nothing is deleted unless you say --apply. A dry run",
        "shows a table per repository: every digest with its tags, push and pull times, size, the",
        "decision and the rule or protection that made it, and the bytes reclaimed. Review it, then",
        "apply that very plan with --apply --plan FILE. On an OCI registry, push times come from the",
        "audit trail when a table is named (else from the image config's build time).",
        helpAfter(
          [
            "registry-guard gc --dry-run --policy registry-guard.yaml --repository 'team-a/**'",
            "registry-guard gc --dry-run --json --output plan.json --region us-east-1",
            "registry-guard gc --apply --plan plan.json --region us-east-1 --table <tableName> --topic-arn <topicArn>",
            "registry-guard gc --dry-run --registry http://127.0.0.1:5000 --policy registry-guard.yaml",
          ],
          "0 done (a dry run, or every planned deletion made), 1 some deletions failed, 2 bad input (nothing deleted), 3 could not complete.",
        ),
      ].join("\n"),
    )
    .action(async (opts: GcOptions) => {
      const { runGc } = await import("./gc-action.ts");
      await runGc(opts, io);
    });
}
