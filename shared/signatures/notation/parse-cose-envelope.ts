import { decode, encode, Tag } from "cbor2";
import { COSE_ALGORITHMS, type NotationAlgorithm } from "./notation-algorithm.ts";
import { type NotationEnvelope, NotationEnvelopeError } from "./notation-envelope.ts";
import {
  HEADER_AUTHENTIC_SIGNING_TIME,
  HEADER_EXPIRY,
  HEADER_SIGNING_SCHEME,
  HEADER_SIGNING_TIME,
} from "./notation-formats.ts";

/** COSE header labels (RFC 9052 3.1, RFC 9360 2). */
const ALG = 1;
const CRIT = 2;
const CONTENT_TYPE = 3;
const X5CHAIN = 33;
const COSE_SIGN1_TAG = 18;

type HeaderMap = Map<unknown, unknown>;

/** cbor2 decodes a map with only text keys to an object, any other to a Map: one shape here. */
function headerMap(v: unknown, what: string): HeaderMap {
  if (v instanceof Map) return v;
  if (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)) {
    return new Map(Object.entries(v));
  }
  throw new NotationEnvelopeError(`the ${what} header is not a map`);
}

function decodeCbor(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes);
  } catch (err) {
    throw new NotationEnvelopeError(`the ${what} is not CBOR: ${(err as Error).message}`);
  }
}

/** Epoch-based date/time (tag 1), which cbor2 decodes to a Date. */
function time(h: HeaderMap, name: string): Date | undefined {
  const v = h.get(name);
  if (v === undefined) return undefined;
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) {
    throw new NotationEnvelopeError(`protected header ${name} is not an epoch date/time (tag 1)`);
  }
  return v;
}

function certificates(v: unknown): Uint8Array[] {
  // x5chain is one bstr for a single certificate, an array of bstr for a chain (RFC 9360 2).
  const list = v instanceof Uint8Array ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => c instanceof Uint8Array)) {
    throw new NotationEnvelopeError(
      "x5chain (label 33, the certificate chain) is missing or not DER",
    );
  }
  return list as Uint8Array[];
}

/**
 * A COSE_Sign1_Tagged envelope (signature-envelope-cose.md): tag 18 around [protected bstr,
 * unprotected map, payload bstr, signature bstr]. The signature covers the CBOR encoding of
 * ["Signature1", protected bytes as found, h'', payload]. x5chain may sit in either header.
 */
export function parseCoseEnvelope(bytes: Uint8Array): NotationEnvelope {
  const top = decodeCbor(bytes, "COSE envelope");
  if (!(top instanceof Tag) || Number(top.tag) !== COSE_SIGN1_TAG) {
    throw new NotationEnvelopeError("not a COSE_Sign1_Tagged message (CBOR tag 18)");
  }
  const parts = top.contents;
  if (!Array.isArray(parts) || parts.length !== 4) {
    throw new NotationEnvelopeError("a COSE_Sign1 message is an array of four items");
  }
  const [protectedBytes, unprotectedValue, payload, signature] = parts as unknown[];
  if (!(protectedBytes instanceof Uint8Array) || protectedBytes.length === 0) {
    throw new NotationEnvelopeError("the COSE protected header is missing");
  }
  if (!(payload instanceof Uint8Array)) {
    throw new NotationEnvelopeError("the COSE payload is detached or not a byte string");
  }
  if (!(signature instanceof Uint8Array)) {
    throw new NotationEnvelopeError("the COSE signature is not a byte string");
  }
  const prot = headerMap(decodeCbor(protectedBytes, "COSE protected header"), "protected");
  const unprot = headerMap(unprotectedValue, "unprotected");
  const alg = COSE_ALGORITHMS.get(prot.get(ALG) as number);
  if (!alg) {
    throw new NotationEnvelopeError(
      `alg ${String(prot.get(ALG))} is not one of the Notary Project's (-37, -38, -39, -7, -35, -36)`,
    );
  }
  const crit = prot.get(CRIT) ?? [];
  if (!Array.isArray(crit) || !crit.every((c) => typeof c === "string" || typeof c === "number")) {
    throw new NotationEnvelopeError("crit (label 2) is not a list of header labels");
  }
  const cty = prot.get(CONTENT_TYPE);
  if (cty !== undefined && typeof cty !== "string") {
    throw new NotationEnvelopeError("content type (label 3) is not a text string");
  }
  const scheme = prot.get(HEADER_SIGNING_SCHEME);
  if (scheme !== undefined && typeof scheme !== "string") {
    throw new NotationEnvelopeError(`${HEADER_SIGNING_SCHEME} is not a text string`);
  }
  const signingTime = time(prot, HEADER_SIGNING_TIME);
  const authenticSigningTime = time(prot, HEADER_AUTHENTIC_SIGNING_TIME);
  const expiry = time(prot, HEADER_EXPIRY);
  // cbor2 hands byte strings back as Buffers, which it would encode as objects: plain copies.
  const signingInput = encode([
    "Signature1",
    new Uint8Array(protectedBytes),
    new Uint8Array(0),
    new Uint8Array(payload),
  ]);
  return {
    envelope: "cose",
    alg: alg as NotationAlgorithm,
    signingInput,
    signature,
    payload,
    // Integer labels are named by their number, so crit can name either kind.
    protectedHeaders: new Set([...prot.keys()].map(String)),
    crit: crit.map(String),
    ...(cty !== undefined ? { contentType: cty } : {}),
    ...(scheme !== undefined ? { signingScheme: scheme } : {}),
    ...(signingTime ? { signingTime } : {}),
    ...(authenticSigningTime ? { authenticSigningTime } : {}),
    ...(expiry ? { expiry } : {}),
    certificates: certificates(prot.get(X5CHAIN) ?? unprot.get(X5CHAIN)),
  };
}
