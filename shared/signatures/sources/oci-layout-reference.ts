import { DIGEST_RE } from "../../domain/image.ts";

/** How a signed image in an OCI image layout directory is named. */
export const OCI_LAYOUT_PREFIX = "oci-layout:";

/**
 * An image in an OCI image layout on disk: by digest, by tag (the `org.opencontainers.image.ref.name`
 * annotation in index.json), or neither: the image `cosign save` wrote, as `cosign verify
 * --local-image DIR` picks it.
 */
export interface OciLayoutReference {
  path: string;
  digest?: string;
  tag?: string;
}

export type OciLayoutReferenceErrorCode =
  | "LAYOUT_REFERENCE_PREFIX"
  | "LAYOUT_REFERENCE_PATH"
  | "LAYOUT_REFERENCE_DIGEST"
  | "LAYOUT_REFERENCE_TAG";

/** The text is not an OCI layout reference: bad input (CLI exit 2), nothing was read. */
export class OciLayoutReferenceError extends Error {
  readonly code: OciLayoutReferenceErrorCode;

  constructor(code: OciLayoutReferenceErrorCode, message: string) {
    super(message);
    this.name = "OciLayoutReferenceError";
    this.code = code;
  }
}

/** The OCI distribution spec's tag grammar. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const FORMS = "oci-layout:DIR@sha256:<64 hex>, oci-layout:DIR:TAG or oci-layout:DIR";

/**
 * Parses `oci-layout:DIR@sha256:<hex>`, `oci-layout:DIR:TAG` or `oci-layout:DIR`. The digest or
 * tag is split off at the last `@` or `:`, so DIR may itself hold colons (`./a:b/app`) as long as
 * what follows the last one is not a tag; a directory whose name ends in `:word` is written
 * with a trailing slash (`oci-layout:./odd:name/`).
 */
export function parseOciLayoutReference(text: string): OciLayoutReference {
  if (!text.startsWith(OCI_LAYOUT_PREFIX)) {
    throw new OciLayoutReferenceError(
      "LAYOUT_REFERENCE_PREFIX",
      `${text}: an OCI layout reference starts with ${OCI_LAYOUT_PREFIX} (${FORMS})`,
    );
  }
  const rest = text.slice(OCI_LAYOUT_PREFIX.length);
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const digest = rest.slice(at + 1);
    if (!DIGEST_RE.test(digest)) {
      throw new OciLayoutReferenceError(
        "LAYOUT_REFERENCE_DIGEST",
        `${text}: bad digest "${digest}"; expected sha256: followed by 64 lowercase hex characters`,
      );
    }
    return { path: checkPath(rest.slice(0, at), text), digest };
  }
  const colon = rest.lastIndexOf(":");
  const tail = colon >= 0 ? rest.slice(colon + 1) : undefined;
  // `./a:b/c`, `C:\dir`: a colon inside the path, not a tag.
  if (tail === undefined || /[/\\]/.test(tail)) {
    return { path: checkPath(rest, text) };
  }
  if (!TAG_RE.test(tail)) {
    throw new OciLayoutReferenceError(
      "LAYOUT_REFERENCE_TAG",
      `${text}: "${tail}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -); name the image by digest with @sha256:…`,
    );
  }
  return { path: checkPath(rest.slice(0, colon), text), tag: tail };
}

function checkPath(path: string, text: string): string {
  if (path === "" || path.includes("\0")) {
    throw new OciLayoutReferenceError(
      "LAYOUT_REFERENCE_PATH",
      `${text}: no layout directory named; write ${FORMS}`,
    );
  }
  return path;
}
