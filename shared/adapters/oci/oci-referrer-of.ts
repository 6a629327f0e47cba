import { setTimeout as sleep } from "node:timers/promises";
import { DIGEST_RE, type ImageRef } from "../../domain/image.ts";
import { type ReferrerInfo, SUBJECT_TAG_RE } from "../../pipeline/subject-of.ts";
import type { OciClient } from "./oci-client.ts";
import { OciRegistryError } from "./oci-errors.ts";
import { getManifest, tagDigest } from "./oci-manifest.ts";
import { type ManifestContent, parseManifestContent } from "./oci-manifest-content.ts";
import { listReferrers } from "./oci-referrers.ts";

/** How long a tag named in a push notification may take to become readable. */
const TAG_VISIBLE_WAIT_MS = 1000;

/**
 * Whether a pushed manifest is a referrer of another image, for the pipeline's subject-aware
 * flow:
 * - a `sha256-<hex>` tag (the referrers tag schema, cosign's legacy tags) names its subject;
 *   distribution sends the push notification from inside the manifest PUT, before it links the
 *   tag, so a fast receiver can get there first: a short wait covers that, past it the pipeline
 *   has the event retried;
 * - a manifest pushed by digest that names a `subject` counts once the registry's referrers API
 *   lists it (on a registry without that API the `sha256-<hex>` index push that follows does).
 */
export async function ociReferrerOf(
  client: OciClient,
  ref: ImageRef,
): Promise<ReferrerInfo | null> {
  for (const tag of ref.tags) {
    const m = SUBJECT_TAG_RE.exec(tag);
    if (m) {
      return {
        subjectDigest: `sha256:${m[1]}`,
        listed: await tagReadable(client, ref.repository, tag),
      };
    }
  }
  return manifestSubject(client, ref);
}

async function tagReadable(client: OciClient, repository: string, tag: string): Promise<boolean> {
  const deadline = Date.now() + TAG_VISIBLE_WAIT_MS;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if ((await tagDigest(client, repository, tag)) !== null) return true;
    if (Date.now() + delay > deadline) return false;
    await sleep(delay);
  }
}

async function manifestSubject(client: OciClient, ref: ImageRef): Promise<ReferrerInfo | null> {
  const manifest = await getManifest(client, ref.repository, ref.digest);
  if (!manifest) return null;
  let content: ManifestContent;
  try {
    content = parseManifestContent(manifest.bytes, manifest.mediaType, {
      ...client.target({ repository: ref.repository, reference: ref.digest }),
      operation: "ReadSubject",
    });
  } catch (err) {
    // Not a manifest we can read (schema 1, unknown type): then not a referrer we know of.
    if (err instanceof OciRegistryError) return null;
    throw err;
  }
  const subject = content.subject?.digest;
  if (!subject || !DIGEST_RE.test(subject)) return null;
  // Only the referrers API counts: under the tag schema the client pushes the `sha256-<hex>`
  // index next, and that push decides. Deciding here too would judge the subject twice, on
  // two events that run side by side (the index may already list this manifest by now).
  const { descriptors, via } = await listReferrers(client, ref.repository, subject);
  const artifactType =
    content.artifactType ?? (content.kind === "image" ? content.config.mediaType : undefined);
  return {
    subjectDigest: subject,
    listed: via === "referrers-api" && descriptors.some((d) => d.digest === ref.digest),
    ...(artifactType ? { artifactType } : {}),
  };
}
