import { MAX_MANIFEST_BYTES } from "../../adapters/oci/oci-manifest.ts";
import { OCI_INDEX, OCI_MANIFEST } from "../../adapters/oci/oci-manifest-content.ts";
import { referrersTag } from "../../adapters/oci/oci-referrers.ts";
import { mapLimit } from "../../concurrency/map-limit.ts";
import { DIGEST_RE } from "../../domain/image.ts";
import { NOTATION_ARTIFACT_TYPE } from "../notation/notation-formats.ts";
import { notationDigests } from "../notation/read-notation-manifest.ts";
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

/** A Notation signature referrer in the layout, with its bytes when finding it read them. */
export interface LayoutNotationLead {
  digest: string;
  bytes?: Buffer;
}

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
  return (await layoutSignatureReferrers(layout, imageDigest)).leads;
}

/**
 * The image's cosign signature manifests (layoutSignatureLeads) and, found the same way, its
 * Notation signature referrers (artifactType application/vnd.cncf.notary.signature): in
 * index.json with the image as `subject`, or listed by the `sha256-<hex>` tag-schema index.
 */
export async function layoutSignatureReferrers(
  layout: OciLayoutDir,
  imageDigest: string,
): Promise<{ leads: LayoutSignatureLead[]; notation: LayoutNotationLead[] }> {
  const leads = new Map<string, LayoutSignatureLead>();
  const notation = new Map<string, LayoutNotationLead>();
  const add = (lead: LayoutSignatureLead) => {
    if (lead.digest !== imageDigest && !leads.has(lead.digest)) leads.set(lead.digest, lead);
  };
  const addNotation = (lead: LayoutNotationLead) => {
    if (lead.digest !== imageDigest && !notation.has(lead.digest)) notation.set(lead.digest, lead);
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
    (d.artifactType === undefined ||
      isSignatureArtifactType(d.artifactType) ||
      d.artifactType === NOTATION_ARTIFACT_TYPE);
  const scanned = await mapLimit(usable.filter(maybeReferrer), READ_CONCURRENCY, async (d) => {
    const bytes = await layout.readBlob(d.digest, MAX_MANIFEST_BYTES);
    return { digest: d.digest, bytes, as: signatureKind(bytes, imageDigest) };
  });
  for (const { as, ...found } of scanned) {
    if (as === "cosign") add({ kind: "referrer", ...found });
    else if (as === "notation") addNotation(found);
  }

  const tagSchema = usable.find(
    (d) =>
      d.mediaType === OCI_INDEX &&
      d.annotations?.[REF_NAME_ANNOTATION] === referrersTag(imageDigest),
  );
  if (tagSchema) {
    const index = parse(await layout.readBlob(tagSchema.digest, MAX_MANIFEST_BYTES));
    const listed = (Array.isArray(index?.manifests) ? (index.manifests as unknown[]) : []).map(
      descriptorFields,
    );
    for (const digest of signatureDigests(listed)) add({ kind: "referrer", digest });
    for (const digest of notationDigests(listed)) addNotation({ digest });
  }
  return { leads: [...leads.values()], notation: [...notation.values()] };
}

/** Whether a manifest is a signature referrer of the image, and whose: cosign's or Notation's. */
function signatureKind(bytes: Buffer, imageDigest: string): "cosign" | "notation" | null {
  const m = parse(bytes);
  const subject = m?.subject as { digest?: unknown } | undefined;
  const config = m?.config as { mediaType?: unknown } | undefined;
  const type = m?.artifactType ?? config?.mediaType;
  if (subject?.digest !== imageDigest || typeof type !== "string") return null;
  if (isSignatureArtifactType(type)) return "cosign";
  return type === NOTATION_ARTIFACT_TYPE ? "notation" : null;
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
