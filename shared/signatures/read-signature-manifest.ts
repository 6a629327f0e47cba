import * as z from "zod";
import { mapLimit } from "../concurrency/map-limit.ts";
import { DIGEST_RE } from "../domain/image.ts";
import { decodeStdBase64 } from "./base64-strict.ts";
import { candidateFromBundle } from "./bundle-candidate.ts";
import { signatureLayerKind } from "./check-media-type.ts";
import { checkPayloadSize } from "./check-payload-size.ts";
import type { FetchBlob } from "./fetch-blob.ts";
import { sha256Digest } from "./sha256-digest.ts";
import type { CandidateOrigin, SignatureCandidate } from "./signature-candidate.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";
import {
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_CHAIN_ANNOTATION,
  COSIGN_REKOR_BUNDLE_ANNOTATION,
  COSIGN_RFC3161_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  SIMPLESIGNING_MEDIA_TYPE,
} from "./signature-formats.ts";
import { resolveLimits, type SignatureLimits } from "./signature-limits.ts";
import type { SignatureSource } from "./signature-source.ts";

export interface ReadSignatureManifestInput {
  /** The signature manifest exactly as the registry served it. */
  manifest: Uint8Array;
  source: SignatureSource;
  fetchBlob: FetchBlob;
  limits?: Partial<SignatureLimits>;
}

const descriptor = z.object({
  mediaType: z.string(),
  digest: z.string().regex(DIGEST_RE),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: z.object({ mediaType: z.string() }).loose().optional(),
  layers: z.array(descriptor),
  subject: z.object({ digest: z.string() }).loose().optional(),
});

type Layer = z.infer<typeof descriptor>;

/** Blobs fetched at once per manifest: enough to hide latency, gentle on registry quotas. */
const FETCH_CONCURRENCY = 4;

/**
 * Turns a signature manifest (a `.sig` tag manifest or an OCI 1.1 referrer) into candidates, one
 * per layer, fetching only the blobs of layers that can be signatures and only within the size
 * limits. Layers refused here (wrong media type, too big, unreadable) stay in the list as
 * rejected candidates, so the final report shows every layer that was looked at. A manifest that
 * is too big, malformed or has too many layers yields one rejected candidate for itself.
 */
export async function readSignatureManifest(
  input: ReadSignatureManifestInput,
): Promise<SignatureCandidate[]> {
  const limits = resolveLimits(input.limits);
  const refuse = (f: SignatureFailure): SignatureCandidate[] => [
    { source: input.source, size: input.manifest.length, format: "rejected", failure: f },
  ];
  if (input.manifest.length > limits.maxManifestBytes) {
    return refuse(
      failure(
        "MANIFEST_TOO_LARGE",
        `the signature manifest is ${input.manifest.length} bytes, above the ${limits.maxManifestBytes}-byte limit`,
      ),
    );
  }
  const computed = sha256Digest(input.manifest);
  if (computed !== input.source.manifestDigest) {
    return refuse(
      failure(
        "BLOB_DIGEST_MISMATCH",
        `the signature manifest hashes to ${computed}, not ${input.source.manifestDigest}`,
      ),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(input.manifest).toString("utf8"));
  } catch {
    return refuse(failure("MANIFEST_MALFORMED", "the signature manifest is not JSON"));
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(
      failure(
        "MANIFEST_MALFORMED",
        `not an image manifest: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
      ),
    );
  }
  const m = parsed.data;
  if (m.layers.length > limits.maxLayers) {
    return refuse(
      failure(
        "TOO_MANY_LAYERS",
        `the signature manifest has ${m.layers.length} layers, above the limit of ${limits.maxLayers}`,
      ),
    );
  }
  const source: SignatureSource =
    input.source.kind === "referrer"
      ? {
          ...input.source,
          ...(input.source.artifactType === undefined && (m.artifactType ?? m.config?.mediaType)
            ? { artifactType: m.artifactType ?? m.config?.mediaType }
            : {}),
          ...(input.source.subjectDigest === undefined && m.subject
            ? { subjectDigest: m.subject.digest }
            : {}),
        }
      : input.source;
  return mapLimit(m.layers, FETCH_CONCURRENCY, (layer, layerIndex) =>
    readLayer(layer, { source, layerIndex, layerDigest: layer.digest }, input.fetchBlob, limits),
  );
}

async function readLayer(
  layer: Layer,
  where: CandidateOrigin,
  fetchBlob: FetchBlob,
  limits: SignatureLimits,
): Promise<SignatureCandidate> {
  const origin = { ...where, mediaType: layer.mediaType, size: layer.size };
  const rejected = (f: SignatureFailure): SignatureCandidate => ({
    ...origin,
    format: "rejected",
    failure: f,
  });
  const kind = signatureLayerKind(where.source, layer.mediaType);
  if (kind === null) {
    return rejected(
      failure(
        "MEDIA_TYPE_NOT_SIGNATURE",
        `${layer.mediaType} is not a signature (expected ${where.source.kind === "legacy-tag" ? SIMPLESIGNING_MEDIA_TYPE : SIGSTORE_BUNDLE_V03_MEDIA_TYPE})`,
      ),
    );
  }
  const max = kind === "simplesigning" ? limits.maxPayloadBytes : limits.maxBundleBytes;
  const what = kind === "simplesigning" ? "simple-signing payload" : "bundle";
  const declared = checkPayloadSize(layer.size, max, what);
  if (declared) return rejected(declared);

  let signature: Uint8Array | null = null;
  if (kind === "simplesigning") {
    const b64 = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    signature = b64 === undefined ? null : decodeStdBase64(b64);
    if (!signature) {
      return rejected(
        failure(
          "SIGNATURE_MISSING",
          b64 === undefined
            ? `the layer has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`
            : `the ${COSIGN_SIGNATURE_ANNOTATION} annotation is not standard base64`,
        ),
      );
    }
  }
  const blob = await fetchBlob(layer.digest, max);
  const fetched = { ...origin, size: blob.length };
  const tooBig = checkPayloadSize(blob.length, max, what);
  if (tooBig) return { ...fetched, format: "rejected", failure: tooBig };
  const computed = sha256Digest(blob);
  if (computed !== layer.digest) {
    return {
      ...fetched,
      format: "rejected",
      failure: failure(
        "BLOB_DIGEST_MISMATCH",
        `the blob served for ${layer.digest} hashes to ${computed}`,
      ),
    };
  }
  if (kind === "bundle") return candidateFromBundle(blob, fetched);
  const a = layer.annotations ?? {};
  return {
    ...fetched,
    format: "simplesigning",
    payload: blob,
    signature: signature as Uint8Array,
    keyless: {
      ...(a[COSIGN_CERTIFICATE_ANNOTATION]
        ? { certificatePem: a[COSIGN_CERTIFICATE_ANNOTATION] }
        : {}),
      ...(a[COSIGN_CHAIN_ANNOTATION] ? { chainPem: a[COSIGN_CHAIN_ANNOTATION] } : {}),
      ...(a[COSIGN_REKOR_BUNDLE_ANNOTATION]
        ? { rekorBundle: a[COSIGN_REKOR_BUNDLE_ANNOTATION] }
        : {}),
      ...(a[COSIGN_RFC3161_ANNOTATION] ? { rfc3161Timestamp: a[COSIGN_RFC3161_ANNOTATION] } : {}),
    },
  };
}
