import * as z from "zod";
import { decodeBundleBase64 } from "./base64-strict.ts";
import type { SignatureFailureCode } from "./signature-failure.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPES } from "./signature-formats.ts";

/** A DSSE envelope with its fields decoded (secure-systems-lab/dsse envelope.md). */
export interface DsseEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: { sig: Uint8Array; keyid?: string }[];
}

/** One transparency-log entry, decoded but not checked: that is keyless verification's job. */
export interface TransparencyLogEntry {
  /** int64 fields arrive as decimal strings in protobuf JSON; "0" when left out. */
  logIndex: string;
  logId: Uint8Array;
  kindVersion: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: Uint8Array };
  inclusionProof?: {
    logIndex: string;
    rootHash: Uint8Array;
    treeSize: string;
    hashes: Uint8Array[];
    checkpoint: string;
  };
  canonicalizedBody?: Uint8Array;
}

/** dev.sigstore.bundle.v1.Bundle at v0.3, decoded from its protobuf JSON form. */
export interface SigstoreBundle {
  mediaType: string;
  verificationMaterial: {
    /** Key-based: an unauthenticated hint (cosign: base64 sha256 of the SPKI DER). */
    publicKey?: { hint?: string };
    /** Keyless v0.3: the leaf certificate, DER. */
    certificate?: Uint8Array;
    /** Older bundles and private PKI: leaf first, DER. */
    x509CertificateChain?: Uint8Array[];
    tlogEntries: TransparencyLogEntry[];
    rfc3161Timestamps: Uint8Array[];
  };
  content:
    | { kind: "dsse"; envelope: DsseEnvelope }
    | {
        kind: "message-signature";
        /** For identification only: the spec forbids verifying with it. */
        messageDigest?: { algorithm: string; digest: Uint8Array };
        signature: Uint8Array;
      };
}

/** The blob is not a Sigstore bundle we can read. */
export class BundleFormatError extends Error {
  readonly code: Extract<SignatureFailureCode, "BUNDLE_MALFORMED" | "BUNDLE_VERSION_UNSUPPORTED">;

  constructor(code: BundleFormatError["code"], message: string) {
    super(message);
    this.name = "BundleFormatError";
    this.code = code;
  }
}

const bytes = z.string().transform((s, ctx) => {
  const b = decodeBundleBase64(s);
  if (!b) {
    ctx.addIssue({ code: "custom", message: "not base64" });
    return z.NEVER;
  }
  return b;
});
// protobuf JSON writes int64 as strings and accepts numbers.
const int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).transform(String);
// ... and leaves out fields holding the zero value: a Rekor v2 entry has no integratedTime, the
// first entry of a log no logIndex. Absent reads as "0", as a protobuf decoder reads it.
const int64OrZero = int64.default("0");

const tlogEntrySchema = z.object({
  logIndex: int64OrZero,
  logId: z.object({ keyId: bytes }),
  kindVersion: z.object({ kind: z.string(), version: z.string() }),
  integratedTime: int64OrZero,
  inclusionPromise: z.object({ signedEntryTimestamp: bytes }).optional(),
  inclusionProof: z
    .object({
      logIndex: int64OrZero,
      rootHash: bytes,
      treeSize: int64,
      hashes: z.array(bytes).default([]),
      checkpoint: z.object({ envelope: z.string() }).transform((c) => c.envelope),
    })
    .optional(),
  canonicalizedBody: bytes.optional(),
});

const bundleSchema = z.object({
  mediaType: z.string(),
  verificationMaterial: z.object({
    publicKey: z.object({ hint: z.string().optional() }).optional(),
    certificate: z.object({ rawBytes: bytes }).optional(),
    x509CertificateChain: z
      .object({ certificates: z.array(z.object({ rawBytes: bytes })) })
      .optional(),
    tlogEntries: z.array(tlogEntrySchema).default([]),
    timestampVerificationData: z
      .object({
        rfc3161Timestamps: z.array(z.object({ signedTimestamp: bytes })).default([]),
      })
      .optional(),
  }),
  dsseEnvelope: z
    .object({
      payload: bytes,
      payloadType: z.string(),
      signatures: z.array(z.object({ sig: bytes, keyid: z.string().optional() })),
    })
    .optional(),
  messageSignature: z
    .object({
      messageDigest: z
        .object({ algorithm: z.string().default("HASH_ALGORITHM_UNSPECIFIED"), digest: bytes })
        .optional(),
      signature: bytes,
    })
    .optional(),
});

/**
 * Reads a Sigstore bundle v0.3 (sigstore/protobuf-specs sigstore_bundle.proto, JSON form with
 * lowerCamelCase names, as cosign writes it). Checks what the spec requires of the shape: one of
 * the three key materials, exactly one content, exactly one DSSE signature. Certificates, log
 * entries and timestamps are decoded and kept, not verified.
 */
export function parseSigstoreBundle(blob: Uint8Array): SigstoreBundle {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(blob).toString("utf8"));
  } catch {
    throw new BundleFormatError("BUNDLE_MALFORMED", "the bundle is not JSON");
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BundleFormatError(
      "BUNDLE_MALFORMED",
      `not a Sigstore bundle: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const b = parsed.data;
  if (!SIGSTORE_BUNDLE_V03_MEDIA_TYPES.includes(b.mediaType)) {
    throw new BundleFormatError(
      "BUNDLE_VERSION_UNSUPPORTED",
      `bundle media type ${b.mediaType} is not v0.3 (${SIGSTORE_BUNDLE_V03_MEDIA_TYPES[0]})`,
    );
  }
  const vm = b.verificationMaterial;
  const materials = [vm.publicKey, vm.certificate, vm.x509CertificateChain].filter(Boolean);
  if (materials.length !== 1) {
    throw new BundleFormatError(
      "BUNDLE_MALFORMED",
      "verificationMaterial must hold exactly one of publicKey, certificate, x509CertificateChain",
    );
  }
  if (Boolean(b.dsseEnvelope) === Boolean(b.messageSignature)) {
    throw new BundleFormatError(
      "BUNDLE_MALFORMED",
      "a bundle holds exactly one of dsseEnvelope and messageSignature",
    );
  }
  if (b.dsseEnvelope && b.dsseEnvelope.signatures.length !== 1) {
    throw new BundleFormatError(
      "BUNDLE_MALFORMED",
      `a bundle's DSSE envelope must carry exactly one signature, this one has ${b.dsseEnvelope.signatures.length}`,
    );
  }
  return {
    mediaType: b.mediaType,
    verificationMaterial: {
      ...(vm.publicKey ? { publicKey: vm.publicKey } : {}),
      ...(vm.certificate ? { certificate: vm.certificate.rawBytes } : {}),
      ...(vm.x509CertificateChain
        ? { x509CertificateChain: vm.x509CertificateChain.certificates.map((c) => c.rawBytes) }
        : {}),
      tlogEntries: vm.tlogEntries.map(({ logId, ...entry }) => ({ ...entry, logId: logId.keyId })),
      rfc3161Timestamps: (vm.timestampVerificationData?.rfc3161Timestamps ?? []).map(
        (t) => t.signedTimestamp,
      ),
    },
    content: b.dsseEnvelope
      ? { kind: "dsse", envelope: b.dsseEnvelope }
      : {
          kind: "message-signature",
          signature: (b.messageSignature as { signature: Uint8Array }).signature,
          ...(b.messageSignature?.messageDigest
            ? { messageDigest: b.messageSignature.messageDigest }
            : {}),
        },
  };
}
