import { createHash } from "node:crypto";
import { repositoryScope } from "./oci-auth.ts";
import { header, type OciClient } from "./oci-client.ts";
import { DigestMismatchError, OciRegistryError, unexpectedStatus } from "./oci-errors.ts";
import { MANIFEST_ACCEPT, manifestMediaType } from "./oci-manifest-content.ts";

/** The distribution registry's own limit on manifest size; anything bigger is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A manifest exactly as the registry served it, with the digest computed from those bytes. */
export interface Manifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of `bytes`: never the registry's Docker-Content-Digest header. */
  digest: string;
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function isDigest(reference: string): boolean {
  return reference.includes(":");
}

/**
 * GET a manifest by digest or tag; null when the registry has no such manifest (or repository).
 * Fetched by digest, the bytes must hash to it, else DigestMismatchError: never act on them.
 */
export async function getManifest(
  client: OciClient,
  repository: string,
  reference: string,
): Promise<Manifest | null> {
  const res = await client.send({
    operation: "GetManifest",
    target: { repository, reference },
    method: "GET",
    path: `/v2/${repository}/manifests/${reference}`,
    scopes: [repositoryScope(repository, "pull")],
    headers: { accept: MANIFEST_ACCEPT },
    maxBodyBytes: MAX_MANIFEST_BYTES,
  });
  if (res.status === 404) return null;
  if (res.status !== 200) {
    throw unexpectedStatus("GetManifest", client.target({ repository, reference }), res);
  }
  const digest = sha256Digest(res.body);
  if (isDigest(reference) && reference.startsWith("sha256:") && digest !== reference) {
    throw new DigestMismatchError({ repository, digest: reference }, digest);
  }
  return {
    bytes: res.body,
    mediaType: manifestMediaType(res.body, header(res.headers["content-type"])),
    digest,
  };
}

/**
 * The digest a tag points at, from HEAD's Docker-Content-Digest (no body transferred, and HEAD
 * does not count against pull rate limits); a GET and a hash when the registry omits the header.
 * Used to list an image's tags, which are informational: bytes acted on are always hashed.
 */
export async function tagDigest(
  client: OciClient,
  repository: string,
  tag: string,
): Promise<string | null> {
  const res = await client.send({
    operation: "HeadManifest",
    target: { repository, reference: tag },
    method: "HEAD",
    path: `/v2/${repository}/manifests/${tag}`,
    scopes: [repositoryScope(repository, "pull")],
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (res.status === 404) return null;
  if (res.status !== 200) {
    throw unexpectedStatus("HeadManifest", client.target({ repository, reference: tag }), res);
  }
  const digest = header(res.headers["docker-content-digest"]);
  if (digest) return digest;
  return (await getManifest(client, repository, tag))?.digest ?? null;
}

/** PUT a manifest under a digest or tag. The registry must keep the bytes as sent. */
export async function putManifest(
  client: OciClient,
  repository: string,
  reference: string,
  manifest: Manifest,
): Promise<void> {
  const target = client.target({ repository, reference });
  const res = await client.send({
    operation: "PutManifest",
    target: { repository, reference },
    method: "PUT",
    path: `/v2/${repository}/manifests/${reference}`,
    scopes: [repositoryScope(repository, "pull", "push")],
    headers: { "content-type": manifest.mediaType },
    body: manifest.bytes,
  });
  if (res.status === 404) {
    throw new OciRegistryError(
      "OCI_IMAGE_NOT_FOUND",
      "PutManifest",
      target,
      `HTTP 404: the manifest references blobs or manifests missing in ${repository}`,
      { status: 404 },
    );
  }
  if (res.status !== 201 && res.status !== 200) {
    throw unexpectedStatus("PutManifest", target, res);
  }
  const stored = header(res.headers["docker-content-digest"]);
  if (stored && stored !== manifest.digest) {
    throw new OciRegistryError(
      "OCI_INVALID_RESPONSE",
      "PutManifest",
      target,
      `the registry stored the manifest as ${stored}, not ${manifest.digest}: it rewrote the bytes`,
    );
  }
}

/**
 * DELETE a manifest by digest (the distribution API deletes by digest only, and every tag
 * pointing at it goes with it). False when it was already gone.
 */
export async function deleteManifest(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<boolean> {
  const target = client.target({ repository, reference: digest });
  const res = await client.send({
    operation: "DeleteManifest",
    target: { repository, reference: digest },
    method: "DELETE",
    path: `/v2/${repository}/manifests/${digest}`,
    scopes: [repositoryScope(repository, "delete")],
  });
  if (res.status === 202 || res.status === 200 || res.status === 204) return true;
  if (res.status === 404) return false;
  if (res.status === 405) {
    throw new OciRegistryError(
      "OCI_DELETE_UNSUPPORTED",
      "DeleteManifest",
      target,
      "HTTP 405: the registry does not allow deletes (distribution: set storage.delete.enabled: true; Harbor/GHCR: give the user delete permission)",
      { status: 405 },
    );
  }
  throw unexpectedStatus("DeleteManifest", target, res);
}
