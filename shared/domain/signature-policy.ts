import { parseDuration } from "./duration.ts";
import type { LoadedPolicy } from "./policy-load.ts";
import { deepMerge, repositoryMatcher } from "./policy-resolve.ts";
import type { SignatureNotationSettings, SignatureSettings } from "./policy-schema.ts";

/**
 * A trusted key as the policy names it; `file` is still relative to the policy file, `kmsArn` is
 * the key or alias ARN (cosign's `awskms:///` prefix removed), fetched with kms:GetPublicKey.
 */
export type SignatureKeySpec = {
  name: string;
  hash?: "sha256" | "sha384" | "sha512";
  rsaPadding?: "pkcs1v15" | "pss";
} & ({ pem: string } | { file: string } | { kmsArn: string });

/**
 * A KMS key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`, multi-Region `mrk-` ids
 * included) or alias ARN (`…:alias/<name>`).
 */
const KMS_KEY_ARN =
  /^arn:aws(?:-[a-z]+)*:kms:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:(?:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]+)$/;

/** cosign's KMS key reference prefix (`--key awskms:///arn:aws:kms:…`). */
const COSIGN_AWSKMS = "awskms:///";

/** The key or alias ARN in `arn:…` or cosign's `awskms:///arn:…` form; null when it is neither. */
export function kmsKeyArnOf(reference: string): string | null {
  const arn = reference.startsWith(COSIGN_AWSKMS)
    ? reference.slice(COSIGN_AWSKMS.length)
    : reference;
  return KMS_KEY_ARN.test(arn) ? arn : null;
}

/** A keyless identity as written in the policy (compiled by the trust loader). */
export interface SignatureIdentitySpec {
  name?: string;
  issuer?: string;
  issuerRegExp?: string;
  subject?: string;
  subjectRegExp?: string;
}

/**
 * Notation trust as the policy names it: the trust store is a directory (still relative to the
 * policy file) or inline PEM certificates.
 */
export type SignatureNotationSpec = {
  trustedIdentities: string[];
  signingScheme?: "notary.x509" | "notary.x509.signingAuthority";
} & ({ trustStore: string } | { trustStorePems: string[] });

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
  /** Notation trust; absent when the block trusts no Notation signer. */
  notation?: SignatureNotationSpec;
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

export type SignaturePolicyErrorCode =
  | "SIGNATURE_POLICY_INVALID"
  /** The policy trusts a KMS key and the pipeline was built without a KMS client. */
  | "SIGNATURE_KMS_UNAVAILABLE";

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

export interface ResolveSignatureOptions {
  /**
   * Check and import the block even where the pipeline would not enforce it (`required` and
   * `requireSignedScanReports` both off): `registry-guard verify --policy` verifies on request.
   */
  verifying?: boolean;
}

/**
 * Resolves the `signatures` settings for a repository. Pure. Refuses, with SignaturePolicyError,
 * what the schema cannot see on one layer alone: a merged block that requires signatures but
 * trusts nothing, identities without a trusted root, Notation trust without a store or
 * identities, and KMS keys (not wired into the pipeline yet; use the key's PEM). Only enforced settings are checked: `required: false` and no signed
 * scan reports means the block is not used at all.
 */
export function resolveSignaturePolicy(
  loaded: LoadedPolicy,
  repository: string,
  options: ResolveSignatureOptions = {},
): SignaturePolicy {
  const { document } = loaded;
  let merged: SignatureSettings = mergeLayer(
    { ...SIGNATURE_DEFAULTS },
    document.defaults?.signatures,
  );
  for (const rule of document.repositories ?? []) {
    if (!rule.signatures || !repositoryMatcher(rule.match)(repository)) continue;
    merged = mergeLayer(merged, rule.signatures);
  }
  const required = merged.required ?? SIGNATURE_DEFAULTS.required;
  const requireSignedScanReports =
    merged.requireSignedScanReports ?? SIGNATURE_DEFAULTS.requireSignedScanReports;
  const enforced = required || requireSignedScanReports || options.verifying === true;
  const policy: SignaturePolicy = {
    version: loaded.version,
    repository,
    required,
    // Keys are only imported (and their ARNs only checked) where the block is enforced.
    keys: enforced ? (merged.keys ?? []).map((k) => keySpec(k, repository)) : [],
    identities: (merged.identities ?? []).map((id) => ({ ...id })),
    ...(merged.trustedRoot !== undefined ? { trustedRoot: merged.trustedRoot } : {}),
    ...notationSpec(merged.notation, enforced, repository),
    matchReference: merged.matchReference ?? SIGNATURE_DEFAULTS.matchReference,
    gracePeriodMinutes: parseDuration(merged.gracePeriod ?? SIGNATURE_DEFAULTS.gracePeriod),
    onFail: merged.onFail ?? SIGNATURE_DEFAULTS.onFail,
    requireSignedScanReports,
  };
  if (enforced) checkEnforceable(policy);
  return policy;
}

