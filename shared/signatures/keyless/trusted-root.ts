import { createPublicKey } from "node:crypto";
import { X509Certificate } from "@sigstore/core";
import { type TrustMaterial, toTrustMaterial } from "@sigstore/verify";
import { KeylessPolicyError } from "./keyless-policy-error.ts";
import {
  type CertificateAuthorityJson,
  type LogInstanceJson,
  TRUSTED_ROOT_MEDIA_TYPES,
  trustedRootSchema,
} from "./trusted-root-schema.ts";

/** protobuf-specs' TrustedRoot message, as toTrustMaterial takes it. */
type TrustedRootMessage = Parameters<typeof toTrustMaterial>[0];
type LogMessage = TrustedRootMessage["tlogs"][number];
type CaMessage = TrustedRootMessage["certificateAuthorities"][number];
type KeyDetails = NonNullable<LogMessage["publicKey"]>["keyDetails"];
type HashAlgorithm = LogMessage["hashAlgorithm"];

/**
 * PublicKeyDetails and HashAlgorithm enum numbers of sigstore_common.proto (wire-stable by
 * protobuf's rules). Log keys sign SETs, checkpoints and SCTs: the algorithms logs use.
 */
const KEY_DETAILS: Record<string, { value: KeyDetails; der: "spki" | "pkcs1" }> = {
  PKIX_ECDSA_P256_SHA_256: { value: 5, der: "spki" },
  PKIX_ECDSA_P384_SHA_384: { value: 12, der: "spki" },
  PKIX_ECDSA_P521_SHA_512: { value: 13, der: "spki" },
  PKIX_ED25519: { value: 7, der: "spki" },
  // toTrustMaterial imports every RSA log key as PKCS#1, so only that encoding is accepted.
  PKCS1_RSA_PKCS1V5: { value: 1, der: "pkcs1" },
};
const HASH_ALGORITHMS: Record<string, HashAlgorithm> = { SHA2_256: 1, SHA2_384: 2, SHA2_512: 3 };

/** A trusted root read once at policy load, ready for @sigstore/verify. */
export interface KeylessTrustRoot {
  material: TrustMaterial;
  /** The root lists CT logs: certificates must then carry an SCT from one of them. */
  hasCtLogs: boolean;
  hasTimestampAuthorities: boolean;
}

/**
 * Reads a Sigstore trusted root given in the policy (JSON text, bytes, or the parsed object) and
 * turns it into @sigstore/verify trust material. Every certificate and key is parsed now, so a
 * broken root fails policy load with where it is broken, not the first verification. Nothing is
 * fetched: this root is the whole of what keyless verification trusts.
 */
export function loadTrustedRoot(input: string | Uint8Array | object): KeylessTrustRoot {
  const json = readJson(input);
  const parsed = trustedRootSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(`${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  const root = parsed.data;
  if (!TRUSTED_ROOT_MEDIA_TYPES.includes(root.mediaType)) {
    invalid(`mediaType ${root.mediaType} is not a trusted root (${TRUSTED_ROOT_MEDIA_TYPES[0]})`);
  }
  if (root.certificateAuthorities.length === 0) {
    invalid("no certificateAuthorities: keyless verification needs the Fulcio CA");
  }
  if (root.tlogs.length === 0 && root.timestampAuthorities.length === 0) {
    invalid("neither tlogs nor timestampAuthorities: nothing could vouch for a signing time");
  }
  const message: TrustedRootMessage = {
    mediaType: root.mediaType,
    tlogs: root.tlogs.map((l, i) => logMessage(l, `tlogs[${i}]`)),
    certificateAuthorities: root.certificateAuthorities.map((c, i) =>
      caMessage(c, `certificateAuthorities[${i}]`),
    ),
    ctlogs: root.ctlogs.map((l, i) => logMessage(l, `ctlogs[${i}]`)),
    timestampAuthorities: root.timestampAuthorities.map((c, i) =>
      caMessage(c, `timestampAuthorities[${i}]`),
    ),
  };
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(message);
  } catch (err) {
    return invalid(`unusable: ${(err as Error).message}`);
  }
  return {
    material,
    hasCtLogs: root.ctlogs.length > 0,
    hasTimestampAuthorities: root.timestampAuthorities.length > 0,
  };
}

function readJson(input: string | Uint8Array | object): unknown {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) return input;
  const text = typeof input === "string" ? input : Buffer.from(input).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return invalid("the trusted root is not JSON");
  }
}

function invalid(message: string): never {
  throw new KeylessPolicyError("TRUSTED_ROOT_INVALID", `trusted root: ${message}`);
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function logMessage(l: LogInstanceJson, where: string): LogMessage {
  const details = KEY_DETAILS[l.publicKey.keyDetails];
  if (!details) {
    invalid(
      `${where}.publicKey.keyDetails ${l.publicKey.keyDetails} is not supported (${Object.keys(KEY_DETAILS).join(", ")})`,
    );
  }
  const hash = HASH_ALGORITHMS[l.hashAlgorithm];
  if (hash === undefined) invalid(`${where}.hashAlgorithm ${l.hashAlgorithm} is not supported`);
  try {
    createPublicKey({ key: buf(l.publicKey.rawBytes), format: "der", type: details.der });
  } catch {
    invalid(`${where}.publicKey is not a readable ${l.publicKey.keyDetails} key`);
  }
  return {
    baseUrl: l.baseUrl,
    hashAlgorithm: hash,
    publicKey: {
      rawBytes: buf(l.publicKey.rawBytes),
      keyDetails: details.value,
      validFor: l.publicKey.validFor,
    },
    logId: { keyId: buf(l.logId.keyId) },
    checkpointKeyId: l.checkpointKeyId ? { keyId: buf(l.checkpointKeyId.keyId) } : undefined,
    operator: l.operator,
  };
}

function caMessage(c: CertificateAuthorityJson, where: string): CaMessage {
  c.certChain.certificates.forEach((cert, i) => {
    try {
      X509Certificate.parse(Buffer.from(cert.rawBytes)).publicKey;
    } catch {
      invalid(`${where}.certChain.certificates[${i}] is not a DER X.509 certificate`);
    }
  });
  return {
    subject: c.subject,
    uri: c.uri,
    certChain: {
      certificates: c.certChain.certificates.map((x) => ({ rawBytes: buf(x.rawBytes) })),
    },
    validFor: c.validFor,
    operator: c.operator,
  };
}
