import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";

export const FINDINGS_FORMATS = ["ecr", "trivy", "grype", "auto"] as const;

export interface GateOptions {
  findings: string;
  format: string;
  policy: string;
  repository: string;
  now?: string;
  pushedAt?: string;
  json?: boolean;
}

export function gateCommand(program: Command, io: CliIo): void {
  program
    .command("gate")
    .description("evaluate a findings document against the policy for one repository")
    .requiredOption(
      "--findings <file>",
      "findings: ECR describe-image-scan-findings JSON, Trivy JSON or Grype JSON",
    )
    .option("--format <format>", `one of ${FINDINGS_FORMATS.join(", ")}`, "auto")
    .requiredOption("--policy <file>", "policy file (registry-guard.yaml)")
    .requiredOption(
      "--repository <name>",
      "repository the image belongs to (selects policy overrides)",
    )
    .option("--now <iso>", "evaluate as of this time (allowlist expiry, scan timeout)")
    .option("--pushed-at <iso>", "when the image was pushed (for requireScan/scanTimeout)")
    .option("--json", "print the stable JSON result instead of text (docs/cli.md)")
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard gate --policy registry-guard.yaml --repository team-a/api \\\n      --findings trivy.json",
          "trivy image --format json -o trivy.json my/image:1.0 && \\\n      registry-guard gate --policy registry-guard.yaml --repository my/image --findings trivy.json --json",
        ],
        "0 pass, 1 fail (or scan still pending), 2 bad input.",
      ),
    )
    .action(async (opts: GateOptions) => {
      const { runGate } = await import("./gate-action.ts");
      runGate(opts, io);
    });
}
