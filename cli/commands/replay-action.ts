import { existsSync } from "node:fs";
import { policyKmsPublicKeySource } from "../../shared/adapters/kms/sdk-kms-public-key-source.ts";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import { imageKey, parseImageKey } from "../../shared/domain/image.ts";
import type { LoadedPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import type {
  IgnoredEvent,
  ImagePushed,
  RegistryEvent,
} from "../../shared/domain/registry-event.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";
import { decideImage } from "../../shared/pipeline/decide-image.ts";
import { dryRunDeps, type PlannedEffect } from "../../shared/pipeline/dry-run.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import type { Log, Registry } from "../../shared/ports.ts";
import { alertsTopic } from "../alerts-topic.ts";
import { auditTableSettings } from "../aws-settings.ts";
import { auditLog, snsAlerts } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { formatVerdict } from "../format-verdict.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseNow, readJsonFile } from "../read-input.ts";
import { type RegistrySettings, registrySettings } from "../registry-settings.ts";
import { replayEvents } from "../replay-events.ts";
import { stderrAlerts } from "../stderr-alerts.ts";
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
  const settings = await registrySettings(opts, io);
  const events = replayEvents(readJsonFile(opts.event, "--event"), settings, opts.event);
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
    : { table: auditTableSettings(opts, io.env), topic: alertsTopic(settings, opts, io.env) };
  const source =
    opts.findings !== undefined
      ? simulatedRegistry(opts, settings, events)
      : await realRegistry(settings, events, log);

  // Keys the policy trusts by kmsArn: fetched with kms:GetPublicKey, the SDK loaded only for them.
  const kms = policyKmsPublicKeySource(policy);
  try {
    let deps: PipelineDeps;
    let planned: PlannedEffect[] | undefined;
    const retentionDays = resolvePolicy(policy, "*").audit.retentionDays;
    if (!targets) {
      // A dry run against the real registry reads the real trail when a table is named, so it
      // sees what earlier deliveries already did; the dry-run wrapper never writes to it.
      const readTrail = !simulated && (opts.table ?? io.env.REGISTRY_GUARD_TABLE) !== undefined;
      const dry = dryRunDeps({
        registry: source.registry,
        audit: readTrail
          ? auditLog(auditTableSettings(opts, io.env), retentionDays, clock)
          : new MemoryAuditLog({ clock }),
        // Replaced by the dry-run wrapper, which captures alerts as planned effects.
        alerts: { publish: async () => ({}) },
        policy,
        clock,
        log,
        ...(kms ? { kms } : {}),
      });
      deps = dry.deps;
      planned = dry.planned;
    } else {
      deps = {
        registry: source.registry,
        policy,
        clock,
        log,
        ...(kms ? { kms } : {}),
        audit: auditLog(targets.table, retentionDays, clock),
        alerts: targets.topic ? snsAlerts(targets.topic) : stderrAlerts(io),
      };
    }

    const outcomes: PipelineOutcome[] = [];
    for (const event of events) {
      const outcome = await handleEvent(deps, event);
      outcomes.push(outcome);
      // Only a push recorded as an image of its own: one about another image (a report being
      // attached) is that image's business, and the pipeline decides it when it can.
      if (
        opts.decide &&
        event.kind === "image-pushed" &&
        outcome.status === "recorded" &&
        outcome.image === imageKey(event.image)
      ) {
        outcomes.push(await decideNow(deps, event));
      }
    }
    const main = mainOutcome(outcomes);
    if (opts.json) {
      io.out(
        JSON.stringify(
          { schemaVersion: 1, dryRun, simulated, outcome: main, outcomes, planned: planned ?? [] },
          null,
          2,
        ),
      );
    } else {
      io.out(formatOutcomes(outcomes, planned, simulated, policy));
    }
    io.exit(EXIT.ok);
  } finally {
    kms?.destroy();
    source.close();
  }
}

interface RegistrySource {
  registry: Registry;
  close(): void;
}

/** --findings: the events' images, in memory, with these findings; nothing real is read. */
function simulatedRegistry(
  opts: ReplayOptions,
  settings: RegistrySettings,
  events: (RegistryEvent | IgnoredEvent)[],
): RegistrySource {
  const scan = parseFindingsDocument(
    readJsonFile(opts.findings as string, "--findings"),
    opts.format as (typeof FINDINGS_FORMATS)[number],
  );
  const mem = new MemoryRegistry(settings.kind);
  for (const event of events) {
    if (event.kind !== "ignored") mem.add(event.image, scan, { pushedAt: event.time });
  }
  return { registry: mem, close: () => {} };
}

/** The registry the events came from: ECR (in the event's region) or the --registry OCI registry. */
async function realRegistry(
  settings: RegistrySettings,
  events: (RegistryEvent | IgnoredEvent)[],
  log: Log,
): Promise<RegistrySource> {
  if (settings.kind === "oci") {
    const { ociRegistry } = await import("../oci-targets.ts");
    const registry = ociRegistry(settings, log);
    return { registry, close: () => registry.close() };
  }
  const [{ ECRClient }, { EcrRegistry }, { awsClientConfig }] = await Promise.all([
    import("@aws-sdk/client-ecr"),
    import("../../shared/adapters/ecr/ecr-registry.ts"),
    import("../../shared/adapters/retry-config.ts"),
  ]);
  const region = events.find((e) => e.kind !== "ignored")?.image.region;
  const client = new ECRClient(awsClientConfig(region ? { region } : {}));
  return { registry: new EcrRegistry(client), close: () => client.destroy() };
}

/**
 * --decide: what the scan-timeout sweep would decide for this push once it is due, now. The
 * sweep's own event id is used, so a later sweep follows this decision instead of making another.
 */
function decideNow(deps: PipelineDeps, event: ImagePushed): Promise<PipelineOutcome> {
  return decideImage(deps, {
    eventId: `scan-timeout:${imageKey(event.image)}`,
    eventType: "scan-timeout-check",
    ...(event.principal ? { principal: event.principal } : {}),
    image: event.image,
    pushedAt: event.time,
  });
}

/** The outcome `outcome` names: the last one that was not ignored (for one event, its own). */
function mainOutcome(outcomes: PipelineOutcome[]): PipelineOutcome | undefined {
  return outcomes.findLast((o) => o.status !== "ignored") ?? outcomes.at(-1);
}

function formatOutcomes(
  outcomes: PipelineOutcome[],
  planned: PlannedEffect[] | undefined,
  simulated: boolean,
  policy: LoadedPolicy,
): string {
  const lines = [
    `${simulated ? "SIMULATED registry (--findings): " : ""}${planned ? "DRY RUN, nothing written" : "applied"}`,
  ];
  for (const o of outcomes) {
    lines.push(
      `event ${o.eventId} (${o.kind}) → ${o.status}${o.image ? ` ${o.image}` : ""}${o.note ? `: ${o.note}` : ""}`,
    );
    const repository = o.image ? parseImageKey(o.image)?.repository : undefined;
    if (o.gate && repository) lines.push(formatVerdict(o.gate, resolvePolicy(policy, repository)));
    for (const s of o.steps)
      lines.push(`  step ${s.action.padEnd(16)} ${planned ? "would record" : s.status}`);
  }
  for (const p of planned ?? []) {
    if (p.effect === "alert") lines.push(`  would alert: ${p.alert.subject}`);
    else lines.push(`  would ${p.effect}: ${p.image.repository}@${p.image.digest}`);
  }
  return lines.join("\n");
}
