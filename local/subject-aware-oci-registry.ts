import { setTimeout as sleep } from "node:timers/promises";
import { OciRegistryError } from "../shared/adapters/oci/oci-errors.ts";
import { getManifest, tagDigest } from "../shared/adapters/oci/oci-manifest.ts";
import {
  type ManifestContent,
  parseManifestContent,
} from "../shared/adapters/oci/oci-manifest-content.ts";
import { listReferrers } from "../shared/adapters/oci/oci-referrers.ts";
import { OciRegistry } from "../shared/adapters/oci/oci-registry.ts";
import { DIGEST_RE, type ImageRef } from "../shared/domain/image.ts";
import {
  type ReferrerInfo,
  type ReferrerLookup,
  SUBJECT_TAG_RE,
} from "../shared/pipeline/subject-of.ts";

/** How long a tag named in a push notification may take to become readable. */
const TAG_VISIBLE_WAIT_MS = 1000;

/**
 * The OCI adapter plus what the pipeline's OCI flow asks that the Registry port does not:
 * - whether a manifest pushed by digest names a `subject`, and whether the registry's referrers
 *   API lists it (so a report pushed by digest alone triggers the gate on a registry with that
 *   API; on distribution 2.8, which has none, the `sha256-<hex>` index push that follows does);
 * - whether a tag that names a subject is readable yet: distribution sends the push
 *   notification from inside the manifest PUT, before it links the tag, so a fast receiver can
 *   get there first. A short wait covers that; past it the pipeline has the event retried.
 */
export class SubjectAwareOciRegistry extends OciRegistry implements ReferrerLookup {
  async referrerOf(ref: ImageRef): Promise<ReferrerInfo | null> {
    if (ref.registry !== "oci" || ref.registryId !== this.registryId) return null;
    if (this.quarantineRepositories.isQuarantine(ref.repository)) return null;
    for (const tag of ref.tags) {
      const m = SUBJECT_TAG_RE.exec(tag);
      if (m) {
        return {
          subjectDigest: `sha256:${m[1]}`,
          listed: await this.tagReadable(ref.repository, tag),
        };
      }
    }
    return this.manifestSubject(ref);
  }

  private async tagReadable(repository: string, tag: string): Promise<boolean> {
    const deadline = Date.now() + TAG_VISIBLE_WAIT_MS;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      if ((await tagDigest(this.client, repository, tag)) !== null) return true;
      if (Date.now() + delay > deadline) return false;
      await sleep(delay);
    }
  }

  private async manifestSubject(ref: ImageRef): Promise<ReferrerInfo | null> {
    const manifest = await getManifest(this.client, ref.repository, ref.digest);
    if (!manifest) return null;
    let content: ManifestContent;
    try {
      content = parseManifestContent(manifest.bytes, manifest.mediaType, {
        ...this.client.target({ repository: ref.repository, reference: ref.digest }),
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
    const { descriptors, via } = await listReferrers(this.client, ref.repository, subject);
    const artifactType =
      content.artifactType ?? (content.kind === "image" ? content.config.mediaType : undefined);
    return {
      subjectDigest: subject,
      listed: via === "referrers-api" && descriptors.some((d) => d.digest === ref.digest),
      ...(artifactType ? { artifactType } : {}),
    };
  }
}
