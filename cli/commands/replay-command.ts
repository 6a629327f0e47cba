import { existsSync } from "node:fs";
import { ECRClient } from "@aws-sdk/client-ecr";
import type { Command } from "commander";
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
import { awsTargets } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { formatVerdict } from "../format-verdict.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseNow, readJsonFile } from "../read-input.ts";
import { stderrLog } from "../stderr-log.ts";

interface ReplayOptions {
  event: string;
  dryRun?: boolean;
  policy?: string;
  findings?: string;
  format: string;
  now?: string;
  json?: boolean;
  table?: string;
  topicArn?: string;
  endpointDynamodb?: string;
  verbose?: boolean;
}

export function replayCommand(program: Command, io: CliIo): void {
  program
    .command("replay")
    .description("run the real pipeline on a recorded event (EventBridge JSON)")
    .requiredOption("--event <file>", "the event, as EventBridge delivers it")
    .option("--dry-run", "print the decisions and the actions they would take; write nothing")
    .option("--policy <file>", "policy file (default: ./registry-guard.yaml)")
    .option(
      "--findings <file>",
      "simulate the registry offline: the event's image has these findings (ECR/Trivy/Grype JSON); nothing real is read or written",
    )
    .option("--format <format>", "format of --findings: ecr, trivy, grype or auto", "auto")
    .option("--now <iso>", "the clock, for allowlist expiry and scan timeouts")
    .option("--table <name>", "audit table (env REGISTRY_GUARD_TABLE); needed without --dry-run")
    .option(
      "--topic-arn <arn>",
      "alerts topic (env REGISTRY_GUARD_TOPIC_ARN); needed without --dry-run",
    )
    .option("--endpoint-dynamodb <url>", "DynamoDB endpoint, e.g. a local DynamoDB")
    .option("--json", "print the outcome as JSON")
    .option("--verbose", "log pipeline steps to stderr")
    .addHelpText(
      "after",
      "\nWithout --findings the image and its findings are read from ECR with your AWS credentials.\nExit status: 0 handled (whatever the verdict), 2 bad input, 3 could not complete.",
    )
    .action(async (opts: ReplayOptions) => {
      const raw = readJsonFile(opts.event, "--event");
      const event = parseRegistryEvent(raw);
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

      let registry: Registry;
      if (opts.findings !== undefined) {
        const scan = parseFindingsDocument(
          readJsonFile(opts.findings, "--findings"),
          opts.format as "auto",
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
      if (opts.dryRun || simulated) {
        const base: PipelineDeps = {
          registry,
          audit: new MemoryAuditLog({ clock }),
          // Replaced by the dry-run wrapper, which captures alerts as planned effects.
          alerts: { publish: async () => ({}) },
          policy,
          clock,
          log,
        };
        const dry = dryRunDeps(base);
        deps = dry.deps;
        planned = dry.planned;
      } else {
        deps = { registry, policy, clock, log, ...awsTargets(opts, io.env) };
      }

      const outcome = await handleEvent(deps, event);
      if (opts.json) {
        io.out(
          JSON.stringify(
            {
              schemaVersion: 1,
              dryRun: Boolean(opts.dryRun || simulated),
              simulated,
              outcome,
              planned: planned ?? [],
            },
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
    });
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
