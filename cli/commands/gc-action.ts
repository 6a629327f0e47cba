import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { buildRetentionAlert } from "../../shared/domain/retention-alert.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type { Alerts, AuditLog } from "../../shared/ports.ts";
import { type ApplyResult, applyPlan } from "../../shared/retention/apply-plan.ts";
import { summarizeRetention } from "../../shared/retention/retention-summary.ts";
import { runRetention } from "../../shared/retention/run-retention.ts";
import { alertsTopic } from "../alerts-topic.ts";
import { auditTableSettings } from "../aws-settings.ts";
import { auditLog, snsAlerts } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import { type CliIo, processIo } from "../cli-io.ts";
import { checkRegion, checkRegistryId } from "../image-reference.ts";
import { type RegistrySettings, registrySettings } from "../registry-settings.ts";
import { checkRepositoryGlobs } from "../repository-globs.ts";
import { readPlanFile } from "../retention-plan-file.ts";
import { announcePlanned, retentionProgressBar } from "../retention-progress-bar.ts";
import { stderrAlerts } from "../stderr-alerts.ts";
import { stderrLog } from "../stderr-log.ts";
import type { GcOptions } from "./gc-command.ts";
import { checkMode, gcPolicy, parseConcurrency, retentionOf } from "./gc-inputs.ts";
import { checkOutputFile, reportGc } from "./gc-report.ts";
import { type GcTarget, targetName } from "./gc-target.ts";

function usage(code: string, message: string): never {
  throw new CliUsageError(code, message);
}

/**
 * `gc`: plan (--dry-run) or plan and apply (--apply) the policy's retention, or apply a plan
 * file exactly (--apply --plan). Everything typed is checked before the registry is called.
 */
