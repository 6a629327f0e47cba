import { repositoryScope } from "./oci-auth.ts";
import type { OciClient } from "./oci-client.ts";
import { OciRegistryError, unexpectedStatus } from "./oci-errors.ts";
import { getManifest, MAX_MANIFEST_BYTES } from "./oci-manifest.ts";
import { type Descriptor, OCI_INDEX, parseManifestContent } from "./oci-manifest-content.ts";

export interface ReferrerList {
  descriptors: Descriptor[];
  /** Where the list came from: the registry's referrers API, or the tag-schema fallback. */
  via: "referrers-api" | "tag-schema";
}

/**
 * The tag the OCI distribution spec's referrers tag schema uses for a digest: `<alg>-<ref>`,
 * the algorithm cut to 32 characters and the encoded part to 64 (`sha256:ab…` → `sha256-ab…`).
 */
export function referrersTag(digest: string): string {
  const [alg = "", ref = ""] = digest.split(":");
  return `${alg.slice(0, 32)}-${ref.slice(0, 64)}`;
}

/**
 * The manifests that name `digest` as their subject. The referrers API
 * (`GET /v2/<name>/referrers/<digest>`) first; a 404 means the registry has none (distribution
 * 2.8, older Harbor), and clients then keep the list themselves as an image index tagged
 * `referrersTag(digest)`. No such tag: nothing refers to the image.
 */
export async function listReferrers(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<ReferrerList> {
  const target = { repository, reference: digest };
  const res = await client.send({
    operation: "ListReferrers",
    target,
    method: "GET",
    path: `/v2/${repository}/referrers/${digest}`,
    scopes: [repositoryScope(repository, "pull")],
    headers: { accept: OCI_INDEX },
    maxBodyBytes: MAX_MANIFEST_BYTES,
  });
  if (res.status === 200) {
    const where = { ...client.target(target), operation: "ListReferrers" };
    const index = parseManifestContent(res.body, OCI_INDEX, where);
    if (index.kind !== "index") throw new Error("unreachable: an index parsed as an image");
    return { descriptors: index.manifests, via: "referrers-api" };
  }
  if (res.status !== 404) throw unexpectedStatus("ListReferrers", client.target(target), res);

  const tag = referrersTag(digest);
  const fallback = await getManifest(client, repository, tag);
  if (!fallback) return { descriptors: [], via: "tag-schema" };
  const where = { ...client.target({ repository, reference: tag }), operation: "ListReferrers" };
  const content = parseManifestContent(fallback.bytes, fallback.mediaType, where);
  if (content.kind !== "index") {
    throw new OciRegistryError(
      "OCI_INVALID_RESPONSE",
      "ListReferrers",
      client.target({ repository, reference: tag }),
      `the referrers tag ${tag} holds a ${content.mediaType}, not an image index`,
    );
  }
  return { descriptors: content.manifests, via: "tag-schema" };
}
