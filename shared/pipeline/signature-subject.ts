import type { ImagePushed, ReferrerPushed } from "../domain/registry-event.ts";
import type { Registry } from "../ports.ts";
import { NOTATION_ARTIFACT_TYPE } from "../signatures/notation/notation-formats.ts";
import { isSignatureArtifactType } from "../signatures/sources/cosign-signature-locations.ts";
import { referrerLookupOf, type Subject } from "./subject-of.ts";

const SIG_TAG_RE = /^sha256-([a-f0-9]{64})\.sig$/;

/**
 * Artifact types of referrers that are signatures the pipeline verifies: cosign's (Sigstore
 * bundle, OCI 1.1 simple signing) and Notation's. SBOMs, attestations and scan reports are not.
 */
export function isSignatureReferrerType(artifactType: string | undefined): boolean {
  return isSignatureArtifactType(artifactType) || artifactType === NOTATION_ARTIFACT_TYPE;
}

/**
 * The digest of the image a pushed signature is about, or null when the push is not a
 * signature: cosign's `sha256-<hex>.sig` tag, a referrer whose artifact type is a signature's
 * (Sigstore bundle, Notation), or an OCI referrers-index update (`sha256-<hex>`), which is how a
 * signature pushed by digest becomes findable on a registry without the referrers API.
 * `subject` is what subjectOf found (OCI); null for ECR, where only the tag and the event's
 * subject say it (see tracedSignatureSubject for a referrer the event names no subject for).
 */
export function signatureSubject(
  event: ImagePushed | ReferrerPushed,
  subject: Subject | null,
): string | null {
  const tagged = event.image.tags.map((t) => SIG_TAG_RE.exec(t)).find((m) => m);
  if (tagged) return `sha256:${tagged[1]}`;
  const artifactType =
    subject?.artifactType ?? (event.kind === "referrer-pushed" ? event.artifactType : undefined);
  if (isSignatureReferrerType(artifactType)) {
    return (
      subject?.image.digest ??
      (event.kind === "referrer-pushed" ? (event.subjectDigest ?? null) : null)
    );
  }
  if (subject?.via === "referrers-tag") return subject.image.digest;
  return null;
}

/**
 * ECR: the subject of a signature referrer pushed without a tag that names it (a Sigstore bundle
 * or a Notation signature: ECR's Referrer Action carries the referrer's digest and artifact type
 * only), read from the referrer's manifest when the registry can. Only an event whose artifact
 * type is a signature's costs a read; null for anything else, and for OCI, where subjectOf has
 * already traced it.
 */
export async function tracedSignatureSubject(
  event: ImagePushed | ReferrerPushed,
  registry: Registry,
): Promise<string | null> {
  if (event.kind !== "referrer-pushed" || event.image.registry === "oci") return null;
  if (event.subjectDigest || !isSignatureReferrerType(event.artifactType)) return null;
  if (event.image.tags.some((t) => SIG_TAG_RE.test(t))) return null;
  const info = await referrerLookupOf(registry)?.referrerOf(event.image);
  return info && isSignatureReferrerType(info.artifactType) ? info.subjectDigest : null;
}