export async function runGc(opts: GcOptions, io: CliIo): Promise<void> {
  const apply = checkMode(opts);
  const concurrency = parseConcurrency(opts.concurrency);
  const globs = checkRepositoryGlobs(opts.repository);
  if (opts.output !== undefined) checkOutputFile(opts.output);
  const settings = await registrySettings(opts, io);
  const region = opts.region === undefined ? undefined : checkRegion(opts.region);
  const registryId = opts.registryId === undefined ? undefined : checkRegistryId(opts.registryId);
  if (settings.kind === "oci" && registryId !== undefined) {
    usage(
      "CLI_REGISTRY_ID",
      "--registry-id is an ECR account id; an OCI registry is the --registry URL",
    );
  }
  if (settings.kind === "oci" && opts.ecsCluster.length > 0) {
    usage("CLI_ECS_CLUSTER", "--ecs-cluster is for ECR (ECS runs images from ECR)");
  }
  const planFile = opts.plan === undefined ? undefined : readPlanFile(opts.plan);
  const policy = gcPolicy(opts.policy, planFile === undefined, io);
  const retention = planFile ? undefined : retentionOf(policy, settings, apply, io);

  const log = stderrLog(io, opts.verbose ?? false);
  const clock = () => new Date();
  // The table: required to apply (every deletion is audited); a dry run on an OCI registry reads
  // it when one is named, for the push times the registry does not keep. Never written then.
  const tableNamed = (opts.table ?? io.env.REGISTRY_GUARD_TABLE) !== undefined;
  const table =
    apply || (settings.kind === "oci" && tableNamed)
      ? auditTableSettings({ ...opts, ...(region ? { region } : {}) }, io.env)
      : undefined;
  const topic = apply ? alertsTopic(settings, opts, io.env) : undefined;
  const store = table
    ? auditLog(table, resolvePolicy(policy, "*").audit.retentionDays, clock)
    : undefined;
  // Deletions are audited before they can happen at all: a missing table or a denied access is
  // found now, with nothing deleted.
  if (apply && store) await store.byEventType("retention-applied", { limit: 1 });

  const target = await gcTarget(settings, {
    ...(registryId !== undefined ? { registryId } : {}),
    ...(region !== undefined ? { region } : {}),
    inUse: retention?.protections.inUse === true,
    ecsClusters: opts.ecsCluster,
    ...(concurrency !== undefined ? { concurrency } : {}),
    log,
    ...(store ? { audit: store } : {}),
  });
  const progress = retentionProgressBar(io, {
    apply,
    ...(io === processIo ? { stream: process.stderr } : {}),
  });
  const audit: AuditLog = apply && store ? store : new MemoryAuditLog({ clock });
  const alerts: Alerts = topic ? snsAlerts(topic) : apply ? stderrAlerts(io) : noAlerts;
  let plan: RetentionPlan;
  let applied: ApplyResult | undefined;
  const errors: { repository: string; code: string; message: string }[] = [];
  try {
    if (planFile) {
      checkPlanTarget(planFile, target, opts.plan as string);
      progress.onProgress({ kind: "repositories", total: planFile.repositories.length });
      plan = planFile;
      applied = await applyPlan(
        planFile,
        { registry: target.registry, audit, log, clock },
        {
          ...(concurrency !== undefined ? { concurrency } : {}),
          onProgress: announcePlanned(planFile, progress.onProgress),
        },
      );
      const summary = summarizeRetention(planFile, applied, {
        registry: { kind: target.kind, registryId: target.registryId },
      });
      try {
        await alerts.publish(buildRetentionAlert(summary));
      } catch (err) {
        errors.push({
          repository: "*",
          code: "ALERT",
          message: `summary alert not published: ${(err as Error).message}`,
        });
      }
    } else {
      const run = await runRetention(
        {
          registry: target.registry,
          audit,
          log,
          clock,
          policy,
          alerts,
          ...(target.inUse ? { inUse: target.inUse } : {}),
        },
        {
          apply,
          ...(globs.length ? { repositories: globs } : {}),
          ...(concurrency !== undefined ? { concurrency } : {}),
          onProgress: progress.onProgress,
        },
      );
      plan = run.plan;
      applied = run.applied;
      errors.push(...run.errors);
    }
  } finally {
    progress.stop();
    target.close();
  }

  reportGc(io, { plan, applied, errors, json: opts.json === true, output: opts.output });
  if (globs.length > 0 && plan.repositories.length === 0 && errors.length === 0) {
    io.err(`note: no repository of ${targetName(target)} matches ${globs.join(", ")}`);
  }
  io.exit(
    errors.length > 0 ? EXIT.error : (applied?.failed.length ?? 0) > 0 ? EXIT.failed : EXIT.ok,
  );
}

async function gcTarget(
  settings: RegistrySettings,
  opts: {
    registryId?: string;
    region?: string;
    inUse: boolean;
    ecsClusters: string[];
    concurrency?: number;
    log: ReturnType<typeof stderrLog>;
    audit?: AuditLog;
  },
): Promise<GcTarget> {
  if (settings.kind === "oci") {
    const { ociGcTarget } = await import("./gc-oci.ts");
    return ociGcTarget(settings, opts);
  }
  const { ecrGcTarget } = await import("./gc-ecr.ts");
  return ecrGcTarget(opts);
}

/** A plan names its registry in every repository: it is applied there and nowhere else. */
function checkPlanTarget(plan: RetentionPlan, target: GcTarget, path: string): void {
  const other = plan.repositories.find(
    (r) =>
      r.registry !== target.kind ||
      r.registryId !== target.registryId ||
      (target.kind === "ecr" && r.region !== undefined && r.region !== target.region),
  );
  if (other) {
    usage(
      "CLI_PLAN_REGISTRY",
      `--plan ${path} was made for ${targetName({ kind: other.registry, registryId: other.registryId, ...(other.region ? { region: other.region } : {}) })} (repository ${other.repository}), not for ${targetName(target)}; pass the registry it was made for (--registry, --registry-id, --region)`,
    );
  }
}

/** A dry run alerts nobody. */
const noAlerts: Alerts = { publish: async () => ({}) };
