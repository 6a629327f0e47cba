import { existsSync } from "node:fs";
import { type LoadedPolicy, loadPolicy } from "../../shared/domain/policy-load.ts";
import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";
import { CliUsageError } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import type { RegistrySettings } from "../registry-settings.ts";
import type { GcOptions } from "./gc-command.ts";

/** What `gc` checks of the user's input before any registry or AWS call (all exit 2). */

function usage(code: string, message: string): never {
  throw new CliUsageError(code, message);
}

/** Exactly one of --dry-run and --apply: deleting is never the default, and neither is guessing. */
export function checkMode(opts: GcOptions): boolean {
  if (opts.dryRun && opts.apply) {
    usage("CLI_GC_MODE", "--dry-run and --apply contradict each other: pass one of them");
  }
  if (!opts.dryRun && !opts.apply) {
    usage(
      "CLI_GC_MODE",
      "gc needs --dry-run (plan only: list what would be deleted, delete nothing) or --apply (delete what the plan deletes); neither is assumed",
    );
  }
  if (opts.plan !== undefined && !opts.apply) {
    usage(
      "CLI_PLAN",
      "--plan FILE is for --apply; a dry run makes a plan (write it with --output FILE)",
    );
  }
  if (opts.plan !== undefined && opts.repository.length > 0) {
    usage(
      "CLI_PLAN",
      "--repository chooses what to plan; with --plan the plan file says what is deleted (plan those repositories with gc --dry-run --repository … --output FILE)",
    );
  }
  if (opts.plan !== undefined && opts.ecsCluster.length > 0) {
    usage(
      "CLI_PLAN",
      "--ecs-cluster is for planning; the plan file already protects what it keeps",
    );
  }
  return opts.apply === true;
}

export function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 32) {
    usage("CLI_CONCURRENCY", `--concurrency ${value}: expected a whole number from 1 to 32`);
  }
  return n;
}

/**
 * Planning needs the policy's retention section: --policy or ./registry-guard.yaml. Applying a
 * plan file needs the policy only for the audit records' retention, like `release`.
 */
export function gcPolicy(path: string | undefined, planning: boolean, io: CliIo): LoadedPolicy {
  if (path !== undefined) return loadPolicyFile(path);
  if (existsSync("registry-guard.yaml")) return loadPolicyFile("registry-guard.yaml");
  if (planning) {
    usage(
      "CLI_POLICY",
      "no --policy given and no registry-guard.yaml here: the retention rules come from the policy (its retention: section)",
    );
  }
  io.err(
    "note: no --policy and no ./registry-guard.yaml; the audit records use the built-in retention (400 days)",
  );
  return loadPolicy("version: 1\n", "(built-in defaults)");
}

/** The retention settings, checked now (exit 2) rather than after the registry was listed. */
export function retentionOf(
  policy: LoadedPolicy,
  settings: RegistrySettings,
  apply: boolean,
  io: CliIo,
): RetentionPolicy {
  let retention: RetentionPolicy;
  try {
    retention = retentionPolicyOf(policy);
  } catch (err) {
    usage("CLI_POLICY", `${policy.fileName}: ${(err as Error).message}`);
  }
  if (policy.document.retention === undefined) {
    io.err(
      `note: ${policy.fileName} has no retention: section; only the built-in garbage collection applies (docs/retention.md)`,
    );
  }
  if (retention.protections.inUse && settings.kind === "oci") {
    const message =
      "retention.protections.inUse needs an in-use provider, and none exists for an OCI registry";
    if (apply) usage("CLI_IN_USE", `${message}: set inUse: false to apply, or plan with --dry-run`);
    io.err(`note: ${message}; the plan cannot protect digests in use`);
  }
  return retention;
}
