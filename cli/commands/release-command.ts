import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";
import { addRegistryOptions, type RegistryOptions } from "../registry-options.ts";

export interface ReleaseOptions extends RegistryOptions {
  reason: string;
  registryId?: string;
  region?: string;
  principal?: string;
  policy?: string;
  table?: string;
  topicArn?: string;
  endpointDynamodb?: string;
  json?: boolean;
}

export function releaseImageCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command("release")
    .description(
      "restore a quarantined image (ECR or OCI registry) after review; audited and alerted",
    )
    .argument(
      "<image>",
      "ECR: REPOSITORY@sha256:<digest>, an image key (ecr:<registry id>/REPOSITORY@sha256:…) or an ECR image URI; OCI (with --registry): REPOSITORY@sha256:…, host[:port]/REPOSITORY@sha256:… or oci:host[:port]/REPOSITORY@sha256:…",
    )
    .requiredOption("--reason <text>", "why the image is safe to use (recorded and alerted)");
  addRegistryOptions(cmd)
    .option("--registry-id <id>", "ECR: 12-digit registry (account) id (default: your AWS account)")
    .option(
      "--region <region>",
      "ECR: the registry's region; the audit table's too (default: your AWS configuration)",
    )
    .option(
      "--principal <who>",
      "who is releasing, as recorded in the audit trail (default: your AWS identity's ARN on ECR, local:<your user name> on an OCI registry)",
    )
    .option(
      "--policy <file>",
      "the deployed policy, for its audit retention (default: ./registry-guard.yaml if present)",
    )
    .option("--table <name>", "audit table (env REGISTRY_GUARD_TABLE)")
    .option(
      "--topic-arn <arn>",
      "alerts topic (env REGISTRY_GUARD_TOPIC_ARN); optional with an OCI registry: the alert is printed to stderr",
    )
    .option(
      "--endpoint-dynamodb <url>",
      "DynamoDB endpoint, e.g. a local DynamoDB (env REGISTRY_GUARD_DYNAMODB_ENDPOINT)",
    )
    .option("--json", "print the result as JSON (docs/cli.md)")
    .addHelpText(
      "after",
      [
        "",
        "ECR restores the image from the ARCHIVE storage class; it can be pulled again once its",
        "status is ACTIVE (up to 20 minutes). On an OCI registry the image is moved back from its",
        "quarantine repository with its tags. The release is recorded in the audit trail with the",
        "principal and reason, and an image.released alert is published.",
        helpAfter(
          [
            'registry-guard release prod/api@sha256:<digest> --registry-id 123456789012 \\\n      --region us-east-1 --reason "false positive: not reachable, SEC-123"',
            'registry-guard release ecr:123456789012/prod/api@sha256:<digest> --reason "SEC-123" \\\n      --table <tableName> --topic-arn <topicArn>',
            'printenv REGISTRY_TOKEN | registry-guard release team/api@sha256:<digest> \\\n      --registry https://registry.example.com --registry-username guard --registry-password-stdin \\\n      --reason "SEC-123" --table <tableName>',
          ],
          "0 released (or was not quarantined), 2 bad input or no such image (nothing changed), 3 could not complete.",
        ),
      ].join("\n"),
    )
    .action(async (image: string, opts: ReleaseOptions) => {
      const { runRelease } = await import("./release-action.ts");
      await runRelease(image, opts, io);
    });
}
