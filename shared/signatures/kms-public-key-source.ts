import { createPublicKey } from "node:crypto";
import { kmsKeyArnOf } from "../domain/signature-policy.ts";
import { PublicKeyError } from "./public-key-error.ts";
import {
  type SignatureHash,
  type TrustedKey,
  type TrustedKeyOptions,
  trustedKeyFrom,
} from "./trusted-key.ts";

/** What KMS GetPublicKey returns that verification needs. */
export interface KmsPublicKey {
  /** `PublicKey`: DER SubjectPublicKeyInfo (the SDK hands raw bytes, not base64). */
  spkiDer: Uint8Array;
  /** `KeySpec`, e.g. ECC_NIST_P256, RSA_3072. */
  keySpec: string;
  /** `SigningAlgorithms`; cosign verifies with the first, so do we. */
  signingAlgorithms?: readonly string[];
}

/**
 * Port for AWS KMS keys named by ARN. The adapter calls GetPublicKey (kms:GetPublicKey only); the
 * signature is then verified locally with the public key, never by calling KMS Verify: no per-
 * signature API call, no KMS quota on the hot path, and the same code path as a PEM key.
 */
export interface KmsPublicKeySource {
  getPublicKey(arn: string): Promise<KmsPublicKey>;
}

/** The key or alias ARN in `arn:…` or cosign's `awskms:///arn:…` form; null when it is neither. */
export const kmsKeyArn = kmsKeyArnOf;

/**
 * Remembers each ARN's public key for the life of the process (a Lambda container): one
 * GetPublicKey per key per container. A failed call is not remembered, so the next one retries.
 */
export function cachedKmsPublicKeySource(source: KmsPublicKeySource): KmsPublicKeySource {
  const cache = new Map<string, Promise<KmsPublicKey>>();
  return {
    getPublicKey(arn) {
      let hit = cache.get(arn);
      if (!hit) {
        hit = source.getPublicKey(arn);
        cache.set(arn, hit);
        hit.catch(() => cache.delete(arn));
      }
      return hit;
    },
  };
}

/** Fetches (through `source`) and imports the public key of a KMS signing key. */
export async function loadKmsPublicKey(
  source: KmsPublicKeySource,
  reference: string,
  options: { name?: string } = {},
): Promise<TrustedKey> {
  const arn = kmsKeyArn(reference);
  if (!arn) {
    throw new PublicKeyError(
      "PUBLIC_KEY_INVALID",
      `${reference} is not a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>)`,
    );
  }
  const kms = await source.getPublicKey(arn);
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: Buffer.from(kms.spkiDer), format: "der", type: "spki" });
  } catch (err) {
    throw new PublicKeyError(
      "PUBLIC_KEY_INVALID",
      `KMS returned an unreadable public key for ${arn} (${(err as Error).message})`,
    );
  }
  const algorithm = kms.signingAlgorithms?.[0] ?? defaultSigningAlgorithm(kms.keySpec);
  const trusted = trustedKeyFrom(
    key,
    { kind: "kms", arn, keySpec: kms.keySpec, signingAlgorithm: algorithm },
    { ...signingOptions(arn, algorithm), ...(options.name ? { name: options.name } : {}) },
  );
  checkKeySpec(arn, kms.keySpec, trusted);
  return trusted;
}

/** KMS SigningAlgorithmSpec → how to verify, as sigstore's AWS KMS verifier maps it. */
function signingOptions(arn: string, algorithm: string): TrustedKeyOptions {
  const m = /^(ECDSA|RSASSA_PKCS1_V1_5|RSASSA_PSS)_SHA_(256|384|512)$/.exec(algorithm);
  if (m) {
    const hash = `sha${m[2]}` as SignatureHash;
    if (m[1] === "ECDSA") return { hash };
    return { hash, rsaPadding: m[1] === "RSASSA_PSS" ? "pss" : "pkcs1v15" };
  }
  if (algorithm === "ED25519_SHA_512") return {};
  throw new PublicKeyError(
    "PUBLIC_KEY_UNSUPPORTED",
    `KMS key ${arn} signs with ${algorithm}, which cosign-compatible verification does not support`,
  );
}

function defaultSigningAlgorithm(keySpec: string): string {
  if (keySpec === "ECC_NIST_P384") return "ECDSA_SHA_384";
  if (keySpec === "ECC_NIST_P521") return "ECDSA_SHA_512";
  if (keySpec.startsWith("RSA_")) return "RSASSA_PKCS1_V1_5_SHA_256";
  if (keySpec === "ECC_NIST_EDWARDS25519") return "ED25519_SHA_512";
  return "ECDSA_SHA_256";
}

/** The key KMS returned must be the kind its KeySpec says, and fit its signing algorithm. */
function checkKeySpec(arn: string, keySpec: string, key: TrustedKey): void {
  const algorithm = key.origin.kind === "kms" ? key.origin.signingAlgorithm : "";
  const expected: Record<string, boolean> = {
    ECC_NIST_P256: key.curve === "P-256",
    ECC_NIST_P384: key.curve === "P-384",
    ECC_NIST_P521: key.curve === "P-521",
    ECC_NIST_EDWARDS25519: key.algorithm === "ed25519",
  };
  const rsa = /^RSA_(\d+)$/.exec(keySpec);
  const specFits = rsa
    ? key.algorithm.startsWith("rsa") && key.signatureLength === Number(rsa[1]) / 8
    : expected[keySpec];
  const algorithmFits = algorithm.startsWith("ECDSA")
    ? key.algorithm === "ecdsa"
    : algorithm.startsWith("RSASSA")
      ? key.algorithm.startsWith("rsa")
      : key.algorithm === "ed25519";
  if (specFits !== true || !algorithmFits) {
    throw new PublicKeyError(
      "PUBLIC_KEY_UNSUPPORTED",
      `KMS key ${arn}: KeySpec ${keySpec} with ${algorithm} does not match its ${key.algorithm}${key.curve ? ` ${key.curve}` : ""} public key, or is not supported`,
    );
  }
}
