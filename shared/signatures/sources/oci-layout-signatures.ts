import { MAX_MANIFEST_BYTES } from "../../adapters/oci/oci-manifest.ts";
import { OCI_INDEX, OCI_MANIFEST } from "../../adapters/oci/oci-manifest-content.ts";
import { referrersTag } from "../../adapters/oci/oci-referrers.ts";
import { mapLimit } from "../../concurrency/map-limit.ts";
import { DIGEST_RE } from "../../domain/image.ts";
import {
  isSignatureArtifactType,
  signatureDigests,
  signatureTag,
} from "./cosign-signature-locations.ts";
import type { LayoutDescriptor, OciLayoutDir } from "./oci-layout-dir.ts";
import {
  COSIGN_KIND_ANNOTATION,
  COSIGN_KIND_SIGNATURES,
  cosignSavedImage,
  REF_NAME_ANNOTATION,
} from "./oci-layout-image.ts";
import type { SignatureManifestLead } from "./read-signature-manifests.ts";

/** A signature manifest in the layout, with its bytes when finding it meant reading them. */
export type LayoutSignatureLead = SignatureManifestLead & { digest: string; bytes?: Buffer };

const READ_CONCURRENCY = 8;

/**
 * Where an image's signatures are in an OCI layout, `.sig` manifests first:
 * - the manifest `cosign save` marked `kind: dev.cosignproject.cosign/sigs`, when the image is the
 *   one it saved with them;
 * - a manifest tagged `sha256-<hex>.sig` (a registry's `.sig` tag copied with its name);
 * - referrers: manifests in index.json whose `subject` is the image and whose artifact type is a
 *   signature's (as ORAS's layout store keeps them), and those listed by a `sha256-<hex>`
 *   tag-schema index.
 */
export async function layoutSignatureLeads(
  layout: OciLayoutDir,
  imageDigest: string,
): Promise<LayoutSignatureLead[]> {
  const leads = new Map<string, LayoutSignatureLead>();
  const add = (lead: LayoutSignatureLead) => {
    if (lead.digest !== imageDigest && !leads.has(lead.digest)) leads.set(lead.digest, lead);
  };
  const usable = layout.manifests.filter((d) => DIGEST_RE.test(d.digest));
  const saved = cosignSavedImage(layout.manifests) === imageDigest;
  const sigTag = signatureTag(imageDigest);
  for (const d of usable) {
    const tag = d.annotations?.[REF_NAME_ANNOTATION];
    if (tag === sigTag) add({ kind: "legacy-tag", digest: d.digest, tag });
    else if (saved && d.annotations?.[COSIGN_KIND_ANNOTATION] === COSIGN_KIND_SIGNATURES) {
      add({ kind: "legacy-tag", digest: d.digest });
    }
  }

  // Only manifests that may be signature referrers are read, and only the matches are kept.
  const maybeReferrer = (d: LayoutDescriptor) =>
    d.mediaType === OCI_MANIFEST &&
    d.digest !== imageDigest &&
    !leads.has(d.digest) &&
    d.size <= MAX_MANIFEST_BYTES &&
    (d.artifactType === undefined || isSignatureArtifactType(d.artifactType));
  const scanned = await mapLimit(usable.filter(maybeReferrer), READ_CONCURRENCY, async (d) => {
    const bytes = await layout.readBlob(d.digest, MAX_MANIFEST_BYTES);
    return refersAsSignature(bytes, imageDigest) ? { digest: d.digest, bytes } : null;
  });
  for (const found of scanned) if (found) add({ kind: "referrer", ...found });

  const tagSchema = usable.find(
    (d) =>
      d.mediaType === OCI_INDEX &&
      d.annotations?.[REF_NAME_ANNOTATION] === referrersTag(imageDigest),
  );
  if (tagSchema) {
    const index = parse(await layout.readBlob(tagSchema.digest, MAX_MANIFEST_BYTES));
    const listed: unknown[] = Array.isArray(index?.manifests) ? index.manifests : [];
    for (const digest of signatureDigests(listed.map(descriptorFields))) {
      add({ kind: "referrer", digest });
    }
  }
  return [...leads.values()];
}

/** A manifest whose subject is the image and whose artifact type is a signature's. */
function refersAsSignature(bytes: Buffer, imageDigest: string): boolean {
  const m = parse(bytes);
  const subject = m?.subject as { digest?: unknown } | undefined;
  const config = m?.config as { mediaType?: unknown } | undefined;
  const type = m?.artifactType ?? config?.mediaType;
  return (
    subject?.digest === imageDigest &&
    isSignatureArtifactType(typeof type === "string" ? type : undefined)
  );
}

function descriptorFields(d: unknown): { digest?: string; artifactType?: string } {
  const o = (d ?? {}) as { digest?: unknown; artifactType?: unknown };
  return {
    ...(typeof o.digest === "string" ? { digest: o.digest } : {}),
    ...(typeof o.artifactType === "string" ? { artifactType: o.artifactType } : {}),
  };
}

function parse(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(bytes.toString("utf8"));
    return json !== null && typeof json === "object"
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
