import { Command, CommanderError } from "commander";
import { EXIT, isBadInput } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { auditCommand } from "./commands/audit-command.ts";
import { gateCommand } from "./commands/gate-command.ts";
import { gcCommand } from "./commands/gc-command.ts";
import { policyCommand } from "./commands/policy-command.ts";
import { releaseImageCommand } from "./commands/release-command.ts";
import { replayCommand } from "./commands/replay-command.ts";
import { retentionCommand } from "./commands/retention-command.ts";
import { verifyCommand } from "./commands/verify-command.ts";
import { helpAfter } from "./help-text.ts";

/**
 * The command tree. Only commander and the command definitions load here: each action imports
 * its implementation (and with it the AWS SDK, zod, the pipeline) when it runs, so `--help` and
 * a mistyped option answer at once.
 */

export function buildProgram(io: CliIo): Command {
  const program = new Command("registry-guard")
    .description("Security gates, quarantine and an audit trail for container registries")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      outputError: (s, write) => write(hideOptionValues(s)),
    })
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard gate --policy registry-guard.yaml --repository team-a/api --findings trivy.json",
          "registry-guard policy validate registry-guard.yaml",
          'registry-guard release prod/api@sha256:<digest> --reason "SEC-123: not reachable"',
          "registry-guard audit verify",
          "registry-guard verify team-a/api@sha256:<digest> --key cosign.pub",
          "registry-guard gc --dry-run --policy registry-guard.yaml --repository 'team-a/**'",
          "registry-guard help release",
        ],
        "0 ok, 1 the check failed (gate, policy, audit, verify) or some gc deletions failed, 2 bad input, 3 could not complete.\nJSON output and exit codes: docs/cli.md",
      ),
    );
  gateCommand(program, io);
  policyCommand(program, io);
  replayCommand(program, io);
  releaseImageCommand(program, io);
  auditCommand(program, io);
  gcCommand(program, io);
  retentionCommand(program, io);
  verifyCommand(program, io);
  return program;
}

/**
 * Commander quotes a mistyped `--option=value` whole; the value may be a secret (say,
 * `--registry-pasword=…`), so an error shows the option's name only.
 */
export function hideOptionValues(message: string): string {
  // Greedy to the line's last quote: the value itself may hold quotes.
  return message.replace(/'(--?[\w-]+)=.*'/g, "'$1=…'");
}

export async function runCli(program: Command, argv: string[], io: CliIo): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      io.exit(err.exitCode === 0 ? EXIT.ok : EXIT.badInput);
      return;
    }
    if (isBadInput(err)) {
      io.err(`registry-guard: ${(err as Error).message}`);
      io.exit(EXIT.badInput);
      return;
    }
    io.err(`registry-guard: ${err instanceof Error ? err.message : String(err)}`);
    io.exit(EXIT.error);
  }
}
