import type { ImagePushed, ReferrerPushed } from "../domain/registry-event.ts";
import { isSignatureArtifactType } from "../signatures/sources/cosign-signature-locations.ts";
import type { Subject } from "./subject-of.ts";

const SIG_TAG_RE = /^sha256-([a-f0-9]{64})\.sig$/;

/**
 * The digest of the image a pushed signature is about, or null when the push is not a
 * signature: cosign's `sha256-<hex>.sig` tag, a referrer whose artifact type is a signature's
 * (Sigstore bundle), or an OCI referrers-index update (`sha256-<hex>`), which is how a bundle
 * pushed by digest becomes findable on a registry without the referrers API. `subject` is what
 * subjectOf found (OCI); null for ECR, where only the tag and the event's subject say it.
 */
export function signatureSubject(
  event: ImagePushed | ReferrerPushed,
  subject: Subject | null,
): string | null {
  const tagged = event.image.tags.map((t) => SIG_TAG_RE.exec(t)).find((m) => m);
  if (tagged) return `sha256:${tagged[1]}`;
  const artifactType =
    subject?.artifactType ?? (event.kind === "referrer-pushed" ? event.artifactType : undefined);
  if (isSignatureArtifactType(artifactType)) {
    return (
      subject?.image.digest ??
      (event.kind === "referrer-pushed" ? (event.subjectDigest ?? null) : null)
    );
  }
  if (subject?.via === "referrers-tag") return subject.image.digest;
  return null;
}
