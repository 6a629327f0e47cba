import { existsSync } from "node:fs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import { type LoadedPolicy, loadPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import { releaseImage } from "../../shared/pipeline/release-image.ts";
import { auditTableSettings, topicSettings } from "../aws-settings.ts";
import { auditLog, snsAlerts } from "../aws-targets.ts";
import { callerIdentity } from "../caller-identity.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { parseImageReference } from "../image-reference.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { stderrLog } from "../stderr-log.ts";
import type { ReleaseOptions } from "./release-command.ts";

const MIN_REASON = 3;

export async function runRelease(reference: string, opts: ReleaseOptions, io: CliIo) {
  // Everything the user typed is checked first: bad input changes nothing and calls no AWS API.
  const target = parseImageReference(reference, opts);
  if (target.registry !== "ecr") {
    throw new CliUsageError(
      "CLI_REGISTRY",
      `${reference}: release works on Amazon ECR images; this is a ${target.registry} image`,
    );
  }
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
      "--principal is empty; leave it out to use your AWS identity",
    );
  }
  const table = auditTableSettings(
    { ...opts, ...(target.region ? { region: target.region } : {}) },
    io.env,
  );
  const topic = topicSettings(opts, io.env);
  const policy = releasePolicy(opts.policy, io);

  const ecrClient = new ECRClient(awsClientConfig(target.region ? { region: target.region } : {}));
  const region = target.region ?? (await configuredRegion(ecrClient));
  const identity =
    target.registryId !== undefined && principalFlag !== undefined
      ? undefined
      : await callerIdentity(region);
  const principal = principalFlag ?? identity?.arn;
  const registryId = target.registryId ?? identity?.account;
  if (principal === undefined || registryId === undefined) {
    throw new Error("internal: neither the flags nor STS gave a principal and a registry id");
  }
  const image: ImageRef = {
    registry: "ecr",
    registryId,
    region,
    repository: target.repository,
    digest: target.digest,
    tags: [],
  };
  const audit = auditLog(table, resolvePolicy(policy, "*").audit.retentionDays);
  // The image is restored before its record is written: find a missing table or a denied
  // access now, while nothing has changed yet.
  await audit.byImage(imageKey(image));
  const outcome = await releaseImage(
    {
      registry: new EcrRegistry(ecrClient),
      audit,
      alerts: snsAlerts(topic),
      policy,
      clock: () => new Date(),
      log: stderrLog(io, false),
    },
    { image, reason, principal },
  );
  const result = releaseJson(image, outcome, principal, reason);
  io.out(opts.json ? JSON.stringify(result, null, 2) : releaseText(result));
  io.exit(EXIT.ok);
}

/** The region the SDK would use (AWS_REGION, the profile …), required to reach ECR at all. */
async function configuredRegion(client: ECRClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new CliUsageError(
      "CLI_REGION",
      "no AWS region: pass --region (the registry's region) or set AWS_REGION",
    );
  }
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

function releaseText(r: ReleaseResult): string {
  return [
    r.wasQuarantined
      ? `RELEASED  ${r.repository}@${r.digest}`
      : `NOT QUARANTINED  ${r.repository}@${r.digest}: nothing to restore (the request is still recorded and alerted)`,
    `  registry ${r.registryId}${r.region ? ` (${r.region})` : ""}`,
    ...(r.wasQuarantined
      ? [
          "  ECR is restoring it from the archive storage class; it can be pulled again once its status is ACTIVE (up to 20 minutes).",
        ]
      : []),
    `  by ${r.principal}`,
    `  reason: ${r.reason}`,
    `  audit: ${r.steps.map((s) => `${s.action} (${s.status})`).join(", ")}; event ${r.eventId}`,
  ].join("\n");
}
