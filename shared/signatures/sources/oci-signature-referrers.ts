import type { OciClient } from "../../adapters/oci/oci-client.ts";
import type { Descriptor } from "../../adapters/oci/oci-manifest-content.ts";
import { listReferrers } from "../../adapters/oci/oci-referrers.ts";
import { referrersFromApi } from "../../adapters/oci/oci-referrers-api.ts";
import { notationDigests } from "../notation/read-notation-manifest.ts";
import { signatureDigests } from "./cosign-signature-locations.ts";

/**
 * The digests of the image's referrers that can hold cosign signatures, in listing order: the
 * referrers API with every page followed, else (a registry without the API answers 404) the
 * `sha256-<hex>` tag-schema index. listReferrers asks the API once more before reading that tag;
 * one extra 404 on old registries buys not keeping a second copy of the fallback.
 */
export async function ociSignatureReferrers(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<string[]> {
  return (await ociSignatureReferrerDigests(client, repository, digest)).cosign;
}

/** One listing, split: cosign signature referrers and Notation signature referrers. */
export async function ociSignatureReferrerDigests(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<{ cosign: string[]; notation: string[] }> {
  const listed: Descriptor[] =
    (await referrersFromApi(client, repository, digest)) ??
    (await listReferrers(client, repository, digest)).descriptors;
  return { cosign: signatureDigests(listed), notation: notationDigests(listed) };
}
