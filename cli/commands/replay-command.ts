import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";

export interface ReplayOptions {
  event: string;
  dryRun?: boolean;
  policy?: string;
  findings?: string;
  format: string;
  now?: string;
  json?: boolean;
  table?: string;
  topicArn?: string;
  endpointDynamodb?: string;
  region?: string;
  verbose?: boolean;
}

export function replayCommand(program: Command, io: CliIo): void {
  program
    .command("replay")
    .description("run the real pipeline on a recorded event (EventBridge JSON)")
    .requiredOption("--event <file>", "the event, as EventBridge delivers it")
    .option("--dry-run", "print the decisions and the actions they would take; write nothing")
    .option("--policy <file>", "policy file (default: ./registry-guard.yaml)")
    .option(
      "--findings <file>",
      "simulate the registry offline: the event's image has these findings (ECR/Trivy/Grype JSON); nothing real is read or written",
    )
    .option("--format <format>", "format of --findings: ecr, trivy, grype or auto", "auto")
    .option("--now <iso>", "the clock, for allowlist expiry and scan timeouts")
    .option("--table <name>", "audit table (env REGISTRY_GUARD_TABLE); needed without --dry-run")
    .option(
      "--topic-arn <arn>",
      "alerts topic (env REGISTRY_GUARD_TOPIC_ARN); needed without --dry-run",
    )
    .option(
      "--endpoint-dynamodb <url>",
      "DynamoDB endpoint, e.g. a local DynamoDB (env REGISTRY_GUARD_DYNAMODB_ENDPOINT)",
    )
    .option("--region <region>", "region of the audit table (default: your AWS configuration)")
    .option("--json", "print the outcome as JSON (docs/cli.md)")
    .option("--verbose", "log pipeline steps to stderr")
    .addHelpText(
      "after",
      [
        "",
        "Without --findings the image and its findings are read from ECR with your AWS credentials.",
        helpAfter(
          [
            "registry-guard replay --event examples/events/ecr-basic-scan-complete.json \\\n      --findings examples/findings/ecr-enhanced-fail.json --policy examples/registry-guard.yaml",
            "registry-guard replay --event event.json --dry-run --json",
            "registry-guard replay --event event.json --table <tableName> --topic-arn <topicArn>",
          ],
          "0 handled (whatever the verdict), 2 bad input, 3 could not complete.",
        ),
      ].join("\n"),
    )
    .action(async (opts: ReplayOptions) => {
      const { runReplay } = await import("./replay-action.ts");
      await runReplay(opts, io);
    });
}
