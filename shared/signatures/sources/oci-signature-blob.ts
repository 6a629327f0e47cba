import { repositoryScope } from "../../adapters/oci/oci-auth.ts";
import { header, type OciClient } from "../../adapters/oci/oci-client.ts";
import { unexpectedStatus } from "../../adapters/oci/oci-errors.ts";
import type { FetchBlob } from "../fetch-blob.ts";
import {
  type BlobWhere,
  checkBlobDigest,
  checkDeclaredSize,
  readBounded,
  verifiedBlob,
} from "./bounded-blob.ts";
import { SignatureBlobError } from "./signature-blob-error.ts";

/**
 * FetchBlob over an OCI registry's blob API (`GET /v2/<name>/blobs/<digest>`, following the
 * registry's redirect to storage). The body is streamed: a Content-Length over the bound is
 * refused before any of it is read, a body that runs past the bound is cut off, and the bytes
 * must hash to the digest.
 */
export function ociSignatureBlobs(client: OciClient, repository: string): FetchBlob {
  const where = `repository ${repository} (registry ${client.registryId})`;
  return async (digest, maxBytes) => {
    const at: BlobWhere = { digest, where };
    checkBlobDigest(at);
    const target = { repository, reference: digest };
    const res = await client.open({
      operation: "GetBlob",
      target,
      method: "GET",
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, "pull")],
    });
    if (!res.stream) {
      if (res.status === 404) {
        throw new SignatureBlobError("BLOB_MISSING", digest, where, "HTTP 404 from the registry");
      }
      throw unexpectedStatus("GetBlob", client.target(target), res);
    }
    try {
      const length = header(res.headers["content-length"]);
      checkDeclaredSize(at, length === undefined ? undefined : Number(length), maxBytes);
      return verifiedBlob(await readBounded(res.stream, at, maxBytes), at);
    } finally {
      res.stream.destroy();
    }
  };
}
