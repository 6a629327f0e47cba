import {
  type CandidateOutcome,
  type CandidateSummary,
  describeSigner,
  type VerificationResult,
} from "../shared/signatures/verification-result.ts";

/**
 * The human output of `verify`: the image, one line per signature tried (where it was found,
 * its format, and who verified it or which check refused it and why), then the verdict.
 */
export function formatVerification(
  image: { name: string; tag?: string },
  result: VerificationResult,
): string {
  const lines = [
    `image ${image.name}@${result.imageDigest}${image.tag !== undefined ? ` (tag ${image.tag})` : ""}`,
  ];
  if (result.tried.length === 0) {
    lines.push("  no signatures: no .sig tag and no signature referrers for this digest");
  }
  for (const t of result.tried) lines.push(`  ${tried(t)}`);
  lines.push(
    result.verified
      ? `VERIFIED by ${describeSigner(result)}`
      : `NOT VERIFIED: ${result.reason === "no-signatures" ? "no signatures" : `none of ${result.tried.length} signature(s) verified with what is trusted`}`,
  );
  return lines.join("\n");
}

function tried(t: CandidateOutcome): string {
  const head = `${where(t.candidate)} [${t.candidate.format}]`;
  return t.verified
    ? `${head} verified: ${describeSigner(t)}`
    : `${head} ${t.failure.code}: ${t.failure.message}`;
}

/** Where a signature was found: the `.sig` tag or the referrer, and the layer in it. */
function where(c: CandidateSummary): string {
  const manifest =
    c.source.kind === "legacy-tag"
      ? `.sig tag ${c.source.tag ?? c.source.manifestDigest}`
      : `referrer ${c.source.manifestDigest}`;
  return c.layerIndex !== undefined ? `${manifest} layer ${c.layerIndex}` : manifest;
}
