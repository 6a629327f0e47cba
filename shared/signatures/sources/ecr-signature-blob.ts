import { type ECRClient, GetDownloadUrlForLayerCommand } from "@aws-sdk/client-ecr";
import { ecrRequestFailed, isAwsError } from "../../adapters/ecr/ecr-errors.ts";
import type { FetchBlob } from "../fetch-blob.ts";
import {
  type BlobWhere,
  checkBlobDigest,
  checkDeclaredSize,
  readBounded,
  verifiedBlob,
} from "./bounded-blob.ts";
import { type EcrImageTarget, named } from "./ecr-manifests.ts";
import { SignatureBlobError } from "./signature-blob-error.ts";

/** An HTTPS GET; `fetch` by default, injected in tests. */
export type Download = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface EcrBlobOptions {
  download?: Download;
  /** Milliseconds the whole download may take. Default 30 s. */
  timeoutMs?: number;
}

/**
 * FetchBlob over ECR: GetDownloadUrlForLayer hands out a presigned storage URL, fetched with an
 * HTTPS GET. A Content-Length over the bound is refused before the body is read, a body that runs
 * past it is cut off, and the bytes must hash to the digest. The URL carries a signature, so it
 * never appears in an error message.
 */
export function ecrSignatureBlobs(
  client: ECRClient,
  image: EcrImageTarget,
  opts: EcrBlobOptions = {},
): FetchBlob {
  const where = `ECR repository ${image.repository} (registry ${named(image).registryId})`;
  const download: Download = opts.download ?? ((url, init) => fetch(url, init));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return async (digest, maxBytes) => {
    const at: BlobWhere = { digest, where };
    checkBlobDigest(at);
    const url = await downloadUrl(client, image, at);
    const unavailable = (detail: string) =>
      new SignatureBlobError("BLOB_UNAVAILABLE", digest, where, detail);
    let res: Response;
    try {
      res = await download(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw unavailable(`the download from ECR's storage failed (${errorName(err)})`);
    }
    const body = res.body;
    if (!res.ok || !body) {
      await body?.cancel().catch(() => {});
      throw unavailable(`ECR's storage answered HTTP ${res.status} to the download`);
    }
    const length = res.headers.get("content-length");
    try {
      checkDeclaredSize(at, length === null ? undefined : Number(length), maxBytes);
    } catch (err) {
      await body.cancel().catch(() => {});
      throw err;
    }
    let bytes: Buffer;
    try {
      bytes = await readBounded(body, at, maxBytes);
    } catch (err) {
      if (err instanceof SignatureBlobError) throw err;
      throw unavailable(`the download from ECR's storage broke off (${errorName(err)})`);
    }
    return verifiedBlob(bytes, at);
  };
}

async function downloadUrl(client: ECRClient, image: EcrImageTarget, at: BlobWhere) {
  let url: string | undefined;
  try {
    const out = await client.send(
      new GetDownloadUrlForLayerCommand({
        ...(image.registryId !== undefined ? { registryId: image.registryId } : {}),
        repositoryName: image.repository,
        layerDigest: at.digest,
      }),
    );
    url = out.downloadUrl;
  } catch (err) {
    if (isAwsError(err, "LayersNotFoundException")) {
      throw new SignatureBlobError("BLOB_MISSING", at.digest, at.where, "ECR has no such layer");
    }
    throw ecrRequestFailed("GetDownloadUrlForLayer", { ...named(image), digest: at.digest }, err);
  }
  if (!url?.startsWith("https://")) {
    throw new SignatureBlobError(
      "BLOB_UNAVAILABLE",
      at.digest,
      at.where,
      "GetDownloadUrlForLayer returned no HTTPS download URL",
    );
  }
  return url;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "error";
}
