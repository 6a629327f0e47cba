import * as z from "zod";
import { DIGEST_RE } from "../shared/domain/image.ts";
import { planIdOf } from "../shared/domain/plan-id.ts";
import {
  DELETE_REASONS,
  KEEP_REASONS,
  type RetentionPlan,
} from "../shared/domain/retention-plan.ts";
import { RULE_TEMPLATES } from "../shared/domain/retention-policy.ts";
import { CliUsageError } from "./cli-error.ts";
import { readJsonFile } from "./read-input.ts";

/**
 * Reads back a plan `gc --dry-run --output` (or `--json`) wrote, for `gc --apply --plan`. Every
 * field is checked, the counts against the artifacts, and the planId against the content: a plan
 * that does not add up, or was edited, is refused before anything is deleted. Fields a newer
 * version adds are kept as they are (the planId covers them).
 */

const iso = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)),
    "expected an ISO time",
  );
const digest = z.string().regex(DIGEST_RE, "expected sha256:<64 hex>");
const count = z.number().int().nonnegative();
const keepReason = z.enum(KEEP_REASONS);
const deleteReason = z.enum(DELETE_REASONS);

const plannedArtifact = z
  .looseObject({
    digest,
    tags: z.array(z.string()),
    role: z.enum(["image", "index", "index-child", "referrer"]),
    pushedAt: iso.optional(),
    lastPulledAt: iso.nullable().optional(),
    sizeBytes: count.optional(),
    decision: z.enum(["keep", "delete"]),
    reason: z.union([keepReason, deleteReason]),
    rule: z.looseObject({ index: count, template: z.enum(RULE_TEMPLATES) }).optional(),
    detail: z.string(),
  })
  .refine(
    (a) =>
      a.decision === "keep"
        ? keepReason.safeParse(a.reason).success
        : deleteReason.safeParse(a.reason).success,
    { message: "the reason does not belong to the decision", path: ["reason"] },
  );

const repositoryPlan = z
  .looseObject({
    registry: z.enum(["ecr", "oci"]),
    registryId: z.string().min(1),
    region: z.string().min(1).optional(),
    repository: z.string().min(1),
    artifacts: z.array(plannedArtifact),
    kept: count,
    deleted: count,
    bytesReclaimed: count,
    bytesUnknown: count,
  })
  .superRefine((r, ctx) => {
    const deletions = r.artifacts.filter((a) => a.decision === "delete");
    if (r.deleted !== deletions.length || r.kept !== r.artifacts.length - deletions.length) {
      ctx.addIssue({
        code: "custom",
        message: `kept ${r.kept} and deleted ${r.deleted} do not match its artifacts' decisions (${r.artifacts.length - deletions.length} keep, ${deletions.length} delete)`,
      });
    }
    const seen = new Set<string>();
    for (const a of r.artifacts) {
      if (seen.has(a.digest)) {
        ctx.addIssue({ code: "custom", message: `digest ${a.digest} is listed twice` });
      }
      seen.add(a.digest);
    }
  });

const retentionPlan = z
  .looseObject({
    planId: z.string().min(1),
    now: iso,
    policyVersion: z.string(),
    repositories: z.array(repositoryPlan),
    totals: z.looseObject({
      repositories: count,
      artifacts: count,
      kept: count,
      deleted: count,
      bytesReclaimed: count,
      bytesUnknown: count,
    }),
  })
  .superRefine((p, ctx) => {
    const sum = (f: (r: (typeof p.repositories)[number]) => number) =>
      p.repositories.reduce((n, r) => n + f(r), 0);
    const expected = {
      repositories: p.repositories.length,
      artifacts: sum((r) => r.artifacts.length),
      kept: sum((r) => r.kept),
      deleted: sum((r) => r.deleted),
    };
    for (const [key, value] of Object.entries(expected)) {
      if (p.totals[key as keyof typeof expected] !== value) {
        ctx.addIssue({
          code: "custom",
          path: ["totals", key],
          message: `is ${p.totals[key as keyof typeof expected]}, but the repositories add up to ${value}`,
        });
      }
    }
    const names = new Set<string>();
    for (const r of p.repositories) {
      const key = `${r.registry}:${r.registryId}/${r.repository}`;
      if (names.has(key)) {
        ctx.addIssue({ code: "custom", path: ["repositories"], message: `${key} appears twice` });
      }
      names.add(key);
    }
  });

/** The document gc writes: `{schemaVersion: 1, dryRun, plan, applied?}`. */
const planDocument = z.looseObject({ schemaVersion: z.literal(1), plan: retentionPlan });

const MAX_ISSUES = 5;

function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

function refuse(path: string, issues: readonly z.core.$ZodIssue[]): never {
  const lines = issues
    .slice(0, MAX_ISSUES)
    .map((i) => `  ${issuePath(i.path) || "(the document)"}: ${i.message}`);
  if (issues.length > MAX_ISSUES) lines.push(`  … and ${issues.length - MAX_ISSUES} more`);
  throw new CliUsageError(
    "CLI_PLAN",
    `--plan ${path}: not a retention plan as gc --dry-run --output writes it (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
  );
}

/**
 * The plan in the file (gc's JSON document, or a bare plan), or a CliUsageError (exit 2) naming
 * the file and what is wrong.
 */
export function readPlanFile(path: string): RetentionPlan {
  const raw = readJsonFile(path, "--plan");
  let plan: RetentionPlan;
  if (typeof raw === "object" && raw !== null && "plan" in raw) {
    const doc = planDocument.safeParse(raw);
    if (!doc.success) refuse(path, doc.error.issues);
    plan = (raw as { plan: RetentionPlan }).plan;
  } else {
    const bare = retentionPlan.safeParse(raw);
    if (!bare.success) refuse(path, bare.error.issues);
    plan = raw as RetentionPlan;
  }
  // The planId hashes the plan's content: an edited plan is refused, so what is applied is
  // exactly what was reviewed (and audited under that planId).
  if (planIdOf(plan.policyVersion, plan.repositories) !== plan.planId) {
    throw new CliUsageError(
      "CLI_PLAN_EDITED",
      `--plan ${path}: its content does not match its planId ${plan.planId.slice(0, 12)}…: the plan was edited after it was made; make a new one with gc --dry-run --output ${path}`,
    );
  }
  return plan;
}
