import type { Command } from "commander";
import { policyJsonSchema } from "../../shared/domain/policy-json-schema.ts";
import { PolicyError } from "../../shared/domain/policy-load.ts";
import { EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { loadPolicyFile } from "../load-policy-file.ts";

export function policyCommand(program: Command, io: CliIo): void {
  const policy = program
    .command("policy")
    .description("validate a policy file or print its JSON Schema");
  policy
    .command("validate")
    .description("check a policy file; errors name the line, column and field")
    .argument("<file>", "policy file (registry-guard.yaml)")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExit status: 0 valid, 1 invalid, 2 unreadable file.")
    .action((file: string, opts: { json?: boolean }) => {
      try {
        const loaded = loadPolicyFile(file);
        const doc = loaded.document;
        const summary = {
          valid: true,
          file,
          version: loaded.version,
          overrides: doc.repositories?.length ?? 0,
          allowlistEntries: doc.allowlist?.length ?? 0,
        };
        io.out(
          opts.json
            ? JSON.stringify(summary, null, 2)
            : `${file}: valid (version ${summary.version}, ${summary.overrides} override(s), ${summary.allowlistEntries} allowlist entr${summary.allowlistEntries === 1 ? "y" : "ies"})`,
        );
        io.exit(EXIT.ok);
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        io.out(
          opts.json
            ? JSON.stringify({ valid: false, file, issues: err.issues }, null, 2)
            : err.message,
        );
        io.exit(EXIT.failed);
      }
    });
  policy
    .command("schema")
    .description("print the policy's JSON Schema (for editor validation and completion)")
    .action(() => {
      io.out(JSON.stringify(policyJsonSchema(), null, 2));
      io.exit(EXIT.ok);
    });
}
