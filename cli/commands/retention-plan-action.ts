import { inventoriesFromDescribeImages } from "../../shared/adapters/ecr/describe-images-inventory.ts";
import { planRetention } from "../../shared/domain/plan-retention.ts";
import { repositoryMatcher } from "../../shared/domain/policy-resolve.ts";
import type { RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { planTable, retentionJson, summaryLine } from "../format-retention-plan.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseTime, readTextFile } from "../read-input.ts";
import { checkRepositoryGlobs } from "../repository-globs.ts";
import type { RetentionPlanOptions } from "./retention-command.ts";

/** A date-time with its offset: a plan "as of a day" would depend on the reader's time zone. */
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** 2026-02-30 is not a day (Date.parse would quietly read it as 2026-03-02). */
function isCalendarDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split("-").map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * `retention plan`: the planner over `aws ecr describe-images` files, offline. Pure apart from
 * reading the files: the same files, policy and --now always print the same bytes.
 */
export function runRetentionPlan(opts: RetentionPlanOptions, io: CliIo): void {
  if (!DATE_TIME_WITH_ZONE.test(opts.now) || !isCalendarDate(opts.now)) {
    throw new CliUsageError(
      "CLI_TIME",
      `--now ${opts.now}: expected an ISO 8601 date-time with its offset, such as 2026-06-15T00:00:00Z`,
    );
  }
  const now = parseTime(opts.now, "--now");
  const globs = checkRepositoryGlobs(opts.repository);
  const loaded = loadPolicyFile(opts.policy);
  let policy: RetentionPolicy;
  try {
    policy = retentionPolicyOf(loaded);
  } catch (err) {
    throw new CliUsageError("CLI_POLICY", `--policy ${opts.policy}: ${(err as Error).message}`);
  }
  if (loaded.document.retention === undefined) {
    io.err(
      `note: ${opts.policy} has no retention: section; only the built-in garbage collection applies (docs/retention.md)`,
    );
  }
  const documents = opts.inventory.map((name) => ({
    name,
    text: readTextFile(name, "--inventory"),
  }));
  let inventories: RepositoryInventory[];
  try {
    inventories = inventoriesFromDescribeImages(documents);
  } catch (err) {
    throw new CliUsageError("CLI_INVENTORY", `--inventory: ${(err as Error).message}`);
  }
  const selected = globs.length
    ? inventories.filter((inv) => repositoryMatcher(globs)(inv.repository))
    : inventories;
  if (globs.length && selected.length === 0) {
    io.err(`note: no repository in the inventories matches ${globs.join(", ")}`);
  }
  const plan = planRetention(selected, policy, { now, policyVersion: loaded.version });
  io.out(
    opts.json
      ? retentionJson(plan)
      : `${planTable(plan)}\n\n${summaryLine(plan, undefined, "offline plan")}`,
  );
  io.exit(EXIT.ok);
}
