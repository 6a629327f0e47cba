import picomatch from "picomatch";
import * as z from "zod";
import { parseDuration } from "./duration.ts";
import { RULE_TEMPLATES, type RuleTemplate } from "./retention-policy.ts";
import { GATE_SEVERITIES, SEVERITIES } from "./severity.ts";

/**
 * The shape of `registry-guard.yaml`, as written by people. Every object is strict so a typo
 * ("blokAt") is an error instead of a silently ignored setting; every setting is optional
 * because `defaults` and each override only say what they change (policy-resolve.ts fills the
 * rest from the built-in defaults). docs/policy.md is the prose version of this file.
 */

/** Object whose unknown keys are errors; the message names the fields that are allowed. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `Unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; ${ALLOWED_PREFIX}${allowed}`
        : issue.code === "invalid_type"
          ? expected(`a mapping with fields ${allowed}`)(issue)
          : undefined,
  });
}

/** Type error text that tells a missing field apart from a wrong value. */
function expected(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `required: ${what}`
      : `expected ${what}, got ${issue.input === null ? "an empty value" : describeValue(issue.input)}`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** policy-load.ts splits an unknown-keys issue per key and reuses the text after this. */
export const ALLOWED_PREFIX = "allowed fields: ";

/** A doublestar glob (picomatch); `what` names the kind in the type error. */
function globOf(what: string) {
  return z.string({ error: expected(what) }).superRefine((value, ctx) => {
    if (value.trim() === "") {
      ctx.addIssue({ code: "custom", message: "a glob must not be empty" });
    } else if (value.trim() !== value) {
      ctx.addIssue({
        code: "custom",
        message: `glob ${JSON.stringify(value)} has leading or trailing spaces`,
      });
    } else {
      try {
        picomatch.makeRe(value, { dot: true });
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: `glob ${JSON.stringify(value)} is not valid: ${(error as Error).message}`,
        });
      }
    }
  });
}

const glob = globOf("a glob string such as prod/** or team-a/*");

const globList = z
  .array(glob, { error: expected("a list of glob strings") })
  .min(1, "the list is empty; omit the field instead to mean every repository");

