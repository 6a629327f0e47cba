import { decodeStdBase64 } from "../base64-strict.ts";
import { JWS_ALGORITHMS, type NotationAlgorithm } from "./notation-algorithm.ts";
import { type NotationEnvelope, NotationEnvelopeError } from "./notation-envelope.ts";
import {
  HEADER_AUTHENTIC_SIGNING_TIME,
  HEADER_EXPIRY,
  HEADER_SIGNING_SCHEME,
  HEADER_SIGNING_TIME,
} from "./notation-formats.ts";

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** RFC 3339 date-time, as Notation writes its JWS time headers. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** JWS base64url: no padding, no other alphabet (RFC 7515 2). */
function base64Url(text: unknown, what: string): Uint8Array {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1) {
    throw new NotationEnvelopeError(`${what} is not base64url`);
  }
  return new Uint8Array(Buffer.from(text, "base64url"));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function time(header: Record<string, unknown>, name: string): Date | undefined {
  const v = header[name];
  if (v === undefined) return undefined;
  const d = typeof v === "string" && RFC3339.test(v) ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) {
    throw new NotationEnvelopeError(`protected header ${name} is not an RFC 3339 time`);
  }
  return d;
}

/**
 * A JWS JSON serialization (signature-envelope-jws.md): `payload`, `protected` (base64url JSON
 * header), `header.x5c` (standard base64 DER, leaf first) and `signature`. The signature covers
 * ASCII(protected "." payload) exactly as they are written in the envelope.
 */
export function parseJwsEnvelope(bytes: Uint8Array): NotationEnvelope {
  let jws: unknown;
  try {
    jws = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new NotationEnvelopeError("the JWS envelope is not JSON");
  }
  if (!isObject(jws)) throw new NotationEnvelopeError("the JWS envelope is not a JSON object");
  if ("signatures" in jws) {
    throw new NotationEnvelopeError("a JWS with several signatures is not a Notation envelope");
  }
  const { protected: prot, payload, signature } = jws;
  if (typeof prot !== "string" || typeof payload !== "string") {
    throw new NotationEnvelopeError("the JWS envelope needs `protected` and `payload` strings");
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(base64Url(prot, "protected")).toString("utf8"));
  } catch (err) {
    if (err instanceof NotationEnvelopeError) throw err;
    throw new NotationEnvelopeError("the JWS protected header is not JSON");
  }
  if (!isObject(header))
    throw new NotationEnvelopeError("the JWS protected header is not an object");
  const alg = header.alg;
  if (typeof alg !== "string" || !JWS_ALGORITHMS.includes(alg as NotationAlgorithm)) {
    throw new NotationEnvelopeError(
      `alg ${JSON.stringify(alg)} is not one of ${JWS_ALGORITHMS.join(", ")}`,
    );
  }
  const crit = header.crit ?? [];
  if (!Array.isArray(crit) || !crit.every((c) => typeof c === "string")) {
    throw new NotationEnvelopeError("crit is not a list of header names");
  }
  const scheme = header[HEADER_SIGNING_SCHEME];
  if (scheme !== undefined && typeof scheme !== "string") {
    throw new NotationEnvelopeError(`${HEADER_SIGNING_SCHEME} is not a string`);
  }
  if (header.cty !== undefined && typeof header.cty !== "string") {
    throw new NotationEnvelopeError("cty is not a string");
  }
  const unsigned = jws.header ?? {};
  if (!isObject(unsigned)) throw new NotationEnvelopeError("the JWS `header` is not an object");
  const x5c = unsigned.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) {
    throw new NotationEnvelopeError("header.x5c (the certificate chain) is missing or empty");
  }
  const certificates = x5c.map((c, i) => {
    const der = typeof c === "string" ? decodeStdBase64(c) : null;
    if (!der) throw new NotationEnvelopeError(`header.x5c[${i}] is not standard base64`);
    return der;
  });
  const signingTime = time(header, HEADER_SIGNING_TIME);
  const authenticSigningTime = time(header, HEADER_AUTHENTIC_SIGNING_TIME);
  const expiry = time(header, HEADER_EXPIRY);
  return {
    envelope: "jws",
    alg: alg as NotationAlgorithm,
    signingInput: new Uint8Array(Buffer.from(`${prot}.${payload}`, "ascii")),
    signature: base64Url(signature, "signature"),
    payload: base64Url(payload, "payload"),
    protectedHeaders: new Set(Object.keys(header)),
    crit: crit as string[],
    ...(typeof header.cty === "string" ? { contentType: header.cty } : {}),
    ...(scheme !== undefined ? { signingScheme: scheme } : {}),
    ...(signingTime ? { signingTime } : {}),
    ...(authenticSigningTime ? { authenticSigningTime } : {}),
    ...(expiry ? { expiry } : {}),
    certificates,
  };
}
