/**
 * Bounds on what a signature source may make us read and check. Signature artifacts are pushed by
 * anyone with push rights to the repository, so every size and count is capped before bytes are
 * fetched or parsed. cosign's own caps are looser (1000 layers, 128 MiB per attachment); a real
 * simple-signing payload is ~300 bytes and a key-based bundle a few KiB.
 */
export interface SignatureLimits {
  /** Simple-signing payload blob, and a DSSE envelope's decoded payload. */
  maxPayloadBytes: number;
  /** A Sigstore bundle blob (payload in base64, plus certificate and log entries). */
  maxBundleBytes: number;
  /** A signature manifest (`.sig` tag or referrer). */
  maxManifestBytes: number;
  /** Layers of one signature manifest. */
  maxLayers: number;
  /** Candidates one verification tries; the rest are reported, not checked. */
  maxCandidates: number;
}

export const DEFAULT_SIGNATURE_LIMITS: Readonly<SignatureLimits> = Object.freeze({
  maxPayloadBytes: 64 * 1024,
  maxBundleBytes: 192 * 1024,
  maxManifestBytes: 256 * 1024,
  maxLayers: 50,
  maxCandidates: 50,
});

export function resolveLimits(limits?: Partial<SignatureLimits>): SignatureLimits {
  return limits ? { ...DEFAULT_SIGNATURE_LIMITS, ...limits } : DEFAULT_SIGNATURE_LIMITS;
}