const duration = z
  .string({ error: expected("a duration string such as 90s, 30m, 2h or 1d") })
  .superRefine((value, ctx) => {
    try {
      parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  })
  .meta({ pattern: "^(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?$", examples: ["90s", "30m", "2h", "1d"] });

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** True for a calendar date that exists (no 2026-02-30) in either accepted form. */
export function isExpiryInstant(value: string): boolean {
  const parts = DATE.exec(value) ?? DATE_TIME.exec(value);
  if (!parts) return false;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const real =
    calendar.getUTCFullYear() === year &&
    calendar.getUTCMonth() === month - 1 &&
    calendar.getUTCDate() === day;
  return real && !Number.isNaN(Date.parse(value));
}

const expiry = z
  .string({ error: expected("a date like 2026-12-31 or a date-time like 2026-12-31T18:00:00Z") })
  .refine(isExpiryInstant, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a real date (YYYY-MM-DD) or date-time with a zone (YYYY-MM-DDThh:mm:ssZ or ±hh:mm)`,
  });

const SEVERITY_LIST = GATE_SEVERITIES.join(", ");

const yesNoFlag = z.boolean({ error: expected("true or false") });

export const gateSettingsSchema = strictObject({
  blockAt: z
    .enum(GATE_SEVERITIES)
    .nullable()
    .optional()
    .describe(
      `Block when a counted finding is at or above this severity (${SEVERITY_LIST}). null turns the threshold off; allowed only next to a non-empty maxCounts.`,
    ),
  maxCounts: strictObject(
    Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().min(0).optional()])) as Record<
      (typeof SEVERITIES)[number],
      z.ZodOptional<z.ZodNumber>
    >,
  )
    .optional()
    .describe("Block when a severity's counted findings exceed its maximum. Merged key by key."),
  ignoreUnfixed: z.boolean().optional().describe("Findings without a fixed version do not count."),
  minScore: z
    .number()
    .min(0)
    .max(10)
    .optional()
    .describe("Findings with a known score below this do not count (0 to 10)."),
  requireScan: z
    .boolean()
    .optional()
    .describe("An image still unscanned scanTimeout after its push fails the gate."),
  scanTimeout: duration.optional().describe("How long to wait for a scan: 90s, 30m, 2h, 1d."),
  onFail: z
    .enum(["alert", "quarantine"])
    .optional()
    .describe("What a failed gate does: alert only, or quarantine the image and alert."),
}).superRefine((gate, ctx) => {
  // Keeps "at least one of blockAt/maxCounts is effective" true after any merge: maxCounts keys
  // can only be added by later overrides, never removed.
  if (gate.blockAt === null && Object.keys(gate.maxCounts ?? {}).length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["blockAt"],
      message:
        "blockAt: null turns the severity threshold off, so this gate must also set maxCounts with at least one severity",
    });
  }
});

/* ---- signatures: cosign and Notation verification in the pipeline (docs/signatures.md#in-the-pipeline) ---- */

const nonEmpty = (what: string) =>
  z
    .string({ error: expected(what) })
    .trim()
    .min(1, `${what} must not be empty`);

export const signatureKeySchema = strictObject({
  name: nonEmpty("a name for the key").describe(
    "How results and audit records name the key; unique within one signatures block.",
  ),
  pem: nonEmpty("a PEM public key (-----BEGIN PUBLIC KEY-----)")
    .optional()
    .describe("The public key itself, as PEM."),
  file: nonEmpty("a path to a PEM or DER public key file")
    .optional()
    .describe("A public key file, relative to the policy file."),
  kmsArn: nonEmpty("an AWS KMS key ARN")
    .optional()
    .describe(
      "An AWS KMS asymmetric signing key or alias by ARN (or cosign's awskms:///arn:… form); its public key is fetched with kms:GetPublicKey.",
    ),
  hash: z
    .enum(["sha256", "sha384", "sha512"])
    .optional()
    .describe(
      "Digest the signer used; default the key's (P-256 sha256, P-384 sha384, RSA sha256).",
    ),
  rsaPadding: z
    .enum(["pkcs1v15", "pss"])
    .optional()
    .describe("RSA keys only: PKCS#1 v1.5 (cosign's default) or PSS."),
}).superRefine((k, ctx) => {
  const given = [k.pem, k.file, k.kmsArn].filter((v) => v !== undefined).length;
  if (given !== 1) {
    ctx.addIssue({
      code: "custom",
      message: `give exactly one of pem, file and kmsArn (${given === 0 ? "none" : "several"} given)`,
    });
  }
});

export const signatureIdentitySchema = strictObject({
  name: nonEmpty("a name for the identity").optional(),
  issuer: nonEmpty("the exact OIDC issuer").optional(),
  issuerRegExp: nonEmpty("a regular expression for the OIDC issuer").optional(),
  subject: nonEmpty("the exact certificate subject (email or URI)").optional(),
  subjectRegExp: nonEmpty("a regular expression for the certificate subject").optional(),
}).superRefine((id, ctx) => {
  for (const side of ["issuer", "subject"] as const) {
    const exact = id[side] !== undefined;
    const pattern = id[`${side}RegExp`] !== undefined;
    if (exact === pattern) {
      ctx.addIssue({
        code: "custom",
        path: exact ? [`${side}RegExp`] : [],
        message: `give exactly one of ${side} and ${side}RegExp`,
      });
    } else if (pattern) {
      try {
        new RegExp(id[`${side}RegExp`] as string, "u");
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          path: [`${side}RegExp`],
          message: `not a valid regular expression: ${(error as Error).message}`,
        });
      }
    }
  }
});

/**
 * Notation (Notary Project) trust: the trust store (a directory of PEM CA or signing-authority
 * certificates relative to the policy file, or the PEMs inline), the leaf subjects trusted and
 * optionally the one signing scheme. Merged key by key; a layer naming either trust store form
 * replaces the other form of the layer below (signature-policy.ts).
 */
export const signatureNotationSchema = strictObject({
  trustStore: nonEmpty("a directory of PEM CA certificates")
    .optional()
    .describe("Directory of PEM (.pem, .crt, .cer) CA certificates, relative to the policy file."),
  trustStorePems: z
    .array(nonEmpty("a PEM certificate (-----BEGIN CERTIFICATE-----)"), {
      error: expected("a list of PEM certificates"),
    })
    .min(1, "the list is empty; give at least one CA certificate")
    .optional()
    .describe("The trust store's CA certificates inline, as PEM; instead of trustStore."),
  trustedIdentities: z
    .array(nonEmpty('a trusted identity ("x509.subject: C=…, ST=…, O=…" or "*")'), {
      error: expected('a list of trusted identities ("x509.subject: C=…, ST=…, O=…" or "*")'),
    })
    .min(1, 'the list is empty; give "x509.subject: C=…, ST=…, O=…", or "*"')
    .optional()
    .describe("Leaf certificate subjects trusted, or * for any the trust store vouches for."),
  signingScheme: z
    .enum(["notary.x509", "notary.x509.signingAuthority"])
    .optional()
    .describe("Accept only this signing scheme; default either."),
}).superRefine((n, ctx) => {
  if (n.trustStore !== undefined && n.trustStorePems !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["trustStorePems"],
      message: "give one of trustStore and trustStorePems, not both",
    });
  }
});

export const signatureSettingsSchema = strictObject({
  required: yesNoFlag
    .optional()
    .describe(
      "Images must carry a signature from a trusted key, identity or Notation signer. Default false.",
    ),
  keys: z
    .array(signatureKeySchema, { error: expected("a list of keys ({ name, pem | file })") })
    .optional()
    .describe("Trusted public keys. Replaces the list of the layer below."),
  identities: z
    .array(signatureIdentitySchema, {
      error: expected("a list of identities ({ issuer, subject })"),
    })
    .optional()
    .describe("Trusted keyless (Fulcio) identities; need trustedRoot."),
  trustedRoot: nonEmpty("a path to a Sigstore trusted_root.json")
    .optional()
    .describe("Sigstore trusted root for identities, relative to the policy file."),
  notation: signatureNotationSchema
    .optional()
    .describe("Trusted Notation (Notary Project) signers: trust store and identities."),
  matchReference: yesNoFlag
    .optional()
    .describe("The signed docker-reference must name this repository. Default false."),
  gracePeriod: duration
    .optional()
    .describe("How long after the push a signature may arrive. Default 10m."),
  onFail: z
    .enum(["alert", "quarantine"])
    .optional()
    .describe("What an unsigned image past its grace period gets: alert, or quarantine and alert."),
  requireSignedScanReports: yesNoFlag
    .optional()
    .describe("Attached scan reports count only when signed by a trusted key or identity."),
}).superRefine((s, ctx) => {
  const seen = new Set<string>();
  (s.keys ?? []).forEach((k, i) => {
    if (seen.has(k.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["keys", i, "name"],
        message: `two keys are named ${k.name}; records name the key that verified, so names must be unique`,
      });
    }
    seen.add(k.name);
  });
});

export const auditSettingsSchema = strictObject({
  retentionDays: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("How many days audit records are kept."),
});

export const repositoryRuleSchema = strictObject({
  match: z
    .union([glob, globList], { error: expected("a glob string or a list of glob strings") })
    .describe("Repository name glob(s); the rule applies when any of them matches."),
  gate: gateSettingsSchema.optional(),
  audit: auditSettingsSchema.optional(),
  signatures: signatureSettingsSchema.optional(),
});

export const allowlistEntrySchema = strictObject({
  id: z
    .string({ error: expected("a CVE or advisory id such as CVE-2023-44487") })
    .trim()
    .min(1, "the id must not be empty")
    .describe("CVE or advisory id; matched case-insensitively."),
  reason: z
    .string({ error: expected("a sentence saying why this finding is accepted") })
    .trim()
    .min(1, "say why this finding is accepted")
    .describe("Why the finding is accepted; recorded with every decision it affects."),
  expires: expiry.describe(
    "Date (start of that day, UTC) or date-time with a zone; the entry stops applying at that instant.",
  ),
  repositories: globList
    .optional()
    .describe("Repository globs the entry applies to; omit for every repository."),
});

/* ---- retention: Harbor's keep rules, our protections and garbage collection (docs/retention.md) ---- */

const tagPattern = globOf("a tag pattern such as v* or release-*");
const repositoryPattern = globOf("a repository pattern such as prod/** or team-a/*");

/** One pattern or a list of them (Harbor's comma-separated list). */
function patterns(pattern: z.ZodType<string>, one: string, many: string) {
  return z.union(
    [
      pattern,
      z
        .array(pattern, { error: expected(`a list of ${many}`) })
        .min(1, `the list is empty; write at least one ${one}`),
    ],
    { error: expected(`a ${one} or a list of ${many}`) },
  );
}

/** Harbor's doublestar selector: exactly one of `matches` and `excludes`. */
function selectorOf(pattern: z.ZodType<string>, what: string, example: string) {
  const one = `${what.replace(/ies$/, "y").replace(/s$/, "")} pattern`;
  return strictObject({
    matches: patterns(pattern, one, `${one}s`)
      .optional()
      .describe(`Selects ${what} matching any of these patterns.`),
    excludes: patterns(pattern, one, `${one}s`)
      .optional()
      .describe(`Selects ${what} matching none of these patterns.`),
  }).superRefine((selector, ctx) => {
    if (selector.matches !== undefined && selector.excludes !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["excludes"],
        message:
          "set matches or excludes, not both; write a second rule when you need the other one",
      });
    } else if (selector.matches === undefined && selector.excludes === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `set matches or excludes, e.g. { matches: ${JSON.stringify(example)} }`,
      });
    }
  });
}

/** A whole number of days or artifacts, 1 or more. */
function positiveWhole(unit: string) {
  return z
    .number({ error: expected(`a whole number of ${unit}, 1 or more`) })
    .int({ error: (issue) => `expected a whole number of ${unit}, got ${String(issue.input)}` })
    .min(1, { error: (issue) => `expected 1 or more ${unit}, got ${String(issue.input)}` });
}

const days = positiveWhole("days");

const yesNo = z.boolean({ error: expected("true or false") });

/** Which parameter each template takes (Harbor's latestPushedK, latestPulledN, …). */
export const RULE_PARAMETER: Record<RuleTemplate, "count" | "days" | undefined> = {
  latestPushedK: "count",
  latestPulledN: "count",
  nDaysSinceLastPush: "days",
  nDaysSinceLastPull: "days",
  always: undefined,
};

const PARAMETER_MEANING: Record<RuleTemplate, string> = {
  latestPushedK: "how many of the most recently pushed artifacts to keep",
  latestPulledN: "how many of the most recently pulled artifacts to keep",
  nDaysSinceLastPush: "keep artifacts pushed within this many days",
  nDaysSinceLastPull: "keep artifacts pulled within this many days",
  always: "",
};

const TEMPLATE_LIST = RULE_TEMPLATES.join(", ");

export const retentionRuleSchema = strictObject({
  keep: z
    .enum(RULE_TEMPLATES, {
      error: (issue) =>
        issue.input === undefined
          ? `required: keep, one of ${TEMPLATE_LIST}`
          : `expected one of ${TEMPLATE_LIST} (Harbor's rule templates), got ${describeValue(issue.input)}`,
    })
    .describe(`What the rule retains: ${TEMPLATE_LIST}.`),
  count: positiveWhole("artifacts")
    .optional()
    .describe("K or N for latestPushedK and latestPulledN; not allowed elsewhere."),
  days: days
    .optional()
    .describe("Days for nDaysSinceLastPush and nDaysSinceLastPull; not allowed elsewhere."),
  tags: selectorOf(tagPattern, "tags", "v*")
    .optional()
    .describe('Which tagged artifacts the rule looks at. Default { matches: "**" }.'),
  untagged: yesNo
    .optional()
    .describe("Untagged artifacts are candidates of this rule too. Default false."),
  repositories: selectorOf(repositoryPattern, "repositories", "prod/**")
    .optional()
    .describe('Which repositories the rule applies to. Default { matches: "**" }.'),
}).superRefine((rule, ctx) => {
  const wanted = RULE_PARAMETER[rule.keep];
  for (const param of ["count", "days"] as const) {
    if (param === wanted && rule[param] === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [param],
        message: `required: ${param} (${PARAMETER_MEANING[rule.keep]}), a whole number, 1 or more`,
      });
    } else if (param !== wanted && rule[param] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [param],
        message: wanted
          ? `${rule.keep} takes ${wanted}, not ${param}`
          : `${rule.keep} takes no ${param}: it keeps every artifact its selectors choose`,
      });
    }
  }
});

