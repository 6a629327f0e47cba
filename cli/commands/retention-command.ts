import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";
import { collect } from "./gc-command.ts";

export interface RetentionPlanOptions {
  inventory: string[];
  policy: string;
  now: string;
  json?: boolean;
  repository: string[];
}

export function retentionCommand(program: Command, io: CliIo): void {
  const retention = program
    .command("retention")
    .description("try retention policies offline, before enabling them")
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard retention plan --inventory prod-api.json --policy registry-guard.yaml \\\n      --now 2026-06-15T00:00:00Z",
          "# the inventory: aws ecr describe-images --repository-name prod/api --output json > prod-api.json",
        ],
        "see each subcommand's --help.",
      ),
    );

  retention
    .command("plan")
    .description(
      "plan retention over `aws ecr describe-images` output: no registry, no AWS credentials",
    )
    .requiredOption(
      "--inventory <file>",
      "output of `aws ecr describe-images --output json` (repeatable; each file one or many repositories)",
      collect,
    )
    .requiredOption("--policy <file>", "policy file with a retention: section")
    .requiredOption(
      "--now <iso>",
      "plan as of this time, a date-time with its offset (2026-06-15T00:00:00Z): the same --now gives the same plan",
    )
    .option(
      "--repository <glob>",
      "only repositories matching this glob (repeatable; * within a path segment, ** across)",
      collect,
      [],
    )
    .option("--json", "print the plan as JSON, as gc --dry-run --json does (docs/cli.md)")
    .addHelpText(
      "after",
      [
        "",
        "describe-images tells neither index children nor referrer subjects: untagged manifests the",
        "planner cannot place are kept (placement-unknown), never guessed away.",
        helpAfter(
          [
            "registry-guard retention plan --inventory prod-api.json --inventory prod-web.json \\\n      --policy registry-guard.yaml --now 2026-06-15T00:00:00Z",
            "registry-guard retention plan --inventory all.json --policy registry-guard.yaml \\\n      --now 2026-06-15T00:00:00Z --repository 'team-a/**' --json | jq .plan.totals",
          ],
          "0 planned, 2 bad input (a missing or malformed inventory, policy or --now).",
        ),
      ].join("\n"),
    )
    .action(async (opts: RetentionPlanOptions) => {
      const { runRetentionPlan } = await import("./retention-plan-action.ts");
      runRetentionPlan(opts, io);
    });
}
