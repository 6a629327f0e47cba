import { existsSync } from "node:fs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";
import { dryRunDeps, type PlannedEffect } from "../../shared/pipeline/dry-run.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import type { Registry } from "../../shared/ports.ts";
import { auditTableSettings, topicSettings } from "../aws-settings.ts";
import { auditLog, snsAlerts } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { formatVerdict } from "../format-verdict.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseNow, readJsonFile } from "../read-input.ts";
import { stderrLog } from "../stderr-log.ts";
import { FINDINGS_FORMATS } from "./gate-command.ts";
import type { ReplayOptions } from "./replay-command.ts";

export async function runReplay(opts: ReplayOptions, io: CliIo): Promise<void> {
  if (!(FINDINGS_FORMATS as readonly string[]).includes(opts.format)) {
    throw new CliUsageError(
      "CLI_FORMAT",
      `--format ${opts.format}: expected one of ${FINDINGS_FORMATS.join(", ")}`,
    );
  }
  const event = parseRegistryEvent(readJsonFile(opts.event, "--event"));
  const policyPath = opts.policy ?? "registry-guard.yaml";
  if (!opts.policy && !existsSync(policyPath)) {
    throw new CliUsageError(
      "CLI_POLICY",
      "no --policy given and no registry-guard.yaml here; try --policy examples/registry-guard.yaml",
    );
  }
  const policy = loadPolicyFile(policyPath);
  const now = parseNow(opts.now);
  const clock = () => now;
  const log = stderrLog(io, opts.verbose ?? false);
  const simulated = opts.findings !== undefined;
  const dryRun = Boolean(opts.dryRun || simulated);
  // Checked before anything runs, so a missing table is not found after the registry was read.
  const targets = dryRun
    ? undefined
    : { table: auditTableSettings(opts, io.env), topic: topicSettings(opts, io.env) };

  let registry: Registry;
  if (opts.findings !== undefined) {
    const scan = parseFindingsDocument(
      readJsonFile(opts.findings, "--findings"),
      opts.format as (typeof FINDINGS_FORMATS)[number],
    );
    const mem = new MemoryRegistry("ecr");
    if (event.kind !== "ignored") mem.add(event.image, scan, { pushedAt: event.time });
    registry = mem;
  } else {
    const region = event.kind !== "ignored" ? event.image.region : undefined;
    registry = new EcrRegistry(new ECRClient(awsClientConfig(region ? { region } : {})));
  }

  let deps: PipelineDeps;
  let planned: PlannedEffect[] | undefined;
  const retentionDays = resolvePolicy(policy, "*").audit.retentionDays;
  if (!targets) {
    // A dry run against the real registry reads the real trail when a table is named, so it
    // sees what earlier deliveries already did; the dry-run wrapper never writes to it.
    const readTrail = !simulated && (opts.table ?? io.env.REGISTRY_GUARD_TABLE) !== undefined;
    const dry = dryRunDeps({
      registry,
      audit: readTrail
        ? auditLog(auditTableSettings(opts, io.env), retentionDays, clock)
        : new MemoryAuditLog({ clock }),
      // Replaced by the dry-run wrapper, which captures alerts as planned effects.
      alerts: { publish: async () => ({}) },
      policy,
      clock,
      log,
    });
    deps = dry.deps;
    planned = dry.planned;
  } else {
    deps = {
      registry,
      policy,
      clock,
      log,
      audit: auditLog(targets.table, retentionDays, clock),
      alerts: snsAlerts(targets.topic),
    };
  }

  const outcome = await handleEvent(deps, event);
  if (opts.json) {
    io.out(
      JSON.stringify(
        { schemaVersion: 1, dryRun, simulated, outcome, planned: planned ?? [] },
        null,
        2,
      ),
    );
  } else {
    io.out(
      formatOutcome(
        outcome,
        planned,
        simulated,
        policy,
        event.kind === "ignored" ? undefined : event.image.repository,
      ),
    );
  }
  io.exit(EXIT.ok);
}

function formatOutcome(
  o: PipelineOutcome,
  planned: PlannedEffect[] | undefined,
  simulated: boolean,
  policy: ReturnType<typeof loadPolicyFile>,
  repository: string | undefined,
): string {
  const lines = [
    `${simulated ? "SIMULATED registry (--findings): " : ""}${planned ? "DRY RUN, nothing written" : "applied"}`,
    `event ${o.eventId} (${o.kind}) → ${o.status}${o.image ? ` ${o.image}` : ""}${o.note ? `: ${o.note}` : ""}`,
  ];
  if (o.gate && repository) lines.push(formatVerdict(o.gate, resolvePolicy(policy, repository)));
  for (const s of o.steps)
    lines.push(`  step ${s.action.padEnd(16)} ${planned ? "would record" : s.status}`);
  for (const p of planned ?? []) {
    if (p.effect === "alert") lines.push(`  would alert: ${p.alert.subject}`);
    else lines.push(`  would ${p.effect}: ${p.image.repository}@${p.image.digest}`);
  }
  return lines.join("\n");
}