/** EventBridge Scheduler expressions: cron (six fields), rate (value unit) or a one-time at(). */
const SCHEDULE_FORMS = [
  {
    prefix: "cron(",
    form: /^cron\(\S+( \S+){5}\)$/,
    hint: "cron( ) takes six fields: minutes hours day-of-month month day-of-week year, e.g. cron(0 3 * * ? *)",
  },
  {
    prefix: "rate(",
    form: /^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$/,
    hint: "rate( ) takes a positive whole number and a unit, e.g. rate(1 day) or rate(12 hours)",
  },
  {
    prefix: "at(",
    form: /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/,
    hint: "at( ) takes a date-time without a zone, e.g. at(2026-07-01T03:00:00)",
  },
];

const schedule = z
  .string({ error: expected('an EventBridge Scheduler expression such as "cron(0 3 * * ? *)"') })
  .superRefine((value, ctx) => {
    const known = SCHEDULE_FORMS.find((f) => value.startsWith(f.prefix));
    if (!known) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} is not an EventBridge Scheduler expression: write cron(…), rate(…) or at(…)`,
      });
    } else if (!known.form.test(value)) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)}: ${known.hint}` });
    }
  });

export const retentionSettingsSchema = strictObject({
  schedule: schedule
    .optional()
    .describe(
      "When scheduled runs happen (EventBridge Scheduler cron, rate or at). Omit: on demand only.",
    ),
  scheduleApplies: yesNo
    .optional()
    .describe("Scheduled runs delete (true) or only plan and alert (false, the default)."),
  rules: z
    .array(retentionRuleSchema, { error: expected("a list of keep rules") })
    .optional()
    .describe(
      "Harbor-style keep rules, combined with OR. A repository no rule covers keeps its tagged artifacts.",
    ),
  protections: strictObject({
    immutableTags: patterns(tagPattern, "tag pattern", "tag patterns")
      .optional()
      .describe("Artifacts with a tag matching one of these are never deleted."),
    pulledWithinDays: days.optional().describe("Artifacts pulled within this many days are kept."),
    quarantineExpiresAfterDays: days
      .optional()
      .describe(
        "Quarantined artifacts are kept until released; with this, only for this many days.",
      ),
    inUse: yesNo
      .optional()
      .describe("Digests running workloads use are kept (needs an in-use provider)."),
  })
    .optional()
    .describe("What is never deleted, whatever the rules say."),
  gc: strictObject({
    untaggedOlderThanDays: days
      .optional()
      .describe(
        "Untagged images older than this many days go, in repositories no rule covers too.",
      ),
    orphanReferrers: yesNo
      .optional()
      .describe("Signatures, attestations and SBOMs whose subject is gone go. Default true."),
  })
    .optional()
    .describe("Garbage collection, through the same plan."),
}).superRefine((settings, ctx) => {
  if (settings.scheduleApplies === true && settings.schedule === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["scheduleApplies"],
      message: "scheduleApplies: true needs a schedule next to it (when should runs delete?)",
    });
  }
});

