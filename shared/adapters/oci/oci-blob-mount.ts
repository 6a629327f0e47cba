import { repositoryScope } from "./oci-auth.ts";
import { header, type OciClient } from "./oci-client.ts";
import { OciRegistryError, unexpectedStatus } from "./oci-errors.ts";
import type { Descriptor } from "./oci-manifest-content.ts";

/** How a blob came to be in the target repository. */
export type BlobTransfer = "present" | "mounted" | "copied";

export interface BlobMove {
  /** Repository holding the blob. */
  from: string;
  /** Repository that must hold it. */
  to: string;
  blob: Descriptor;
}

/**
 * Makes `to` hold the blob: nothing when it already does, else a cross-repository mount
 * (`POST /v2/<to>/blobs/uploads/?mount=<digest>&from=<from>`, 201: no bytes move). A registry
 * that cannot mount (it answers 202 and opens an upload session instead) gets the blob streamed
 * from `from` into that session; the registry checks the digest when the upload completes.
 */
export async function ensureBlob(client: OciClient, m: BlobMove): Promise<BlobTransfer> {
  const { from, to, blob } = m;
  const target = { repository: to, reference: blob.digest };
  const scopes = [repositoryScope(to, "pull", "push"), repositoryScope(from, "pull")];

  const head = await client.send({
    operation: "HeadBlob",
    target,
    method: "HEAD",
    path: `/v2/${to}/blobs/${blob.digest}`,
    scopes,
  });
  if (head.status === 200) return "present";
  if (head.status !== 404) throw unexpectedStatus("HeadBlob", client.target(target), head);

  const query = new URLSearchParams({ mount: blob.digest, from });
  const mount = await client.send({
    operation: "MountBlob",
    target,
    method: "POST",
    path: `/v2/${to}/blobs/uploads/?${query}`,
    scopes,
  });
  if (mount.status === 201) return "mounted";
  const location = header(mount.headers.location);
  if (mount.status !== 202 || !location) {
    throw unexpectedStatus("MountBlob", client.target(target), mount);
  }
  try {
    await copyInto(client, m, location, scopes);
  } catch (err) {
    await cancelUpload(client, to, location, scopes);
    throw err;
  }
  return "copied";
}

async function copyInto(
  client: OciClient,
  { from, to, blob }: BlobMove,
  location: string,
  scopes: string[],
): Promise<void> {
  const source = await client.open({
    operation: "GetBlob",
    target: { repository: from, reference: blob.digest },
    method: "GET",
    path: `/v2/${from}/blobs/${blob.digest}`,
    scopes,
  });
  if (!source.stream) {
    if (source.status === 404) {
      throw new OciRegistryError(
        "OCI_IMAGE_NOT_FOUND",
        "GetBlob",
        client.target({ repository: from, reference: blob.digest }),
        `the blob is in neither ${from} nor ${to}`,
        { status: 404 },
      );
    }
    throw unexpectedStatus("GetBlob", client.target({ repository: from }), source);
  }
  const url = new URL(location, client.baseUrl);
  url.searchParams.set("digest", blob.digest);
  const put = await client
    .send({
      operation: "CopyBlob",
      target: { repository: to, reference: blob.digest },
      method: "PUT",
      path: url.href,
      scopes,
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(blob.size),
      },
      body: source.stream,
    })
    // A refused upload leaves the download half read: release its socket.
    .finally(() => source.stream.destroy());
  if (put.status !== 201) {
    throw unexpectedStatus(
      "CopyBlob",
      client.target({ repository: to, reference: blob.digest }),
      put,
    );
  }
}

/** Best effort: an abandoned upload session would otherwise linger until the registry purges it. */
async function cancelUpload(
  client: OciClient,
  to: string,
  location: string,
  scopes: string[],
): Promise<void> {
  try {
    await client.send({
      operation: "CancelUpload",
      target: { repository: to },
      method: "DELETE",
      path: new URL(location, client.baseUrl).href,
      scopes,
    });
  } catch {
    // The copy's own error is the one worth reporting.
  }
}
