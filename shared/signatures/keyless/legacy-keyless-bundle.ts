import { createHash } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import type { SimpleSigningCandidate } from "../signature-candidate.ts";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import {
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_REKOR_BUNDLE_ANNOTATION,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
} from "../signature-formats.ts";
import { pemBlocks } from "./pem-blocks.ts";
import { parseRekorBundleAnnotation, parseRfc3161Annotation } from "./rekor-bundle-annotation.ts";
import { toBuffer, toJsTlogEntry } from "./sigstore-js-bundle.ts";

/**
 * A legacy keyless `.sig` layer as the Sigstore bundle it amounts to, so one verifier checks both
 * formats: the leaf certificate from `dev.sigstore.cosign/certificate`, the Rekor entry and SET
 * from `dev.sigstore.cosign/bundle`, the TSA token if any, and a message signature over the
 * simple-signing payload (hashedrekord records sha256 of the payload and the signature).
 * The `dev.sigstore.cosign/chain` annotation is not used: anchors and intermediates come only
 * from the trusted root, as cosign does with a trusted root given.
 */
export function legacyKeylessBundle(c: SimpleSigningCandidate): Bundle | SignatureFailure {
  const pem = c.keyless.certificatePem;
  if (!pem) {
    return failure(
      "CERTIFICATE_MISSING",
      `the layer has no ${COSIGN_CERTIFICATE_ANNOTATION} annotation: it is a key-based signature, not a keyless one`,
    );
  }
  const cert = pemBlocks(pem)?.find((b) => b.type === "CERTIFICATE");
  if (!cert) {
    return failure(
      "CERTIFICATE_MALFORMED",
      `the ${COSIGN_CERTIFICATE_ANNOTATION} annotation holds no PEM certificate`,
    );
  }
  const tlogEntries: Bundle["verificationMaterial"]["tlogEntries"] = [];
  if (c.keyless.rekorBundle) {
    const entry = parseRekorBundleAnnotation(c.keyless.rekorBundle);
    if ("error" in entry) return failure("TLOG_MALFORMED", entry.error);
    tlogEntries.push(toJsTlogEntry(entry));
  }
  let rfc3161: Uint8Array | undefined;
  if (c.keyless.rfc3161Timestamp) {
    const token = parseRfc3161Annotation(c.keyless.rfc3161Timestamp);
    if ("error" in token) return failure("TIMESTAMP_INVALID", token.error);
    rfc3161 = token;
  }
  return {
    mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      content: { $case: "certificate", certificate: { rawBytes: toBuffer(cert.der) } },
      tlogEntries,
      timestampVerificationData: rfc3161
        ? { rfc3161Timestamps: [{ signedTimestamp: toBuffer(rfc3161) }] }
        : undefined,
    },
    content: {
      $case: "messageSignature",
      messageSignature: {
        // HashAlgorithm.SHA2_256 = 1: cosign signs the payload's sha256.
        messageDigest: { algorithm: 1, digest: createHash("sha256").update(c.payload).digest() },
        signature: toBuffer(c.signature),
      },
    },
  };
}

/** Why a legacy layer has no log entry, for the TLOG_MISSING message. */
export const LEGACY_TLOG_HINT = `the layer has no ${COSIGN_REKOR_BUNDLE_ANNOTATION} annotation`;
