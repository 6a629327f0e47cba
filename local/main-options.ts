import { existsSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_DATA_DIR } from "./data-dir.ts";
import { DEFAULT_PORTS, DEFAULT_TABLE } from "./runtime.ts";

export interface MainOptions {
  policy: string;
  dataDir: string;
  registryPort: number;
  receiverPort: number;
  dynamodbPort: number;
  table: string;
  alertWebhook?: string;
  demo: boolean;
  verbose: boolean;
}

/** The policy used when --policy is not given: ./registry-guard.yaml, else the example. */
export function defaultPolicyFile(exists: (p: string) => boolean = existsSync): string {
  return exists("registry-guard.yaml") ? "registry-guard.yaml" : "examples/registry-guard.yaml";
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) {
    throw new InvalidArgumentError("expected a port number from 1 to 65535");
  }
  return n;
}

/** `npm start -- [options]`; commander exits 0 for --help and 1 for a bad option. */
export function parseMainOptions(argv: string[]): MainOptions {
  const program = new Command("npm start --")
    .description(
      "registry-guard on this machine: a real registry, the webhook receiver, the pipeline, the audit trail and alerts",
    )
    .option(
      "--policy <file>",
      "policy file (default: ./registry-guard.yaml if present, else examples/registry-guard.yaml)",
    )
    .option("--data-dir <dir>", "where registry, audit and alert data are kept", DEFAULT_DATA_DIR)
    .option("--registry-port <port>", "registry port", port, DEFAULT_PORTS.registry)
    .option("--receiver-port <port>", "webhook receiver port", port, DEFAULT_PORTS.receiver)
    .option(
      "--dynamodb-port <port>",
      "local DynamoDB (audit trail) port",
      port,
      DEFAULT_PORTS.dynamodb,
    )
    .option("--table <name>", "audit table name", DEFAULT_TABLE)
    .option("--alert-webhook <url>", "also POST every alert's JSON to this URL")
    .option(
      "--demo",
      "push a sample image with a failing Trivy report and show the quarantine",
      false,
    )
    .option("--verbose", "log every event the pipeline handles", false)
    .addHelpText(
      "after",
      "\nAll services listen on 127.0.0.1 only. Ctrl-C stops them all; data stays in --data-dir.\nSee docs/local.md.",
    );
  program.parse(argv);
  const o = program.opts<Omit<MainOptions, "policy"> & { policy?: string }>();
  return { ...o, policy: o.policy ?? defaultPolicyFile() };
}
