import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";
import { addRegistryOptions, type RegistryOptions } from "../registry-options.ts";

export interface ReplayOptions extends RegistryOptions {
  event: string;
  dryRun?: boolean;
  decide?: boolean;
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
  const cmd = program
    .command("replay")
    .description(
      "run the real pipeline on a recorded event (EventBridge JSON or a registry webhook)",
    )
    .requiredOption(
      "--event <file>",
      "the event as it was delivered: EventBridge JSON (ECR), or with --registry <url> a CNCF distribution notification or a Harbor webhook body",
    )
    .option("--dry-run", "print the decisions and the actions they would take; write nothing")
    .option(
      "--decide",
      "after an image push, decide the image's gate now, as the scan-timeout sweep would (a CNCF distribution registry sends no scan event)",
    )
    .option("--policy <file>", "policy file (default: ./registry-guard.yaml)")
    .option(
      "--findings <file>",
      "simulate the registry offline: the event's image has these findings (ECR/Trivy/Grype JSON); nothing real is read or written",
    )
    .option("--format <format>", "format of --findings: ecr, trivy, grype or auto", "auto")
    .option("--now <iso>", "the clock, for allowlist expiry and scan timeouts");
  addRegistryOptions(cmd)
    .option("--table <name>", "audit table (env REGISTRY_GUARD_TABLE); needed without --dry-run")
    .option(
      "--topic-arn <arn>",
      "alerts topic (env REGISTRY_GUARD_TOPIC_ARN); needed without --dry-run on ECR (on an OCI registry, alerts go to stderr without one)",
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
        "Without --findings the image and its findings are read from the registry: ECR with your AWS",
        "credentials, or the OCI registry named by --registry (reports attached to the image).",
        helpAfter(
          [
            "registry-guard replay --event examples/events/ecr-basic-scan-complete.json \\\n      --findings examples/findings/ecr-enhanced-fail.json --policy examples/registry-guard.yaml",
            "registry-guard replay --event event.json --dry-run --json",
            "registry-guard replay --event event.json --table <tableName> --topic-arn <topicArn>",
            "registry-guard replay --event notification.json --registry http://127.0.0.1:5000 --dry-run --decide",
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
