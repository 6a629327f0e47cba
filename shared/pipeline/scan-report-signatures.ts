import {
  COSIGN_VULN_PREDICATE_TYPES,
  IN_TOTO_PAYLOAD_TYPE,
} from "../adapters/oci/cosign-vuln-attestation.ts";
import type { AttestationSignatureCheck } from "../adapters/oci/oci-scan-report.ts";
import type { ScanResult } from "../domain/finding.ts";
import type { ImageRef } from "../domain/image.ts";
import { resolveSignaturePolicy } from "../domain/signature-policy.ts";
import { decodeStdBase64 } from "../signatures/base64-strict.ts";
import { candidateFromBundle } from "../signatures/bundle-candidate.ts";
import { checkSignature } from "../signatures/check-signature.ts";
import { dssePae } from "../signatures/dsse-pae.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE } from "../signatures/signature-formats.ts";
import { verifyTrusted } from "../signatures/verify-trusted.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import { type SignatureTrust, signatureTrustFor } from "./signature-trust.ts";
import { signedScanReaderOf } from "./signed-scan-reader.ts";

/**
 * The image's scan as the gate should believe it. With `signatures.requireSignedScanReports`,
 * on a registry whose scans are attached reports, only vulnerability attestations signed by the
 * repository's trusted keys or identities count; the others are ignored with a reason in the
 * scan's detail. Otherwise the registry's scan as it is.
 */
export async function scanForGate(deps: PipelineDeps, image: ImageRef): Promise<ScanResult> {
  const reader = signedScanReaderOf(deps.registry);
  if (!reader) return deps.registry.getScanResult(image);
  const policy = resolveSignaturePolicy(deps.policy, image.repository);
  if (!policy.requireSignedScanReports) return deps.registry.getScanResult(image);
  const trust = await signatureTrustFor(deps.policy, policy, deps.kms);
  return reader.getSignedScanResult(image, attestationCheck(image, trust));
}

/**
 * Checks a vulnerability attestation's signature: a Sigstore bundle (cosign's bundle format)
 * is verified like an image signature (keys, then identities) with the vuln predicate accepted
 * and the statement's subject bound to the image; a bare DSSE envelope (cosign's `.att` layer)
 * with the trusted keys over its PAE (its certificate, if any, is not read: keys only).
 */
export function attestationCheck(
  image: ImageRef,
  trust: SignatureTrust,
): AttestationSignatureCheck {
  return (doc) => {
    if (doc && typeof doc === "object" && "dsseEnvelope" in doc) return checkBundle(doc);
    return checkEnvelope(doc);
  };

  function checkBundle(doc: object): string | null {
    const candidate = candidateFromBundle(Buffer.from(JSON.stringify(doc)), {
      source: { kind: "referrer", manifestDigest: image.digest },
      mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    });
    const result = verifyTrusted({
      imageDigest: image.digest,
      repository: image.repository,
      candidates: [candidate],
      keys: trust.keys,
      ...(trust.keyless ? { keyless: trust.keyless } : {}),
      options: { acceptedPredicateTypes: COSIGN_VULN_PREDICATE_TYPES },
    });
    if (result.verified) return null;
    const first = result.tried[0];
    return first && !first.verified
      ? `${first.failure.code}: ${first.failure.message}`
      : "the bundle carries no signature";
  }

  function checkEnvelope(doc: unknown): string | null {
    const env = doc as {
      payloadType?: unknown;
      payload?: unknown;
      signatures?: { sig?: unknown }[];
    };
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof env.payload !== "string") {
      return "not a DSSE envelope around an in-toto statement";
    }
    const sigs = Array.isArray(env.signatures) ? env.signatures : [];
    if (sigs.length === 0) return "the DSSE envelope is not signed";
    if (trust.keys.length === 0) {
      return "a bare DSSE envelope is checked with trusted keys, and the policy lists none";
    }
    const payload = decodeStdBase64(env.payload);
    if (!payload) return "the DSSE payload is not base64";
    const message = dssePae(env.payloadType, payload);
    let last = "no signature verifies with a trusted key";
    for (const s of sigs.slice(0, 8)) {
      const sig = typeof s?.sig === "string" ? decodeStdBase64(s.sig) : null;
      if (!sig) continue;
      const outcome = checkSignature(message, sig, trust.keys);
      if (!("code" in outcome)) return null;
      last = `${outcome.code}: ${outcome.message}`;
    }
    return last;
  }
}
