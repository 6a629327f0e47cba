import type { Command } from "commander";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { gateDecision } from "../../shared/domain/severity-gate.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { formatVerdict, verdictJson } from "../format-verdict.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseNow, readJsonFile } from "../read-input.ts";

const FORMATS = ["ecr", "trivy", "grype", "auto"] as const;

export function gateCommand(program: Command, io: CliIo): void {
  program
    .command("gate")
    .description("evaluate a findings document against the policy for one repository")
    .requiredOption(
      "--findings <file>",
      "findings: ECR describe-image-scan-findings JSON, Trivy JSON or Grype JSON",
    )
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "auto")
    .requiredOption("--policy <file>", "policy file (registry-guard.yaml)")
    .requiredOption(
      "--repository <name>",
      "repository the image belongs to (selects policy overrides)",
    )
    .option("--now <iso>", "evaluate as of this time (allowlist expiry, scan timeout)")
    .option("--pushed-at <iso>", "when the image was pushed (for requireScan/scanTimeout)")
    .option("--json", "print the stable JSON result instead of text")
    .addHelpText("after", "\nExit status: 0 pass, 1 fail (or scan still pending), 2 bad input.")
    .action(
      (opts: {
        findings: string;
        format: string;
        policy: string;
        repository: string;
        now?: string;
        pushedAt?: string;
        json?: boolean;
      }) => {
        if (!(FORMATS as readonly string[]).includes(opts.format)) {
          throw new CliUsageError(
            "CLI_FORMAT",
            `--format ${opts.format}: expected one of ${FORMATS.join(", ")}`,
          );
        }
        const now = parseNow(opts.now);
        const pushedAt =
          opts.pushedAt === undefined ? undefined : parseNow(opts.pushedAt).toISOString();
        const loaded = loadPolicyFile(opts.policy);
        const scan = parseFindingsDocument(
          readJsonFile(opts.findings, "--findings"),
          opts.format as (typeof FORMATS)[number],
        );
        const policy = resolvePolicy(loaded, opts.repository);
        const decision = gateDecision({ scan, policy, now, ...(pushedAt ? { pushedAt } : {}) });
        if (decision.status === "pending") {
          if (opts.json)
            io.out(
              JSON.stringify(
                {
                  schemaVersion: 1,
                  verdict: "pending",
                  repository: opts.repository,
                  retryAfter: decision.retryAfter,
                },
                null,
                2,
              ),
            );
          else
            io.out(
              `PENDING  ${opts.repository}: scan not complete; it fails the gate after ${decision.retryAfter}`,
            );
          io.exit(EXIT.failed);
          return;
        }
        io.out(
          opts.json
            ? JSON.stringify(verdictJson(decision.verdict, policy), null, 2)
            : formatVerdict(decision.verdict, policy),
        );
        io.exit(decision.verdict.verdict === "pass" ? EXIT.ok : EXIT.failed);
      },
    );
}
