import type { ECRClient } from "@aws-sdk/client-ecr";
import { DIGEST_RE, type ImageRef } from "../../domain/image.ts";
import { isSignatureReferrerType } from "../../pipeline/signature-subject.ts";
import type { ReferrerInfo } from "../../pipeline/subject-of.ts";
import { DigestMismatchError } from "./ecr-errors.ts";
import { fetchEcrManifest } from "./ecr-fetch-manifest.ts";
import { manifestDigest } from "./ecr-manifest.ts";

/**
 * The image a pushed signature referrer (Sigstore bundle, cosign OCI 1.1 signature, Notation
 * signature) is about, read from the `subject` of its manifest: ECR's Referrer Action carries only
 * the referrer's own digest. One BatchGetImage; the bytes must hash to the digest asked for
 * (DigestMismatchError), as for any image. Null when the referrer is gone, is not a signature's
 * manifest, or names no other image: only signatures are traced, nothing else is acted on.
 * `listed` is always true: ECR lists a referrer as soon as its push is reported.
 */
export async function ecrReferrerOf(
  client: ECRClient,
  ref: ImageRef,
): Promise<ReferrerInfo | null> {
  const fetched = await fetchEcrManifest(client, ref);
  if (!fetched.found) return null;
  const computed = manifestDigest(fetched.manifest);
  if (computed !== ref.digest) throw new DigestMismatchError(ref, computed);
  const manifest = parseObject(fetched.manifest);
  const config = asObject(manifest?.config);
  const subject = asObject(manifest?.subject);
  const artifactType = stringOf(manifest?.artifactType) ?? stringOf(config?.mediaType);
  const subjectDigest = stringOf(subject?.digest);
  if (!isSignatureReferrerType(artifactType) || !subjectDigest) return null;
  if (!DIGEST_RE.test(subjectDigest) || subjectDigest === ref.digest) return null;
  return { subjectDigest, listed: true, ...(artifactType ? { artifactType } : {}) };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function stringOf(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
