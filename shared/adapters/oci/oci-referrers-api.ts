import { repositoryScope } from "./oci-auth.ts";
import { nextPage } from "./oci-catalog.ts";
import { header, type OciClient } from "./oci-client.ts";
import { OciRegistryError, unexpectedStatus } from "./oci-errors.ts";
import { MAX_MANIFEST_BYTES } from "./oci-manifest.ts";
import { type Descriptor, OCI_INDEX, parseManifestContent } from "./oci-manifest-content.ts";

/** Pages of one referrers list followed at most (a registry stuck in a loop). */
const MAX_PAGES = 100;

/**
 * Every referrer of `digest` from the referrers API (`GET /v2/<name>/referrers/<digest>`), all
 * `Link: rel="next"` pages followed; null when the registry has no such API. The distribution
 * spec forbids a 404 from a registry that implements it, so a 404 means "no API" (distribution
 * 2.8, older Harbor), and the caller falls back to the `sha256-<hex>` tag schema.
 */
export async function referrersFromApi(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<Descriptor[] | null> {
  const target = { repository, reference: digest };
  const where = { ...client.target(target), operation: "ListReferrers" };
  const invalid = (detail: string) =>
    new OciRegistryError("OCI_INVALID_RESPONSE", "ListReferrers", client.target(target), detail);
  const out: Descriptor[] = [];
  const seen = new Set<string>();
  let next: string | undefined = `/v2/${repository}/referrers/${digest}`;
  for (let page = 0; next !== undefined; page++) {
    if (page >= MAX_PAGES) throw invalid(`more than ${MAX_PAGES} pages of referrers`);
    if (seen.has(next)) throw invalid(`the Link header points back to ${next}: a pagination loop`);
    seen.add(next);
    const res = await client.send({
      operation: "ListReferrers",
      target,
      method: "GET",
      path: next,
      scopes: [repositoryScope(repository, "pull")],
      headers: { accept: OCI_INDEX },
      maxBodyBytes: MAX_MANIFEST_BYTES,
    });
    if (res.status === 404 && page === 0) return null;
    if (res.status !== 200) throw unexpectedStatus("ListReferrers", client.target(target), res);
    const index = parseManifestContent(res.body, OCI_INDEX, where);
    if (index.kind !== "index") throw invalid("the referrers list is not an image index");
    out.push(...index.manifests);
    next = nextPage(header(res.headers.link), client.baseUrl, invalid);
  }
  return out;
}
