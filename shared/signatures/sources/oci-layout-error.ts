export type OciLayoutErrorCode =
  /** No directory at the path given. */
  | "OCI_LAYOUT_NOT_FOUND"
  /** A directory, but not an OCI image layout: no `oci-layout` file, a malformed index.json … */
  | "OCI_LAYOUT_INVALID"
  /** The layout holds no image by that digest or tag (or none marked, when neither is given). */
  | "OCI_LAYOUT_IMAGE_NOT_FOUND"
  /** The tag names several different images in index.json. */
  | "OCI_LAYOUT_AMBIGUOUS_TAG"
  /** index.json lists more manifests than are looked through. */
  | "OCI_LAYOUT_TOO_LARGE";

/** An OCI image layout directory that cannot be read as asked; names the directory and the fix. */
export class OciLayoutError extends Error {
  readonly code: OciLayoutErrorCode;
  readonly path: string;

  constructor(code: OciLayoutErrorCode, path: string, detail: string) {
    super(`OCI layout ${path}: ${detail}`);
    this.name = "OciLayoutError";
    this.code = code;
    this.path = path;
  }
}
