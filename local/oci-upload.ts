import { createHash } from "node:crypto";
import { repositoryScope } from "../shared/adapters/oci/oci-auth.ts";
import { header, type OciClient } from "../shared/adapters/oci/oci-client.ts";
import { unexpectedStatus } from "../shared/adapters/oci/oci-errors.ts";
import { putManifest } from "../shared/adapters/oci/oci-manifest.ts";

/** An OCI descriptor of pushed content. */
export interface PushedBlob {
  mediaType: string;
  digest: string;
  size: number;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Uploads a blob in one request (POST a session, PUT the bytes with `?digest=`), unless the
 * repository has it already. The registry checks the digest on completion.
 */
export async function uploadBlob(
  client: OciClient,
  repository: string,
  bytes: Buffer,
  mediaType: string,
): Promise<PushedBlob> {
  const digest = sha256(bytes);
  const blob = { mediaType, digest, size: bytes.length };
  const scopes = [repositoryScope(repository, "pull", "push")];
  const target = { repository, reference: digest };
  const head = await client.send({
    operation: "HeadBlob",
    target,
    method: "HEAD",
    path: `/v2/${repository}/blobs/${digest}`,
    scopes,
  });
  if (head.status === 200) return blob;
  const start = await client.send({
    operation: "StartUpload",
    target,
    method: "POST",
    path: `/v2/${repository}/blobs/uploads/`,
    scopes,
  });
  const location = header(start.headers.location);
  if (start.status !== 202 || !location) {
    throw unexpectedStatus("StartUpload", client.target(target), start);
  }
  const url = new URL(location, client.baseUrl);
  url.searchParams.set("digest", digest);
  const put = await client.send({
    operation: "CompleteUpload",
    target,
    method: "PUT",
    path: url.href,
    scopes,
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  if (put.status !== 201) throw unexpectedStatus("CompleteUpload", client.target(target), put);
  return blob;
}

/** PUTs manifest bytes under a digest or tag; returns their digest. */
export async function uploadManifest(
  client: OciClient,
  repository: string,
  reference: string | "by-digest",
  bytes: Buffer,
  mediaType: string,
): Promise<PushedBlob> {
  const digest = sha256(bytes);
  const ref = reference === "by-digest" ? digest : reference;
  await putManifest(client, repository, ref, { bytes, mediaType, digest });
  return { mediaType, digest, size: bytes.length };
}
