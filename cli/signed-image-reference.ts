import {
  OCI_LAYOUT_PREFIX,
  type OciLayoutReference,
  parseOciLayoutReference,
} from "../shared/signatures/sources/oci-layout-reference.ts";
import { CliUsageError } from "./cli-error.ts";
import { type ImageTarget, parseImageReference } from "./image-reference.ts";
import { parseOciImageReference } from "./oci-image-reference.ts";

/** A registry image named by digest, or by a tag the verification resolves to a digest first. */
export type RegistryImageTarget = Omit<ImageTarget, "digest"> &
  ({ digest: string; tag?: undefined } | { tag: string; digest?: undefined });

/** Which source reads the image's signatures, and the image as that source takes it. */
export type SignedImageReference =
  | { source: "oci-layout"; layout: OciLayoutReference }
  /** `image.registry` picks the ECR or the OCI reader. */
  | { source: "registry"; image: RegistryImageTarget };

export interface SignedImageReferenceOptions {
  /** The OCI registry given with --registry: references are then that registry's images. */
  registry?: { host: string; url: string };
  /** ECR: --registry-id and --region, checked against what the reference says. */
  registryId?: string;
  region?: string;
}

/** The OCI distribution spec's tag grammar. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/**
 * Stands in for the digest while a tagged reference goes through the by-digest parsers, so the
 * repository, registry and key rules are the other commands' own; never shown (see byTag).
 */
const NO_DIGEST = `sha256:${"0".repeat(64)}`;

/**
 * Parses what `registry-guard verify IMAGE` is given: `oci-layout:DIR@sha256:…`, `oci-layout:DIR:TAG`
 * or `oci-layout:DIR` (a directory on disk); with --registry, an image of that OCI registry
 * (`REPO@sha256:…`, `host/REPO@sha256:…`, `oci:host/REPO@sha256:…`, or `:TAG` in place of the
 * digest); otherwise an ECR image (URI, image key, or `REPO@sha256:…`, or `REPO:TAG`) or an OCI
 * image key. The CLI's reference parsers are reused, not copied: a signed image is named exactly
 * as every other command names an image. Throws OciLayoutReferenceError or CliUsageError, both
 * bad input (exit 2). Pure.
 */
export function parseSignedImageReference(
  text: string,
  opts: SignedImageReferenceOptions = {},
): SignedImageReference {
  if (text.startsWith(OCI_LAYOUT_PREFIX)) {
    return { source: "oci-layout", layout: parseOciLayoutReference(text) };
  }
  const parse = (reference: string): ImageTarget =>
    opts.registry
      ? parseOciImageReference(reference, opts.registry)
      : parseImageReference(reference, {
          ...(opts.registryId !== undefined ? { registryId: opts.registryId } : {}),
          ...(opts.region !== undefined ? { region: opts.region } : {}),
        });
  if (text.includes("@")) return { source: "registry", image: parse(text) };
  return { source: "registry", image: byTag(text, parse) };
}

/** `NAME:TAG`: the name checked by the digest parsers, the tag by the distribution grammar. */
function byTag(text: string, parse: (reference: string) => ImageTarget): RegistryImageTarget {
  const colon = text.lastIndexOf(":");
  // A colon before the last slash belongs to a host (`localhost:5000/app`) or a key (`ecr:…/app`).
  if (colon < 0 || colon < text.lastIndexOf("/")) {
    throw new CliUsageError(
      "CLI_REFERENCE",
      `image ${text}: name the image by digest (REPOSITORY@sha256:<64 hex>) or by tag (REPOSITORY:TAG)`,
    );
  }
  const name = text.slice(0, colon);
  const tag = text.slice(colon + 1);
  if (!TAG_RE.test(tag)) {
    throw new CliUsageError(
      "CLI_REFERENCE",
      `image ${text}: "${tag}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
    );
  }
  let target: ImageTarget;
  try {
    target = parse(`${name}@${NO_DIGEST}`);
  } catch (err) {
    if (err instanceof CliUsageError) {
      throw new CliUsageError(err.code, err.message.replaceAll(`${name}@${NO_DIGEST}`, text));
    }
    throw err;
  }
  const { digest: _placeholder, ...named } = target;
  return { ...named, tag };
}
