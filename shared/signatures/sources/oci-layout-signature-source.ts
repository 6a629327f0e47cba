import { MAX_MANIFEST_BYTES } from "../../adapters/oci/oci-manifest.ts";
import { mapLimit } from "../../concurrency/map-limit.ts";
import { readNotationManifests } from "../notation/read-notation-manifest.ts";
import { sha256Digest } from "../sha256-digest.ts";
import type { SignatureLimits } from "../signature-limits.ts";
import { openOciLayout } from "./oci-layout-dir.ts";
import { OciLayoutError } from "./oci-layout-error.ts";
import { layoutImageDigest } from "./oci-layout-image.ts";
import type { OciLayoutReference } from "./oci-layout-reference.ts";
import { layoutSignatureReferrers } from "./oci-layout-signatures.ts";
import { readSignatureManifests } from "./read-signature-manifests.ts";
import { SignatureBlobError } from "./signature-blob-error.ts";
import type { SignatureSourceReader, SignedImageSignatures } from "./signature-source-reader.ts";

/**
 * Signatures of an image in an OCI image layout directory, read offline like `cosign verify
 * --local-image`: the layout `cosign save` writes, or one written by ORAS or skopeo that keeps
 * `.sig` tags and referrers (cosign's and Notation's). Every blob is read within its bound and must hash to its digest.
 */
export class OciLayoutSignatureSource implements SignatureSourceReader<OciLayoutReference> {
  private readonly limits: Partial<SignatureLimits> | undefined;

  constructor(opts: { limits?: Partial<SignatureLimits> } = {}) {
    this.limits = opts.limits;
  }

  async read(ref: OciLayoutReference): Promise<SignedImageSignatures> {
    const layout = await openOciLayout(ref.path);
    const digest = layoutImageDigest(layout, ref);
    const manifest = await layout.readBlob(digest, MAX_MANIFEST_BYTES).catch((err: unknown) => {
      if (err instanceof SignatureBlobError && err.code === "BLOB_MISSING") {
        throw new OciLayoutError(
          "OCI_LAYOUT_IMAGE_NOT_FOUND",
          layout.path,
          `no blob ${digest} under blobs/sha256; list the layout's images in its index.json`,
        );
      }
      throw err;
    });
    if (!isManifest(manifest)) {
      throw new OciLayoutError(
        "OCI_LAYOUT_IMAGE_NOT_FOUND",
        layout.path,
        `${digest} is a blob, not an image manifest or index`,
      );
    }
    const { leads, notation } = await layoutSignatureReferrers(layout, digest);
    const candidates = await readSignatureManifests({
      leads,
      load: (read) =>
        mapLimit(read, 4, async (l) => l.bytes ?? layout.readBlob(l.digest, MAX_MANIFEST_BYTES)),
      fetchBlob: layout.readBlob,
      ...(this.limits ? { limits: this.limits } : {}),
    });
    const bytesOf = new Map(notation.map((n) => [n.digest, n.bytes]));
    const notationCandidates = await readNotationManifests({
      digests: notation.map((n) => n.digest),
      load: (digests) =>
        mapLimit(
          digests,
          4,
          async (d) => bytesOf.get(d) ?? (await layout.readBlob(d, MAX_MANIFEST_BYTES)),
        ),
      fetchBlob: layout.readBlob,
      ...(this.limits ? { limits: this.limits } : {}),
    });
    return {
      imageDigest: sha256Digest(manifest),
      imageManifest: manifest,
      candidates,
      ...(notationCandidates.length > 0 ? { notationCandidates } : {}),
    };
  }
}

/** An image manifest or index: JSON with schemaVersion 2 and layers or manifests. */
function isManifest(bytes: Buffer): boolean {
  try {
    const m = JSON.parse(bytes.toString("utf8")) as Record<string, unknown> | null;
    return m?.schemaVersion === 2 && (Array.isArray(m.layers) || Array.isArray(m.manifests));
  } catch {
    return false;
  }
}
