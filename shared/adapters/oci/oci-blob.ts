import { repositoryScope } from "./oci-auth.ts";
import type { OciClient } from "./oci-client.ts";
import { OciRegistryError, unexpectedStatus } from "./oci-errors.ts";
import { sha256Digest } from "./oci-manifest.ts";
import type { Descriptor } from "./oci-manifest-content.ts";

/**
 * A small blob (a report, an attestation) read whole; null when it is missing. Its bytes must
 * hash to the descriptor's digest: a registry serving other bytes is refused, not believed.
 */
export async function readBlob(
  client: OciClient,
  repository: string,
  blob: Descriptor,
  maxBytes: number,
): Promise<Buffer | null> {
  const target = { repository, reference: blob.digest };
  if (!blob.digest.startsWith("sha256:")) {
    throw new OciRegistryError(
      "OCI_INVALID_RESPONSE",
      "GetBlob",
      client.target(target),
      "only sha256 blobs can be verified, and an unverified document is not read",
    );
  }
  if (blob.size > maxBytes) {
    throw new OciRegistryError(
      "OCI_INVALID_RESPONSE",
      "GetBlob",
      client.target(target),
      `the blob is ${blob.size} bytes, over the ${maxBytes}-byte limit for documents`,
    );
  }
  const res = await client.send({
    operation: "GetBlob",
    target,
    method: "GET",
    path: `/v2/${repository}/blobs/${blob.digest}`,
    scopes: [repositoryScope(repository, "pull")],
    maxBodyBytes: maxBytes,
  });
  if (res.status === 404) return null;
  if (res.status !== 200) throw unexpectedStatus("GetBlob", client.target(target), res);
  const computed = sha256Digest(res.body);
  if (computed !== blob.digest) {
    throw new OciRegistryError(
      "OCI_INVALID_RESPONSE",
      "GetBlob",
      client.target(target),
      `the blob's bytes hash to ${computed}: the registry served different content than the digest names`,
    );
  }
  return res.body;
}
