import { failure, type SignatureFailure } from "./signature-failure.ts";

/** Invalid UTF-8 becomes U+FFFD, as in Go's decoder. */
const UTF8 = new TextDecoder();

/**
 * The claims of a cosign simple-signing payload (containers/image containers-signature.5 JSON,
 * as sigstore/sigstore's payload.SimpleContainerImage writes it).
 */
export interface SimpleSigningPayload {
  type: string;
  dockerReference: string;
  dockerManifestDigest: string;
  optional: Record<string, unknown> | null;
}

/**
 * Reads the claims the way cosign's Go decoder does, so a payload means the same thing here and
 * there: object keys match case-insensitively (the spec's own example writes
 * `Docker-manifest-digest`), the last matching key wins, an absent string is "", a non-string is
 * an error. Called only after the signature verified: unauthenticated bytes are never parsed.
 */
export function parseSimpleSigningPayload(
  payload: Uint8Array,
): SimpleSigningPayload | SignatureFailure {
  let doc: unknown;
  try {
    doc = JSON.parse(UTF8.decode(payload));
  } catch {
    return failure("PAYLOAD_MALFORMED", "the signed payload is not JSON");
  }
  const critical = goField(doc, "critical");
  if (!isObject(critical)) {
    return failure("PAYLOAD_MALFORMED", "the signed payload has no `critical` object");
  }
  const type = goString(critical, "type");
  const dockerReference = goString(goField(critical, "identity"), "docker-reference");
  const dockerManifestDigest = goString(goField(critical, "image"), "docker-manifest-digest");
  if (type === null || dockerReference === null || dockerManifestDigest === null) {
    return failure(
      "PAYLOAD_MALFORMED",
      "critical.type, critical.identity.docker-reference and critical.image.docker-manifest-digest must be strings",
    );
  }
  const optional = goField(doc, "optional");
  return {
    type,
    dockerReference,
    dockerManifestDigest,
    optional: isObject(optional) ? optional : null,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** encoding/json field lookup: case-insensitive, last key wins; undefined when absent. */
function goField(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  let found: unknown;
  for (const key in obj) {
    // Same length first: spares toLowerCase for nearly every key.
    if (key === name || (key.length === name.length && key.toLowerCase() === name)) {
      found = obj[key];
    }
  }
  return found;
}

/** A Go string field: "" when absent or null, null (an error) when not a string. */
function goString(obj: unknown, name: string): string | null {
  if (obj !== undefined && obj !== null && !isObject(obj)) return null;
  const v = goField(obj, name);
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : null;
}
