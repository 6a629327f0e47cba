import type { ScanResult } from "../../domain/finding.ts";
import type { ImageRef } from "../../domain/image.ts";
import { isoTimestamp } from "../../findings/iso-timestamp.ts";
import {
  type FindingsFormat,
  parseFindingsDocument,
} from "../../findings/parse-findings-document.ts";
import { readVulnAttestation } from "./cosign-vuln-attestation.ts";
import { readBlob } from "./oci-blob.ts";
import type { OciClient } from "./oci-client.ts";
import { OciRegistryError } from "./oci-errors.ts";
import { getManifest } from "./oci-manifest.ts";
import {
  type Descriptor,
  type ManifestContent,
  parseManifestContent,
} from "./oci-manifest-content.ts";
import { listReferrers, referrersTag } from "./oci-referrers.ts";

/** A Trivy JSON report (`trivy image --format json`) attached as an artifact, e.g. with ORAS. */
export const TRIVY_REPORT_MEDIA_TYPE = "application/vnd.aquasec.trivy.report+json";
/** A Grype JSON document (`grype <image> -o json`) attached as an artifact. */
export const GRYPE_REPORT_MEDIA_TYPE = "application/vnd.anchore.grype+json";
/** cosign's attestation layer: a DSSE envelope around an in-toto statement. */
export const DSSE_ENVELOPE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
/** cosign's bundle format (`--new-bundle-format`): a Sigstore bundle holding the DSSE envelope. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES = [
  "application/vnd.dev.sigstore.bundle.v0.3+json",
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
  "application/vnd.dev.sigstore.bundle+json;version=0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.1",
] as const;

const REPORT_FORMATS: Record<string, FindingsFormat> = {
  [TRIVY_REPORT_MEDIA_TYPE]: "trivy",
  [GRYPE_REPORT_MEDIA_TYPE]: "grype",
};
const ATTESTATION_TYPES = new Set<string>([
  DSSE_ENVELOPE_MEDIA_TYPE,
  ...SIGSTORE_BUNDLE_MEDIA_TYPES,
]);
/** Every artifact type worth fetching a referrer's manifest for. */
const INTERESTING = new Set<string>([...Object.keys(REPORT_FORMATS), ...ATTESTATION_TYPES]);

const CREATED = "org.opencontainers.image.created";
/** Annotations naming an attestation's predicate (cosign's layer annotation, the bundle spec's). */
const PREDICATE_ANNOTATIONS = ["predicateType", "dev.sigstore.bundle.predicateType"];
const VULN_PREDICATE = /(^|\/)cosign\.sigstore\.dev\/attestation\/vuln\/v1$/;

/** Referrer manifests read at most, and documents parsed at most, per image. */
const MAX_REFERRERS = 50;
const MAX_DOCUMENTS = 20;
/** A findings document above this is refused unread. */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

export const NO_REPORT_SCANNER = "attached-report";

interface Candidate {
  blob: Descriptor;
  kind: "report" | "attestation";
  format?: FindingsFormat;
  created?: string;
  /** Where it was found, for messages. */
  from: string;
}

type Outcome = { candidate: Candidate; scan: ScanResult; at: number; order: number };

/**
 * Checks an attestation document's signature (the policy's `requireSignedScanReports`): null
 * when a trusted key or identity signed it, otherwise why it is not trusted.
 */
export type AttestationSignatureCheck = (doc: unknown) => string | null;

export interface AttachedScanOptions {
  /** When set, only vulnerability attestations this check accepts count; the rest are ignored. */
  requireSigned?: AttestationSignatureCheck;
}

/**
 * The image's scan, from the reports attached to it: Trivy or Grype JSON artifacts whose
 * manifest names the image as `subject` (referrers API or the `sha256-<hex>` tag schema), and
 * cosign vulnerability attestations (in referrers, or in cosign's `sha256-<hex>.att` tag). The
 * newest wins (its scan time, else the `org.opencontainers.image.created` annotation, else the
 * last found). NONE when nothing is attached; FAILED when the newest document cannot be read.
 */
export async function readAttachedScan(
  client: OciClient,
  ref: ImageRef,
  options: AttachedScanOptions = {},
): Promise<ScanResult> {
  const candidates = await findCandidates(client, ref);
  const outcomes: Outcome[] = [];
  const ignored: string[] = [];
  for (const [order, c] of candidates.slice(-MAX_DOCUMENTS).entries()) {
    const scan = await readCandidate(client, ref, c, options.requireSigned, ignored);
    if (!scan) continue;
    const at = Date.parse(scan.completedAt ?? c.created ?? "");
    outcomes.push({ candidate: c, scan, at: Number.isNaN(at) ? -Infinity : at, order });
  }
  outcomes.sort((a, b) => a.at - b.at || a.order - b.order);
  const newest = outcomes.at(-1);
  const why = ignored.length > 0 ? `ignored (unsigned or not trusted): ${ignored.join("; ")}` : "";
  if (newest) {
    if (!why) return newest.scan;
    return { ...newest.scan, detail: [newest.scan.detail, why].filter(Boolean).join("; ") };
  }
  return {
    status: "NONE",
    scanner: NO_REPORT_SCANNER,
    findings: [],
    detail: `no ${options.requireSigned ? "signed " : ""}Trivy or Grype report and no ${options.requireSigned ? "trusted " : ""}cosign vulnerability attestation is attached to ${ref.repository}@${ref.digest}${why ? `; ${why}` : ""}`,
  };
}

