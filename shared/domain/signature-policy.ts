import { parseDuration } from "./duration.ts";
import type { LoadedPolicy } from "./policy-load.ts";
import { deepMerge, repositoryMatcher } from "./policy-resolve.ts";
import type { SignatureSettings } from "./policy-schema.ts";

/** A trusted key as the policy names it; `file` is still relative to the policy file. */
export type SignatureKeySpec = {
  name: string;
  hash?: "sha256" | "sha384" | "sha512";
  rsaPadding?: "pkcs1v15" | "pss";
} & ({ pem: string } | { file: string });

/** A keyless identity as written in the policy (compiled by the trust loader). */
export interface SignatureIdentitySpec {
  name?: string;
  issuer?: string;
  issuerRegExp?: string;
  subject?: string;
  subjectRegExp?: string;
}

/**
 * The effective `signatures` settings for one repository: built-in defaults ← `defaults` ←
 * every matching `repositories[]` rule, merged like `gate` (objects key by key, lists replace).
 */
export interface SignaturePolicy {
  version: string;
  repository: string;
  required: boolean;
  keys: SignatureKeySpec[];
  identities: SignatureIdentitySpec[];
  /** Path of the Sigstore trusted root, relative to the policy file. */
  trustedRoot?: string;
  matchReference: boolean;
  gracePeriodMinutes: number;
  onFail: "alert" | "quarantine";
  requireSignedScanReports: boolean;
}

export const SIGNATURE_DEFAULTS = {
  required: false,
  matchReference: false,
  gracePeriod: "10m",
  onFail: "alert",
  requireSignedScanReports: false,
} as const;

export type SignaturePolicyErrorCode = "SIGNATURE_POLICY_INVALID" | "SIGNATURE_KMS_UNSUPPORTED";

/** The merged signatures settings of a repository cannot be enforced as written. */
export class SignaturePolicyError extends Error {
  readonly code: SignaturePolicyErrorCode;
  readonly repository: string;

  constructor(code: SignaturePolicyErrorCode, repository: string, message: string) {
    super(`${repository}: signatures: ${message} (see docs/signatures.md#in-the-pipeline)`);
    this.name = "SignaturePolicyError";
    this.code = code;
    this.repository = repository;
  }
}

/**
 * Resolves the `signatures` settings for a repository. Pure. Refuses, with SignaturePolicyError,
 * what the schema cannot see on one layer alone: a merged block that requires signatures but
 * trusts nothing, identities without a trusted root, and KMS keys (not wired into the pipeline
 * yet; use the key's PEM). Only enforced settings are checked: `required: false` and no signed
 * scan reports means the block is not used at all.
 */
export function resolveSignaturePolicy(loaded: LoadedPolicy, repository: string): SignaturePolicy {
  const { document } = loaded;
  let merged: SignatureSettings = deepMerge<SignatureSettings>(
    { ...SIGNATURE_DEFAULTS },
    document.defaults?.signatures ?? {},
  );
  for (const rule of document.repositories ?? []) {
    if (!rule.signatures || !repositoryMatcher(rule.match)(repository)) continue;
    merged = deepMerge(merged, rule.signatures);
  }
  const required = merged.required ?? SIGNATURE_DEFAULTS.required;
  const requireSignedScanReports =
    merged.requireSignedScanReports ?? SIGNATURE_DEFAULTS.requireSignedScanReports;
  const enforced = required || requireSignedScanReports;
  const policy: SignaturePolicy = {
    version: loaded.version,
    repository,
    required,
    // Keys are only imported (and a KMS key only refused) where the block is enforced.
    keys: enforced ? (merged.keys ?? []).map((k) => keySpec(k, repository)) : [],
    identities: (merged.identities ?? []).map((id) => ({ ...id })),
    ...(merged.trustedRoot !== undefined ? { trustedRoot: merged.trustedRoot } : {}),
    matchReference: merged.matchReference ?? SIGNATURE_DEFAULTS.matchReference,
    gracePeriodMinutes: parseDuration(merged.gracePeriod ?? SIGNATURE_DEFAULTS.gracePeriod),
    onFail: merged.onFail ?? SIGNATURE_DEFAULTS.onFail,
    requireSignedScanReports,
  };
  if (enforced) checkEnforceable(policy);
  return policy;
}

function keySpec(
  k: NonNullable<SignatureSettings["keys"]>[number],
  repository: string,
): SignatureKeySpec {
  if (k.kmsArn !== undefined) {
    throw new SignaturePolicyError(
      "SIGNATURE_KMS_UNSUPPORTED",
      repository,
      `key ${k.name}: kmsArn keys are not supported in the pipeline yet; give the key's public PEM (aws kms get-public-key) as pem or file`,
    );
  }
  const options = {
    name: k.name,
    ...(k.hash ? { hash: k.hash } : {}),
    ...(k.rsaPadding ? { rsaPadding: k.rsaPadding } : {}),
  };
  if (k.pem !== undefined) return { ...options, pem: k.pem };
  return { ...options, file: k.file as string };
}

function checkEnforceable(p: SignaturePolicy): void {
  if (p.keys.length === 0 && p.identities.length === 0) {
    throw new SignaturePolicyError(
      "SIGNATURE_POLICY_INVALID",
      p.repository,
      "signatures are required but nothing is trusted: give keys, identities, or both",
    );
  }
  if (p.identities.length > 0 && p.trustedRoot === undefined) {
    throw new SignaturePolicyError(
      "SIGNATURE_POLICY_INVALID",
      p.repository,
      "identities need trustedRoot: the Sigstore trusted_root.json their certificates are checked against",
    );
  }
}

/** Whether any layer of the policy turns `signatures.required` on: else nothing is swept. */
export function policyRequiresSignatures(loaded: LoadedPolicy): boolean {
  const { document } = loaded;
  return (
    document.defaults?.signatures?.required === true ||
    (document.repositories ?? []).some((r) => r.signatures?.required === true)
  );
}
