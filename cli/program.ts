import { Command, CommanderError } from "commander";
import { PolicyError } from "../shared/domain/policy-load.ts";
import { EventParseError } from "../shared/events/event-parse-error.ts";
import { FindingsFormatError } from "../shared/findings/parse-findings-document.ts";
import { ReleaseError } from "../shared/pipeline/release-image.ts";
import { CliUsageError, EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { gateCommand } from "./commands/gate-command.ts";
import { policyCommand } from "./commands/policy-command.ts";
import { replayCommand } from "./commands/replay-command.ts";

/** Errors that mean "your input is wrong": exit 2, one clear message, nothing changed. */
const BAD_INPUT = [CliUsageError, PolicyError, FindingsFormatError, EventParseError, ReleaseError];

/** Exit status when the command could not complete (AWS unreachable, registry error …). */
export const EXIT_ERROR = 3;

export function buildProgram(io: CliIo): Command {
  const program = new Command("registry-guard")
    .description("Security gates, quarantine and an audit trail for container registries")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });
  gateCommand(program, io);
  policyCommand(program, io);
  replayCommand(program, io);
  return program;
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
    if (BAD_INPUT.some((cls) => err instanceof cls)) {
      io.err(`registry-guard: ${(err as Error).message}`);
      io.exit(EXIT.badInput);
      return;
    }
    io.err(`registry-guard: ${(err as Error).message ?? String(err)}`);
    io.exit(EXIT_ERROR);
  }
}
