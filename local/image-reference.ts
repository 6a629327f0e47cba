import { DIGEST_RE } from "../shared/domain/image.ts";

/** An image named as a pull would name it: `host[:port]/repository@sha256:…` or `…:tag`. */
export interface ImageReference {
  /** host[:port] as written. */
  host: string;
  repository: string;
  digest?: string;
  tag?: string;
}

export class ImageReferenceError extends Error {
  readonly code = "LOCAL_IMAGE_REFERENCE";
  constructor(reference: string, why: string) {
    super(
      `--image ${reference}: ${why}; expected HOST:PORT/REPOSITORY@sha256:<64 hex> (or :TAG), e.g. localhost:5000/prod/app@sha256:…`,
    );
    this.name = "ImageReferenceError";
  }
}

const REPOSITORY_RE =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST_RE = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

export function parseImageReference(reference: string): ImageReference {
  const slash = reference.indexOf("/");
  if (slash < 0) throw new ImageReferenceError(reference, "no registry host");
  const host = reference.slice(0, slash);
  if (!HOST_RE.test(host))
    throw new ImageReferenceError(reference, `"${host}" is not a host[:port]`);
  let rest = reference.slice(slash + 1);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      throw new ImageReferenceError(
        reference,
        `"${digest}" is not sha256: followed by 64 lowercase hex`,
      );
    }
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) throw new ImageReferenceError(reference, "no digest or tag");
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new ImageReferenceError(reference, `"${tag}" is not a tag`);
  }
  if (!REPOSITORY_RE.test(rest)) {
    throw new ImageReferenceError(reference, `"${rest}" is not an OCI repository name`);
  }
  return { host, repository: rest, ...(digest ? { digest } : {}), ...(tag ? { tag } : {}) };
}

/** Loopback registries speak plain HTTP (the local runtime's does); others HTTPS. */
export function registryUrlFor(host: string, insecure = false): string {
  const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  const loopback = name === "localhost" || name === "::1" || /^127\./.test(name);
  return `${loopback || insecure ? "http" : "https"}://${host}`;
}
