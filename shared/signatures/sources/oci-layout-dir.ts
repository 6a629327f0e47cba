import { stat } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { MAX_MANIFEST_BYTES } from "../../adapters/oci/oci-manifest.ts";
import {
  type BlobWhere,
  checkBlobDigest,
  checkDeclaredSize,
  verifiedBlob,
} from "./bounded-blob.ts";
import { readBoundedFile } from "./bounded-file.ts";
import { OciLayoutError } from "./oci-layout-error.ts";
import { SignatureBlobError } from "./signature-blob-error.ts";

/** index.json entries looked through at most: each may be read to find referrers. */
export const MAX_LAYOUT_MANIFESTS = 1000;
const MAX_LAYOUT_FILE_BYTES = 4096;

const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type LayoutDescriptor = z.infer<typeof descriptorSchema>;

const indexSchema = z.object({
  schemaVersion: z.literal(2),
  manifests: z.array(descriptorSchema),
});
const layoutFileSchema = z.object({ imageLayoutVersion: z.string().startsWith("1.") });

/** An OCI image layout directory (image-spec image-layout.md), opened and its index.json read. */
export interface OciLayoutDir {
  path: string;
  /** index.json's `manifests`, in file order. */
  manifests: LayoutDescriptor[];
  /** `blobs/sha256/<hex>`, within the bound, hashing to the digest; throws SignatureBlobError. */
  readBlob: (digest: string, maxBytes: number) => Promise<Buffer>;
}

/** Checks the directory is an OCI image layout and reads its index.json. */
export async function openOciLayout(path: string): Promise<OciLayoutDir> {
  const fail = (code: OciLayoutError["code"], detail: string) =>
    new OciLayoutError(code, path, detail);
  const dir = await stat(path).catch(() => null);
  if (!dir?.isDirectory()) {
    throw fail("OCI_LAYOUT_NOT_FOUND", "no such directory; check the path after oci-layout:");
  }
  const marker = await readJson(join(path, "oci-layout"), MAX_LAYOUT_FILE_BYTES);
  if (marker === undefined || !layoutFileSchema.safeParse(marker).success) {
    throw fail(
      "OCI_LAYOUT_INVALID",
      'not an OCI image layout: no oci-layout file with {"imageLayoutVersion": "1.0.0"} (write one with `cosign save`, `oras copy --to-oci-layout` or `skopeo copy … oci:DIR`)',
    );
  }
  const index = indexSchema.safeParse(await readJson(join(path, "index.json"), MAX_MANIFEST_BYTES));
  if (!index.success) {
    const issue = index.error.issues[0];
    throw fail(
      "OCI_LAYOUT_INVALID",
      `index.json is missing, over ${MAX_MANIFEST_BYTES} bytes or not an image index (${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"})`,
    );
  }
  const { manifests } = index.data;
  if (manifests.length > MAX_LAYOUT_MANIFESTS) {
    throw fail(
      "OCI_LAYOUT_TOO_LARGE",
      `index.json lists ${manifests.length} manifests, more than the ${MAX_LAYOUT_MANIFESTS} looked through; save the image to a layout of its own`,
    );
  }
  return { path, manifests, readBlob: layoutBlobs(path) };
}

function layoutBlobs(path: string): OciLayoutDir["readBlob"] {
  const where = `OCI layout ${path}`;
  return async (digest, maxBytes) => {
    const at: BlobWhere = { digest, where };
    checkBlobDigest(at);
    const file = await readBoundedFile(
      join(path, "blobs", "sha256", digest.slice("sha256:".length)),
      maxBytes,
    );
    if (file.kind === "too-large") checkDeclaredSize(at, file.size, maxBytes);
    if (file.kind !== "read") {
      const missing = file.kind === "missing";
      throw new SignatureBlobError(
        missing ? "BLOB_MISSING" : "BLOB_UNAVAILABLE",
        digest,
        where,
        missing ? "no such file under blobs/sha256" : "not a regular file",
      );
    }
    return verifiedBlob(file.bytes, at);
  };
}

/** The file's JSON; undefined when it is missing, too big or not JSON. */
async function readJson(file: string, max: number): Promise<unknown> {
  const read = await readBoundedFile(file, max);
  if (read.kind !== "read") return undefined;
  try {
    return JSON.parse(read.bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}
