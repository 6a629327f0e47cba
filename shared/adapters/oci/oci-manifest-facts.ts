import { DIGEST_RE } from "../../domain/image.ts";
import { SUBJECT_TAG_RE } from "../../pipeline/subject-of.ts";
import { OciRegistryError, type OciTarget } from "./oci-errors.ts";
import type { Manifest } from "./oci-manifest.ts";
import { type Descriptor, parseManifestContent } from "./oci-manifest-content.ts";

/** Config media types of container images: their `created` field is a build time. */
export const IMAGE_CONFIG_TYPES = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);

/** What retention needs to know of one manifest, read from its bytes. */
export interface ManifestFacts {
  digest: string;
  mediaType: string;
  /** Config plus layers of an image manifest; undefined for an index or an unreadable manifest. */
  sizeBytes?: number;
  artifactType?: string;
  /** The digests an index lists. */
  children?: string[];
  /** The OCI `subject` the manifest names. */
  subject?: string;
  /** An image's config, when it is a container image config (its `created` is a fallback push time). */
  imageConfig?: Descriptor;
}

/**
 * The facts of a manifest. One registry-guard cannot parse (Docker schema 1, an unknown media
 * type) is still an artifact of the repository: it keeps its digest and media type, nothing more.
 */
export function manifestFacts(m: Manifest, where: OciTarget): ManifestFacts {
  const facts: ManifestFacts = { digest: m.digest, mediaType: m.mediaType };
  let content: ReturnType<typeof parseManifestContent>;
  try {
    content = parseManifestContent(m.bytes, m.mediaType, { ...where, operation: "Inventory" });
  } catch (err) {
    if (err instanceof OciRegistryError) return facts;
    throw err;
  }
  if (content.subject && DIGEST_RE.test(content.subject.digest)) {
    facts.subject = content.subject.digest;
  }
  if (content.kind === "index") {
    facts.children = [...new Set(content.manifests.map((d) => d.digest))];
    if (content.artifactType) facts.artifactType = content.artifactType;
    return facts;
  }
  // Shared layers count in every image that lists them: the bytes a deletion can free at most.
  facts.sizeBytes = [content.config, ...content.layers].reduce((n, d) => n + d.size, 0);
  const isImageConfig = IMAGE_CONFIG_TYPES.has(content.config.mediaType);
  const artifactType =
    content.artifactType ?? (isImageConfig ? undefined : content.config.mediaType);
  if (artifactType) facts.artifactType = artifactType;
  if (isImageConfig) facts.imageConfig = content.config;
  return facts;
}

/**
 * The subject a tag names: the referrers tag schema's `sha256-<hex>` index, or cosign's legacy
 * `sha256-<hex>.sig|.att|.sbom` manifests, which carry no `subject` field of their own.
 */
export function subjectOfTags(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    const m = SUBJECT_TAG_RE.exec(tag);
    if (m) return `sha256:${m[1]}`;
  }
  return undefined;
}

/** True for the referrers tag schema's index tag (`sha256-<hex>`, no suffix). */
export function isReferrersIndexTag(tag: string): boolean {
  const m = SUBJECT_TAG_RE.exec(tag);
  return m !== null && m[2] === undefined;
}