async function findCandidates(client: OciClient, ref: ImageRef): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const { descriptors } = await listReferrers(client, ref.repository, ref.digest);
  for (const d of descriptors.slice(-MAX_REFERRERS)) {
    // The index tells the type up front; without one the manifest has to say.
    if (d.artifactType !== undefined && !INTERESTING.has(d.artifactType)) continue;
    const content = await referrerContent(client, ref.repository, d.digest);
    if (content?.kind !== "image" || content.subject?.digest !== ref.digest) continue;
    const type = content.artifactType ?? content.config.mediaType;
    const created = d.annotations?.[CREATED] ?? content.annotations?.[CREATED];
    out.push(...layerCandidates(content, type, created, `referrer ${d.digest}`));
  }
  // cosign's own layout (before OCI 1.1 referrers): every attestation a layer of one manifest.
  const attTag = `${referrersTag(ref.digest)}.att`;
  const att = await referrerContent(client, ref.repository, attTag);
  if (att?.kind === "image") {
    out.push(...layerCandidates(att, undefined, undefined, `tag ${attTag}`));
  }
  return out;
}

async function referrerContent(
  client: OciClient,
  repository: string,
  reference: string,
): Promise<ManifestContent | null> {
  const m = await getManifest(client, repository, reference);
  if (!m) return null;
  const where = { ...client.target({ repository, reference }), operation: "GetScanReport" };
  try {
    return parseManifestContent(m.bytes, m.mediaType, where);
  } catch (err) {
    // Someone else's artifact we cannot read is not this image's scan report.
    if (err instanceof OciRegistryError) return null;
    throw err;
  }
}

function layerCandidates(
  content: Extract<ManifestContent, { kind: "image" }>,
  artifactType: string | undefined,
  created: string | undefined,
  from: string,
): Candidate[] {
  const out: Candidate[] = [];
  const artifactFormat = artifactType ? REPORT_FORMATS[artifactType] : undefined;
  for (const layer of content.layers) {
    const base = { blob: layer, from, ...(created ? { created } : {}) };
    const format =
      REPORT_FORMATS[layer.mediaType] ??
      (artifactFormat && layer.mediaType === "application/json" ? artifactFormat : undefined);
    if (format) {
      out.push({ ...base, kind: "report", format });
      continue;
    }
    if (!ATTESTATION_TYPES.has(layer.mediaType)) continue;
    const predicate = PREDICATE_ANNOTATIONS.map(
      (k) => layer.annotations?.[k] ?? content.annotations?.[k],
    ).find((v) => v !== undefined);
    // Skip provenance, SBOM … attestations unread when they say what they are.
    if (predicate !== undefined && !VULN_PREDICATE.test(predicate)) continue;
    out.push({ ...base, kind: "attestation" });
  }
  return out;
}

/** The candidate's scan; null when it turns out to be no vulnerability scan. */
async function readCandidate(
  client: OciClient,
  ref: ImageRef,
  c: Candidate,
  requireSigned: AttestationSignatureCheck | undefined,
  ignored: string[],
): Promise<ScanResult | null> {
  if (requireSigned && c.kind === "report") {
    ignored.push(`the scan report in ${c.from} is a plain document, not a signed attestation`);
    return null;
  }
  // Refused unread, as a failed scan rather than an error: anyone who can push can attach one.
  if (c.blob.size > MAX_REPORT_BYTES) {
    return failed(c, `it is ${c.blob.size} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
  }
  if (!c.blob.digest.startsWith("sha256:")) {
    return failed(c, "only sha256 blobs can be verified");
  }
  const bytes = await readBlob(client, ref.repository, c.blob, MAX_REPORT_BYTES);
  if (!bytes) return null;
  try {
    const json: unknown = JSON.parse(bytes.toString("utf8"));
    if (c.kind === "report") return parseFindingsDocument(json, c.format ?? "auto");
    const att = readVulnAttestation(json, ref.digest);
    if (!att) return null;
    const untrusted = requireSigned?.(json);
    if (untrusted) {
      ignored.push(`the vulnerability attestation in ${c.from}: ${untrusted}`);
      return null;
    }
    const scan = parseFindingsDocument(att.result, "auto");
    const finished = isoTimestamp(att.finishedAt);
    return scan.completedAt || !finished ? scan : { ...scan, completedAt: finished };
  } catch (err) {
    if (err instanceof OciRegistryError) throw err;
    return failed(c, err instanceof Error ? err.message : String(err));
  }
}

function failed(c: Candidate, why: string): ScanResult {
  const created = isoTimestamp(c.created);
  return {
    status: "FAILED",
    scanner: c.format ?? NO_REPORT_SCANNER,
    findings: [],
    ...(created ? { completedAt: created } : {}),
    detail: `the ${c.kind === "report" ? "scan report" : "vulnerability attestation"} in ${c.from} (blob ${c.blob.digest}) cannot be read: ${why}`,
  };
}
