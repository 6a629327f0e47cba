import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";

export function policyCommand(program: Command, io: CliIo): void {
  const policy = program
    .command("policy")
    .description("validate a policy file or print its JSON Schema")
    .addHelpText(
      "after",
      helpAfter(
        ["registry-guard policy validate registry-guard.yaml", "registry-guard policy schema"],
        "see each subcommand's --help.",
      ),
    );
  policy
    .command("validate")
    .description("check a policy file; errors name the line, column and field")
    .argument("<file>", "policy file (registry-guard.yaml)")
    .option("--json", "print the result as JSON (docs/cli.md)")
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard policy validate registry-guard.yaml",
          "registry-guard policy validate registry-guard.yaml --json | jq .issues",
        ],
        "0 valid, 1 invalid, 2 unreadable file.",
      ),
    )
    .action(async (file: string, opts: { json?: boolean }) => {
      const { runPolicyValidate } = await import("./policy-action.ts");
      runPolicyValidate(file, opts, io);
    });
  policy
    .command("schema")
    .description("print the policy's JSON Schema (for editor validation and completion)")
    .addHelpText(
      "after",
      helpAfter(
        [
          "registry-guard policy schema > registry-guard.schema.json",
          "# then, first line of registry-guard.yaml (YAML language server):\n    # yaml-language-server: $schema=./registry-guard.schema.json",
        ],
        "0.",
      ),
    )
    .action(async () => {
      const { runPolicySchema } = await import("./policy-action.ts");
      runPolicySchema(io);
    });
}
