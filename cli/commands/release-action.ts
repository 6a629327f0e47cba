import { existsSync } from "node:fs";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import { type LoadedPolicy, loadPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import { releaseImage } from "../../shared/pipeline/release-image.ts";
import { alertsTopic } from "../alerts-topic.ts";
import { auditTableSettings } from "../aws-settings.ts";
import { auditLog, snsAlerts } from "../aws-targets.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { type ImageTarget, parseImageReference } from "../image-reference.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseOciImageReference } from "../oci-image-reference.ts";
import { type RegistrySettings, registrySettings } from "../registry-settings.ts";
import { stderrAlerts } from "../stderr-alerts.ts";
import { stderrLog } from "../stderr-log.ts";
import type { ReleaseOptions } from "./release-command.ts";
import type { ReleaseTarget } from "./release-target.ts";

const MIN_REASON = 3;

export async function runRelease(reference: string, opts: ReleaseOptions, io: CliIo) {
  // Everything the user typed is checked first: bad input changes nothing and calls no registry
  // or AWS API.
  const registry = await registrySettings(opts, io);
  const target = imageTarget(reference, registry, opts);
  const reason = opts.reason.trim();
  if (reason.length < MIN_REASON) {
    throw new CliUsageError(
      "CLI_REASON",
      `--reason "${opts.reason}": say why the image is safe (at least ${MIN_REASON} characters); it is recorded and alerted`,
    );
  }
  const principalFlag = opts.principal?.trim();
  if (opts.principal !== undefined && !principalFlag) {
    throw new CliUsageError(
      "CLI_PRINCIPAL",
      `--principal is empty; leave it out to use your ${registry.kind === "ecr" ? "AWS identity" : "user name"}`,
    );
  }
  const table = auditTableSettings(
    { ...opts, ...(target.region ? { region: target.region } : {}) },
    io.env,
  );
  const topic = alertsTopic(registry, opts, io.env);
  const policy = releasePolicy(opts.policy, io);
  const log = stderrLog(io, false);

  const subject: ReleaseTarget =
    registry.kind === "ecr"
      ? await (await import("./release-ecr.ts")).ecrReleaseTarget(target, principalFlag)
      : (await import("./release-oci.ts")).ociReleaseTarget(registry, target, principalFlag, log);
  try {
    const audit = auditLog(table, resolvePolicy(policy, "*").audit.retentionDays);
    // The image is restored before its record is written: find a missing table or a denied
    // access now, while nothing has changed yet.
    await audit.byImage(imageKey(subject.image));
    const outcome = await releaseImage(
      {
        registry: subject.registry,
        audit,
        alerts: topic ? snsAlerts(topic) : stderrAlerts(io),
        policy,
        clock: () => new Date(),
        log,
      },
      { image: subject.image, reason, principal: subject.principal },
    );
    const result = releaseJson(subject.image, outcome, subject.principal, reason);
    io.out(opts.json ? JSON.stringify(result, null, 2) : releaseText(result, subject));
    io.exit(EXIT.ok);
  } finally {
    subject.close();
  }
}

function imageTarget(
  reference: string,
  registry: RegistrySettings,
  opts: ReleaseOptions,
): ImageTarget {
  if (registry.kind === "oci") {
    if (opts.registryId !== undefined) {
      throw new CliUsageError(
        "CLI_REGISTRY_ID",
        "--registry-id is an ECR account id; an OCI image's registry is the --registry URL",
      );
    }
    return parseOciImageReference(reference, registry);
  }
  const target = parseImageReference(reference, opts);
  if (target.registry !== "ecr") {
    throw new CliUsageError(
      "CLI_REGISTRY",
      `${reference} is an image of an OCI registry: pass --registry with that registry's URL (https://${target.registryId}, or http:// for a local one)`,
    );
  }
  return target;
}

/**
 * The policy gives the audit retention. It must be the deployed one: the Lambdas write with its
 * retention, and one chain's records must expire in the order they were written.
 */
function releasePolicy(path: string | undefined, io: CliIo): LoadedPolicy {
  if (path !== undefined) return loadPolicyFile(path);
  if (existsSync("registry-guard.yaml")) return loadPolicyFile("registry-guard.yaml");
  io.err(
    "note: no --policy and no ./registry-guard.yaml; the audit record uses the built-in retention (400 days). Pass the deployed policy if it sets audit.retentionDays.",
  );
  return loadPolicy("version: 1\n", "(built-in defaults)");
}

export interface ReleaseResult {
  schemaVersion: 1;
  image: string;
  /** ecr or oci. */
  registry: ImageRef["registry"];
  /** ECR: the account id; OCI: the registry's host[:port]. */
  registryId: string;
  region: string | null;
  repository: string;
  digest: string;
  wasQuarantined: boolean;
  principal: string;
  reason: string;
  eventId: string;
  steps: PipelineOutcome["steps"];
}

function releaseJson(
  image: ImageRef,
  outcome: PipelineOutcome,
  principal: string,
  reason: string,
): ReleaseResult {
  const released = outcome.steps.find((s) => s.action === "released");
  return {
    schemaVersion: 1,
    image: outcome.image ?? "",
    registry: image.registry,
    registryId: image.registryId,
    region: image.region ?? null,
    repository: image.repository,
    digest: image.digest,
    wasQuarantined: released?.detail?.wasQuarantined === true,
    principal,
    reason,
    eventId: outcome.eventId,
    steps: outcome.steps,
  };
}

function releaseText(r: ReleaseResult, subject: ReleaseTarget): string {
  return [
    r.wasQuarantined
      ? `RELEASED  ${r.repository}@${r.digest}`
      : `NOT QUARANTINED  ${r.repository}@${r.digest}: nothing to restore (the request is still recorded and alerted)`,
    `  registry ${r.registryId}${r.region ? ` (${r.region})` : ""}`,
    ...(r.wasQuarantined ? [`  ${subject.releasedNote}`] : []),
    `  by ${r.principal}`,
    `  reason: ${r.reason}`,
    `  audit: ${r.steps.map((s) => `${s.action} (${s.status})`).join(", ")}; event ${r.eventId}`,
  ].join("\n");
}
