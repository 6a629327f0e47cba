import { constants, type KeyObject } from "node:crypto";
import { CURVE_ORDERS, type EcCurve } from "./ecdsa-der.ts";
import { cosignKeyHint, keyIdOf } from "./key-id.ts";
import { PublicKeyError } from "./public-key-error.ts";

export type KeyAlgorithm = "ecdsa" | "ed25519" | "rsa-pkcs1v15" | "rsa-pss";
export type SignatureHash = "sha256" | "sha384" | "sha512";

/** Where a trusted key came from: policy text/file, or an AWS KMS key fetched once. */
export type KeyOrigin =
  | { kind: "pem" | "der" }
  | { kind: "kms"; arn: string; keySpec: string; signingAlgorithm: string };

/**
 * A public key imported once (a KeyObject, so verifying never re-parses it) with everything a
 * verification needs decided up front: algorithm, hash, the size rules its signatures must meet.
 */
export interface TrustedKey {
  /** First 16 hex chars of sha256(SPKI DER): how results and audit records name the key. */
  id: string;
  /** cosign's bundle hint, base64(sha256(SPKI DER)). */
  hint: string;
  /** The policy's name for the key, if it gave one. */
  name?: string;
  algorithm: KeyAlgorithm;
  curve?: EcCurve;
  /** Message digest the signature was computed over; null for Ed25519 (pure EdDSA). */
  hash: SignatureHash | null;
  spkiDer: Uint8Array;
  origin: KeyOrigin;
  /** ECDSA: the curve order r and s must stay below. */
  curveOrder?: Uint8Array;
  /** RSA: a signature is exactly the modulus length; Ed25519: 64 bytes. */
  signatureLength?: number;
  /** The argument for crypto.verify, prepared once. */
  verifyKey: KeyObject | { key: KeyObject; padding: number; saltLength: number };
}

export interface TrustedKeyOptions {
  name?: string;
  /**
   * Digest the signer used. Default: sigstore's default for the key (P-256 sha256, P-384 sha384,
   * P-521 sha512, RSA sha256), which is what cosign signs with. `cosign verify` itself assumes
   * sha256 unless `--signature-digest-algorithm` says otherwise.
   */
  hash?: SignatureHash;
  /** RSA only. cosign loads RSA keys as PKCS#1 v1.5; RSA-PSS only when asked for explicitly. */
  rsaPadding?: "pkcs1v15" | "pss";
}

const CURVES: Record<string, EcCurve> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};
const CURVE_HASH: Record<EcCurve, SignatureHash> = {
  "P-256": "sha256",
  "P-384": "sha384",
  "P-521": "sha512",
};
const MIN_RSA_BITS = 2048;

/** Decides how a public KeyObject verifies; throws PublicKeyError for keys we do not accept. */
export function trustedKeyFrom(
  key: KeyObject,
  origin: KeyOrigin,
  options: TrustedKeyOptions = {},
): TrustedKey {
  if (key.type !== "public") {
    throw new PublicKeyError("PUBLIC_KEY_INVALID", `expected a public key, got a ${key.type} key`);
  }
  const spkiDer = new Uint8Array(key.export({ type: "spki", format: "der" }));
  const base = {
    id: keyIdOf(spkiDer),
    hint: cosignKeyHint(spkiDer),
    ...(options.name ? { name: options.name } : {}),
    spkiDer,
    origin,
  };
  const kind = key.asymmetricKeyType;
  if (kind === "ec") {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) {
      throw new PublicKeyError(
        "PUBLIC_KEY_UNSUPPORTED",
        `ECDSA curve ${key.asymmetricKeyDetails?.namedCurve ?? "unknown"} is not supported; use P-256, P-384 or P-521`,
      );
    }
    rejectRsaPadding(options, "an ECDSA");
    return {
      ...base,
      algorithm: "ecdsa",
      curve,
      hash: options.hash ?? CURVE_HASH[curve],
      curveOrder: CURVE_ORDERS[curve],
      verifyKey: key,
    };
  }
  if (kind === "ed25519") {
    if (options.hash) {
      throw new PublicKeyError(
        "PUBLIC_KEY_UNSUPPORTED",
        "Ed25519 signs the message itself: no hash can be chosen (Ed25519ph is not supported)",
      );
    }
    rejectRsaPadding(options, "an Ed25519");
    return { ...base, algorithm: "ed25519", hash: null, signatureLength: 64, verifyKey: key };
  }
  if (kind === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new PublicKeyError(
        "PUBLIC_KEY_UNSUPPORTED",
        `RSA key of ${bits} bits is too small; at least ${MIN_RSA_BITS} bits`,
      );
    }
    const pss = options.rsaPadding === "pss";
    return {
      ...base,
      algorithm: pss ? "rsa-pss" : "rsa-pkcs1v15",
      hash: options.hash ?? "sha256",
      signatureLength: Math.ceil(bits / 8),
      verifyKey: pss
        ? {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            // Go's rsa.VerifyPSS with nil options detects the salt length; so do we.
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          }
        : key,
    };
  }
  throw new PublicKeyError(
    "PUBLIC_KEY_UNSUPPORTED",
    kind === "rsa-pss"
      ? "RSASSA-PSS SubjectPublicKeyInfo keys are not supported (Go's x509, hence cosign, cannot parse them either); give the rsaEncryption key with rsaPadding: pss"
      : `${kind ?? "unknown"} keys are not supported; use ECDSA P-256/P-384/P-521, Ed25519 or RSA`,
  );
}

function rejectRsaPadding(options: TrustedKeyOptions, what: string): void {
  if (options.rsaPadding) {
    throw new PublicKeyError(
      "PUBLIC_KEY_INVALID",
      `rsaPadding was given for ${what} key; it applies to RSA keys only`,
    );
  }
}