export const policyDocumentSchema = strictObject({
  version: z
    .literal(1, { error: expected("the format version 1 (write version: 1)") })
    .describe("Policy file format version. Always 1."),
  defaults: strictObject({
    gate: gateSettingsSchema.optional(),
    audit: auditSettingsSchema.optional(),
    signatures: signatureSettingsSchema.optional(),
  })
    .optional()
    .describe("Settings for every repository, before overrides."),
  repositories: z
    .array(repositoryRuleSchema)
    .optional()
    .describe("Ordered overrides; every matching rule applies, later ones win."),
  allowlist: z
    .array(allowlistEntrySchema)
    .optional()
    .describe("Accepted findings, each with a reason and an expiry."),
  retention: retentionSettingsSchema
    .optional()
    .describe("Retention rules, protections and garbage collection (docs/retention.md)."),
});

export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type GateSettings = z.output<typeof gateSettingsSchema>;
export type AuditSettings = z.output<typeof auditSettingsSchema>;
export type SignatureSettings = z.output<typeof signatureSettingsSchema>;
export type SignatureNotationSettings = z.output<typeof signatureNotationSchema>;
export type RepositoryRule = z.output<typeof repositoryRuleSchema>;
export type RetentionSettings = z.output<typeof retentionSettingsSchema>;
export type RetentionRuleSettings = z.output<typeof retentionRuleSchema>;