/**
 * One layer over the merged settings, like `gate`; within `notation`, a layer naming trustStore
 * or trustStorePems replaces the other form of the layers below (a store is one or the other).
 */
function mergeLayer(
  below: SignatureSettings,
  layer: SignatureSettings | undefined,
): SignatureSettings {
  if (!layer) return below;
  const merged = deepMerge<SignatureSettings>(below, layer);
  const n = layer.notation;
  if (!n || !merged.notation) return merged;
  const notation = { ...merged.notation };
  if (n.trustStore !== undefined) delete notation.trustStorePems;
  if (n.trustStorePems !== undefined) delete notation.trustStore;
  return { ...merged, notation };
}

function notationSpec(
  n: SignatureNotationSettings | undefined,
  enforced: boolean,
  repository: string,
): { notation?: SignatureNotationSpec } {
  if (!n) return {};
  const invalid = (message: string): never => {
    throw new SignaturePolicyError("SIGNATURE_POLICY_INVALID", repository, message);
  };
  const store =
    n.trustStore !== undefined
      ? { trustStore: n.trustStore }
      : n.trustStorePems !== undefined
        ? { trustStorePems: [...n.trustStorePems] }
        : undefined;
  const identities = n.trustedIdentities ?? [];
  if (!store || identities.length === 0) {
    // A half-written block is only refused where it is used.
    if (!enforced) return {};
    if (!store)
      invalid("notation needs trustStore (a directory of PEM CA certificates) or trustStorePems");
    invalid('notation needs trustedIdentities: "x509.subject: C=…, ST=…, O=…", or "*"');
  }
  return {
    notation: {
      ...(store as { trustStore: string } | { trustStorePems: string[] }),
      trustedIdentities: [...identities],
      ...(n.signingScheme ? { signingScheme: n.signingScheme } : {}),
    },
  };
}

function keySpec(
  k: NonNullable<SignatureSettings["keys"]>[number],
  repository: string,
): SignatureKeySpec {
  if (k.kmsArn !== undefined) {
    const arn = kmsKeyArnOf(k.kmsArn);
    if (!arn) {
      throw new SignaturePolicyError(
        "SIGNATURE_POLICY_INVALID",
        repository,
        `key ${k.name}: kmsArn ${JSON.stringify(k.kmsArn)} is not a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<key id> or …:alias/<name>, optionally as awskms:///arn:…)`,
      );
    }
    // KMS says how the key signs (GetPublicKey's SigningAlgorithms): hash and rsaPadding unused.
    return { name: k.name, kmsArn: arn };
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
  if (p.keys.length === 0 && p.identities.length === 0 && !p.notation) {
    throw new SignaturePolicyError(
      "SIGNATURE_POLICY_INVALID",
      p.repository,
      `${p.required || p.requireSignedScanReports ? "signatures are required but nothing is trusted" : "nothing is trusted"}: give keys, identities, notation, or several`,
    );
  }
  if (p.requireSignedScanReports && p.keys.length === 0 && p.identities.length === 0) {
    throw new SignaturePolicyError(
      "SIGNATURE_POLICY_INVALID",
      p.repository,
      "requireSignedScanReports needs keys or identities: scan report attestations are cosign-signed, which Notation trust does not verify",
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

/**
 * Every valid KMS key ARN any layer of the policy trusts (sorted, unique): whether the pipeline
 * needs a KMS client at all, and what the deploy grants kms:GetPublicKey on.
 */
export function policyKmsKeyArns(loaded: LoadedPolicy): string[] {
  const { document } = loaded;
  const layers = [
    document.defaults?.signatures,
    ...(document.repositories ?? []).map((r) => r.signatures),
  ];
  const arns = layers.flatMap((l) =>
    (l?.keys ?? []).flatMap((k) => {
      const arn = k.kmsArn !== undefined ? kmsKeyArnOf(k.kmsArn) : null;
      return arn ? [arn] : [];
    }),
  );
  return [...new Set(arns)].sort();
}
