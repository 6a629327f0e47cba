import { X509Certificate } from "@sigstore/core";
import { decodeBundleBase64 } from "../base64-strict.ts";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import { pemBlocks } from "./pem-blocks.ts";

/** What a Rekor entry body says verifies its signature: certificates and keys, DER. */
type Named = { certificates: Uint8Array[]; keys: Uint8Array[] };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const at = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>(
    (o, k) => (isObj(o) || Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined),
    v,
  );

/** base64 of a PEM text (Rekor v1 bodies): its certificates and public keys. */
function fromPemB64(value: unknown, into: Named): void {
  if (typeof value !== "string") return;
  const text = decodeBundleBase64(value);
  if (!text) return;
  for (const b of pemBlocks(Buffer.from(text).toString("utf8")) ?? []) {
    if (b.type === "CERTIFICATE") into.certificates.push(b.der);
    else if (b.type === "PUBLIC KEY") into.keys.push(b.der);
  }
}

function fromVerifierV2(verifier: unknown, into: Named): void {
  const raw = at(verifier, "x509Certificate", "rawBytes");
  const key = at(verifier, "publicKey", "rawBytes");
  const cert = typeof raw === "string" ? decodeBundleBase64(raw) : null;
  const pub = typeof key === "string" ? decodeBundleBase64(key) : null;
  if (cert) into.certificates.push(cert);
  if (pub) into.keys.push(pub);
}

/** The verification material a hashedrekord, dsse or intoto entry body names (Rekor v1 and v2). */
function namedBy(body: unknown): Named {
  const named: Named = { certificates: [], keys: [] };
  const spec = at(body, "spec");
  switch (at(body, "kind")) {
    case "hashedrekord":
      fromPemB64(at(spec, "signature", "publicKey", "content"), named);
      fromVerifierV2(at(spec, "hashedRekordV002", "signature", "verifier"), named);
      break;
    case "dsse":
      for (const s of asArray(at(spec, "signatures"))) fromPemB64(at(s, "verifier"), named);
      for (const s of asArray(at(spec, "dsseV002", "signatures"))) {
        fromVerifierV2(at(s, "verifier"), named);
      }
      break;
    case "intoto":
      for (const s of asArray(at(spec, "content", "envelope", "signatures"))) {
        fromPemB64(at(s, "publicKey"), named);
      }
      break;
  }
  return named;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Step: every log entry names the certificate that signed (or its public key), as sigstore-go and
 * cosign require. @sigstore/verify binds the entry to the signature and digest only; this also
 * refuses an entry logged for the same signature bytes under another certificate.
 */
export function checkTlogCertificate(
  bodies: readonly Uint8Array[],
  leafDer: Uint8Array,
): SignatureFailure | null {
  const leafKey = X509Certificate.parse(Buffer.from(leafDer)).publicKey;
  for (const [i, raw] of bodies.entries()) {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(raw).toString("utf8"));
    } catch {
      return failure("TLOG_BODY_MISMATCH", `log entry ${i} has no JSON body`);
    }
    const named = namedBy(body);
    const ok =
      named.certificates.some((c) => same(c, leafDer)) || named.keys.some((k) => same(k, leafKey));
    if (!ok) {
      return failure(
        "TLOG_BODY_MISMATCH",
        `log entry ${i} (${String(at(body, "kind"))}) was recorded for another certificate than the one that signed`,
      );
    }
  }
  return null;
}
