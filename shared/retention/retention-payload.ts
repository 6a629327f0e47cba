import * as z from "zod";

/**
 * The payload of the retention-run function (docs/retention-runs.md): what an operator passes
 * to `aws lambda invoke`, what the EventBridge Scheduler schedule passes as its input, and what
 * a run passes to its own continuation. Strict: an unknown or misspelt field is an error, never
 * silently ignored (a misspelt `dryRun` must not turn into a deleting run).
 */

/** Failures, skips, errors and top repositories carried from step to step (the alert's lists). */
export const CARRIED_ITEMS = 25;
/** Repository globs per run. */
export const MAX_REPOSITORY_GLOBS = 100;

const count = z.number().int().min(0);
const text = (max: number) => z.string().max(max);

const totalsSchema = z.strictObject({
  /** Invocations so far (this run's steps). */
  steps: z.number().int().min(1),
  /** ISO time of the first step's plan. */
  startedAt: z.iso.datetime(),
  policyVersion: text(64),
  /** The single plan id while the run took one step. */
  planId: text(128),
  /** The repository's name while the run covered exactly one. */
  repository: text(256).optional(),
  repositories: count,
  artifacts: count,
  kept: count,
  deleted: count,
  alreadyGone: count,
  bytesReclaimed: count,
  bytesUnknown: count,
  failed: z.strictObject({
    count,
    items: z
      .array(
        z.strictObject({
          repository: text(256),
          digest: text(80),
          code: text(100).optional(),
          message: text(500).optional(),
        }),
      )
      .max(CARRIED_ITEMS),
  }),
  skipped: z.strictObject({
    count,
    items: z
      .array(z.strictObject({ repository: text(256), digest: text(80), why: text(300) }))
      .max(CARRIED_ITEMS),
  }),
  errors: z.strictObject({
    count,
    items: z
      .array(z.strictObject({ repository: text(256), message: text(1000) }))
      .max(CARRIED_ITEMS),
  }),
  topRepositories: z
    .array(
      z.strictObject({
        repository: text(256),
        deleted: count,
        bytesReclaimed: count,
        failed: count,
      }),
    )
    .max(CARRIED_ITEMS),
});

export type RetentionRunTotals = z.infer<typeof totalsSchema>;

const repositoryGlob = z
  .string()
  .min(1, "a repository glob cannot be empty")
  .max(256)
  .refine((s) => s.trim() === s && !/[\s\p{Cc}]/u.test(s), "a repository glob has no spaces");

/** The run id: letters, digits and . _ : - (it names the run in logs and in its continuations). */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const retentionPayloadSchema = z
  .strictObject({
    /** Plan only (the default: a run deletes only when told so explicitly). */
    dryRun: z.boolean().default(true),
    /** Repository globs (policy glob syntax); absent: every repository. */
    repositories: z.array(repositoryGlob).min(1).max(MAX_REPOSITORY_GLOBS).optional(),
    /** Continue after this repository (set by continuation, or to resume a stopped run). */
    cursor: z.string().min(1).max(256).optional(),
    /** Set by continuation: the run this invocation continues. */
    runId: z.string().regex(RUN_ID, "runId: letters, digits and . _ : - only").optional(),
    /** Set by continuation: how many times the run has continued itself, this step included. */
    continuation: z.number().int().min(1).optional(),
    /** Set by continuation: what the earlier steps did. */
    totals: totalsSchema.optional(),
    /** Who started the run; a schedule says "schedule". */
    source: z.enum(["schedule", "manual"]).optional(),
  })
  .superRefine((p, ctx) => {
    const continued = p.continuation !== undefined || p.totals !== undefined;
    if (continued && (p.runId === undefined || p.cursor === undefined || p.totals === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["continuation"],
        message:
          "continuation, totals, runId and cursor come together (set by the run itself); to resume a stopped run pass only cursor",
      });
    }
  });

/** The payload after defaults. */
export type RetentionPayload = z.output<typeof retentionPayloadSchema>;
/** The payload as written (dryRun may be left out). */
export type RetentionPayloadInput = z.input<typeof retentionPayloadSchema>;

export interface PayloadIssue {
  /** Dotted path to the field ("repositories.0"), "" for the payload itself. */
  path: string;
  message: string;
}

/** The payload is not one the function accepts; nothing was read or written. */
export class RetentionPayloadError extends Error {
  readonly code = "RETENTION_PAYLOAD";
  readonly issues: PayloadIssue[];
  constructor(issues: PayloadIssue[]) {
    const lines = issues.map((i) => `  ${i.path || "(payload)"}: ${i.message}`);
    super(
      [
        'retention-run payload rejected; nothing was read or deleted. Expected {"dryRun": boolean, "repositories"?: [globs]} (docs/retention-runs.md):',
        ...lines,
      ].join("\n"),
    );
    this.name = "RetentionPayloadError";
    this.issues = issues;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Parses what the function was invoked with. Accepted: the payload object (from `aws lambda
 * invoke`, from the EventBridge Scheduler schedule, which passes its input JSON as the event,
 * and from a continuation), or that object JSON-encoded as a string. An EventBridge rule's event
 * is refused with a hint: rules cannot carry the payload.
 */
export function parseRetentionPayload(event: unknown): RetentionPayload {
  let raw = event;
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new RetentionPayloadError([{ path: "", message: "a string payload must be JSON" }]);
    }
  }
  if (raw === undefined || raw === null) raw = {};
  if (isRecord(raw) && "detail-type" in raw && "source" in raw && "detail" in raw) {
    throw new RetentionPayloadError([
      {
        path: "",
        message: `an EventBridge event (${String(raw["detail-type"])}) is not a retention payload; schedule runs with EventBridge Scheduler and the payload as the target's input`,
      },
    ]);
  }
  if (!isRecord(raw)) {
    throw new RetentionPayloadError([{ path: "", message: "the payload must be a JSON object" }]);
  }
  const parsed = retentionPayloadSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new RetentionPayloadError(
    parsed.error.issues.flatMap((i) => {
      const path = i.path.map(String);
      if (i.code !== "unrecognized_keys") return [{ path: path.join("."), message: i.message }];
      // One issue per unknown field, at the field, with the known one it was probably meant as.
      return i.keys.map((key) => ({
        path: [...path, key].join("."),
        message: path.length === 0 ? `unknown field${suggestion(key)}` : "unknown field",
      }));
    }),
  );
}

const TOP_LEVEL_FIELDS = Object.keys(retentionPayloadSchema.shape);

function suggestion(key: string): string {
  const known = TOP_LEVEL_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
  return known ? ` (did you mean ${known}?)` : `; allowed: ${TOP_LEVEL_FIELDS.join(", ")}`;
}
