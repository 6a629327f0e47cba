import type { LayoutDescriptor, OciLayoutDir } from "./oci-layout-dir.ts";
import { OciLayoutError } from "./oci-layout-error.ts";
import type { OciLayoutReference } from "./oci-layout-reference.ts";

/** The annotation image-spec's layout uses for a manifest's tag. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** `cosign save` marks what it wrote with this annotation (sigstore/cosign pkg/oci/layout). */
export const COSIGN_KIND_ANNOTATION = "kind";
export const COSIGN_KIND_IMAGE = "dev.cosignproject.cosign/image";
export const COSIGN_KIND_IMAGE_INDEX = "dev.cosignproject.cosign/imageIndex";
export const COSIGN_KIND_SIGNATURES = "dev.cosignproject.cosign/sigs";

/** The digest `cosign save` wrote as the signed image (or index), if it wrote one. */
export function cosignSavedImage(manifests: readonly LayoutDescriptor[]): string | undefined {
  const kind = (d: LayoutDescriptor) => d.annotations?.[COSIGN_KIND_ANNOTATION];
  return manifests.find((d) => kind(d) === COSIGN_KIND_IMAGE || kind(d) === COSIGN_KIND_IMAGE_INDEX)
    ?.digest;
}

/**
 * The digest of the image the reference names in the layout: the digest given; the one manifest
 * index.json tags with the tag; or, with neither, the image `cosign save` marked (else the
 * layout's only manifest), as `cosign verify --local-image DIR` picks it.
 */
export function layoutImageDigest(layout: OciLayoutDir, ref: OciLayoutReference): string {
  if (ref.digest !== undefined) return ref.digest;
  const fail = (code: OciLayoutError["code"], detail: string) =>
    new OciLayoutError(code, layout.path, detail);
  if (ref.tag !== undefined) {
    const digests = new Set(
      layout.manifests
        .filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === ref.tag)
        .map((d) => d.digest),
    );
    const [only, ...others] = digests;
    if (only !== undefined && others.length === 0) return only;
    if (only === undefined) {
      const tags = layout.manifests.flatMap((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? []);
      throw fail(
        "OCI_LAYOUT_IMAGE_NOT_FOUND",
        `no manifest tagged ${ref.tag} in index.json (tags there: ${tags.slice(0, 10).join(", ") || "none"})`,
      );
    }
    throw fail(
      "OCI_LAYOUT_AMBIGUOUS_TAG",
      `the tag ${ref.tag} names ${digests.size} different manifests in index.json; name the image by digest with @sha256:…`,
    );
  }
  const saved = cosignSavedImage(layout.manifests);
  if (saved !== undefined) return saved;
  const [only, ...others] = layout.manifests;
  if (only !== undefined && others.length === 0) return only.digest;
  throw fail(
    "OCI_LAYOUT_IMAGE_NOT_FOUND",
    `index.json lists ${layout.manifests.length} manifests and none marked as cosign's saved image; name one with @sha256:… or :TAG`,
  );
}
