const COSIGN_TAG_RE = /^sha256-([a-f0-9]{64})\.(?:sig|att|sbom)$/;

/**
 * The subject digest a cosign-style tag names (`sha256-<hex>.sig`, `.att`, `.sbom`): cosign
 * stores signatures, attestations and SBOMs under a tag derived from the signed image's digest.
 * Undefined for any other tag.
 */
export function subjectDigestFromTag(tag: string | undefined): string | undefined {
  const match = tag === undefined ? null : COSIGN_TAG_RE.exec(tag);
  return match ? `sha256:${match[1]}` : undefined;
}
