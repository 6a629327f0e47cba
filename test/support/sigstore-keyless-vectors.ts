// Keyless (Fulcio + Rekor) vectors made with node's crypto: a self-made CA and Fulcio-style leaf
// certificates in minimal DER X.509 (RFC 5280) with Fulcio's extensions (OIDC issuer
// 1.3.6.1.4.1.57264.1.1 raw and .1.8 as UTF8String, critical SAN email or URI, codeSigning EKU),
// a fake Rekor v1 log key signing the SET over the canonical JSON of
// {body, integratedTime, logID, logIndex} and a one-leaf RFC 6962 tree checkpoint (signed note),
// hashedrekord and dsse 0.0.1 entry bodies as Rekor canonicalizes them, Sigstore bundles v0.3 in
// protobuf JSON, cosign's legacy keyless annotations, and a trusted_root.json naming all of it.
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  randomBytes,
} from "node:crypto";
import { readSignatureManifest } from "../../shared/signatures/read-signature-manifest.ts";
import type { SignatureCandidate } from "../../shared/signatures/signature-candidate.ts";
import {
  BlobStore,
  b64,
  bundleReferrerManifest,
  type LegacyLayer,
  legacySignatureManifest,
  pae,
  sha256Hex,
} from "./cosign-vectors.ts";
import { bits, bool, explicit, integer, octet, oid, seq, set, time, tlv, utf8 } from "./der.ts";

// ---- X.509 pieces (DER primitives in der.ts) ----------------------------------------------------

const name = (cn: string, o = "registry-guard test") =>
  seq(set(seq(oid("2.5.4.10"), utf8(o))), set(seq(oid("2.5.4.3"), utf8(cn))));
const ext = (id: string, critical: boolean, value: Uint8Array) =>
  critical ? seq(oid(id), bool(true), octet(value)) : seq(oid(id), octet(value));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const keyId = (k: KeyObject) =>
  createHash("sha1")
    .update(k.export({ type: "spki", format: "der" }))
    .digest();

function certificate(p: {
  serial: Buffer;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  extensions: Buffer[];
  signer: KeyObject;
}): Buffer {
  const tbs = seq(
    explicit(0, integer(2)),
    integer(p.serial),
    ECDSA_SHA256,
    p.issuer,
    seq(time(p.notBefore), time(p.notAfter)),
    p.subject,
    p.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(...p.extensions)),
  );
  return seq(tbs, ECDSA_SHA256, bits(nodeSign("sha256", tbs, p.signer)));
}

export const toPem = (der: Uint8Array, type = "CERTIFICATE") =>
  `-----BEGIN ${type}-----\n${(
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? []
  ).join("\n")}\n-----END ${type}-----\n`;

// ---- Fulcio ----------------------------------------------------------------------------------

export interface TestCa {
  der: Buffer;
  subject: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A self-signed CA (basicConstraints CA, keyCertSign), like Fulcio's root. */
export function makeCa(p: { cn?: string; notBefore?: Date; notAfter?: Date } = {}): TestCa {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const subject = name(p.cn ?? "sigstore-test-root");
  const der = certificate({
    serial: randomBytes(16),
    issuer: subject,
    subject,
    notBefore: p.notBefore ?? new Date("2025-01-01T00:00:00Z"),
    notAfter: p.notAfter ?? new Date("2035-01-01T00:00:00Z"),
    publicKey,
    signer: privateKey,
    extensions: [
      ext("2.5.29.15", true, bits(Buffer.from([0x06]), 1)),
      ext("2.5.29.19", true, seq(bool(true))),
      ext("2.5.29.14", false, octet(keyId(publicKey))),
    ],
  });
  return { der, subject, privateKey, publicKey };
}

export interface TestLeaf {
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

export const T0 = new Date("2026-06-15T12:00:00Z");

/**
 * A Fulcio-style code-signing certificate: empty subject, critical SAN (an email, or a URI when
 * the subject contains "://"), the OIDC issuer in the v1 extension (raw bytes) and/or the v2 one
 * (UTF8String). Valid ten minutes from T0 unless told otherwise.
 */
export function makeLeaf(
  ca: TestCa,
  p: {
    subject: string;
    issuer?: string;
    issuerExtension?: "v1" | "v2" | "both" | "none";
    notBefore?: Date;
    notAfter?: Date;
  },
): TestLeaf {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const notBefore = p.notBefore ?? T0;
  const notAfter = p.notAfter ?? new Date(notBefore.getTime() + 10 * 60_000);
  const issuer = p.issuer ?? "https://token.actions.githubusercontent.com";
  const which = p.issuerExtension ?? "both";
  const san = p.subject.includes("://")
    ? tlv(0x86, Buffer.from(p.subject))
    : tlv(0x81, Buffer.from(p.subject));
  const extensions = [
    ext("2.5.29.15", true, bits(Buffer.from([0x80]), 7)),
    ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.3"))),
    ext("2.5.29.14", false, octet(keyId(publicKey))),
    ext("2.5.29.35", false, seq(tlv(0x80, keyId(ca.publicKey)))),
    ext("2.5.29.17", true, seq(san)),
  ];
  if (which === "v1" || which === "both") {
    extensions.push(ext("1.3.6.1.4.1.57264.1.1", false, Buffer.from(issuer)));
  }
  if (which === "v2" || which === "both") {
    extensions.push(ext("1.3.6.1.4.1.57264.1.8", false, utf8(issuer)));
  }
  const der = certificate({
    serial: randomBytes(20),
    issuer: ca.subject,
    subject: seq(),
    notBefore,
    notAfter,
    publicKey,
    signer: ca.privateKey,
    extensions,
  });
  return { der, pem: toPem(der), privateKey, notBefore, notAfter };
}

// ---- Rekor -----------------------------------------------------------------------------------

export interface TestLog {
  privateKey: KeyObject;
  spkiDer: Buffer;
  /** sha256 of the SPKI DER: Rekor's log id. */
  logId: Buffer;
  origin: string;
  baseUrl: string;
}

export function makeLog(origin = "rekor.registry-guard.test"): TestLog {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spkiDer = publicKey.export({ type: "spki", format: "der" });
  return {
    privateKey,
    spkiDer,
    logId: createHash("sha256").update(spkiDer).digest(),
    origin,
    baseUrl: `https://${origin}`,
  };
}

/** Sorted-key, no-space JSON: Rekor's canonical form for these plain bodies. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** hashedrekord 0.0.1: sha256 of the signed bytes, the signature, the signer's PEM. */
export function hashedrekordBody(p: {
  digestHex: string;
  signature: Uint8Array;
  pem: string;
}): Buffer {
  return Buffer.from(
    canonical({
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: p.digestHex } },
        signature: { content: b64(p.signature), publicKey: { content: b64(Buffer.from(p.pem)) } },
      },
    }),
  );
}

/** dsse 0.0.1: hashes of the envelope and payload, the signature and its verifier's PEM. */
export function dsseBody(p: {
  envelopeJson: string;
  payload: Uint8Array;
  signature: Uint8Array;
  pem: string;
}): Buffer {
  return Buffer.from(
    canonical({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: sha256Hex(Buffer.from(p.envelopeJson)) },
        payloadHash: { algorithm: "sha256", value: sha256Hex(p.payload) },
        signatures: [{ signature: b64(p.signature), verifier: b64(Buffer.from(p.pem)) }],
      },
    }),
  );
}

export interface LogEntryOptions {
  integratedTime?: Date;
  logIndex?: number;
  /** Sign the SET / checkpoint with this log instead (a log the root does not trust). */
  signingLog?: TestLog;
  inclusionProof?: boolean;
  inclusionPromise?: boolean;
}

/** An entry of the log for `body`: SET over its canonical payload, one-leaf inclusion proof. */
export function logEntry(log: TestLog, body: Buffer, o: LogEntryOptions = {}) {
  const signer = o.signingLog ?? log;
  const integratedTime = Math.floor(
    (o.integratedTime ?? new Date(T0.getTime() + 60_000)).getTime() / 1000,
  );
  const logIndex = o.logIndex ?? 7;
  const set = nodeSign(
    "sha256",
    Buffer.from(
      canonical({ body: b64(body), integratedTime, logID: log.logId.toString("hex"), logIndex }),
    ),
    signer.privateKey,
  );
  const root = createHash("sha256")
    .update(Buffer.from([0]))
    .update(body)
    .digest();
  const note = `${log.origin}\n1\n${b64(root)}\n`;
  const head = JSON.parse(body.toString("utf8")) as { kind: string; apiVersion: string };
  const noteSig = Buffer.concat([
    log.logId.subarray(0, 4),
    nodeSign("sha256", Buffer.from(note), signer.privateKey),
  ]);
  return {
    set,
    integratedTime,
    logIndex,
    json: {
      logIndex: String(logIndex),
      logId: { keyId: b64(log.logId) },
      kindVersion: { kind: head.kind, version: head.apiVersion },
      integratedTime: String(integratedTime),
      ...(o.inclusionPromise === false
        ? {}
        : { inclusionPromise: { signedEntryTimestamp: b64(set) } }),
      ...(o.inclusionProof === false
        ? {}
        : {
            // A one-leaf tree: the leaf's index is 0, which protobuf JSON leaves out.
            inclusionProof: {
              rootHash: b64(root),
              treeSize: "1",
              hashes: [],
              checkpoint: { envelope: `${note}\n\u2014 ${log.origin} ${b64(noteSig)}\n` },
            },
          }),
      canonicalizedBody: b64(body),
    },
  };
}

// ---- trusted root ----------------------------------------------------------------------------

export function trustedRootJson(p: {
  cas: { ca: TestCa; start?: string; end?: string }[];
  logs: TestLog[];
}): Record<string, unknown> {
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: p.logs.map((l) => ({
      baseUrl: l.baseUrl,
      hashAlgorithm: "SHA2_256",
      publicKey: {
        rawBytes: b64(l.spkiDer),
        keyDetails: "PKIX_ECDSA_P256_SHA_256",
        validFor: { start: "2025-01-01T00:00:00Z" },
      },
      logId: { keyId: b64(l.logId) },
    })),
    certificateAuthorities: p.cas.map(({ ca, start, end }) => ({
      subject: { organization: "registry-guard test", commonName: "sigstore-test-root" },
      uri: "https://fulcio.registry-guard.test",
      certChain: { certificates: [{ rawBytes: b64(ca.der) }] },
      validFor: { start: start ?? "2025-01-01T00:00:00Z", ...(end ? { end } : {}) },
    })),
    ctlogs: [],
    timestampAuthorities: [],
  };
}

// ---- signatures ------------------------------------------------------------------------------

export interface KeylessSignOptions extends LogEntryOptions {
  /** Leave the tlog entry out of the bundle / annotations. */
  noTlog?: boolean;
  /** Log an entry for these bytes instead of the ones signed (an entry for another body). */
  logBytesInstead?: Uint8Array;
  /** Log the entry under this certificate instead of the signing one. */
  logCertificatePem?: string;
  /** Sign with this key instead of the certificate's (logged as made, under the certificate). */
  signatureKey?: KeyObject;
}

const signWith = (leaf: TestLeaf, bytes: Uint8Array, o: KeylessSignOptions) =>
  nodeSign("sha256", bytes, o.signatureKey ?? leaf.privateKey);

/** A keyless v0.3 bundle with a DSSE envelope, as `cosign sign --new-bundle-format` writes it. */
export function keylessDsseBundle(
  leaf: TestLeaf,
  log: TestLog,
  payload: Uint8Array,
  o: KeylessSignOptions & { payloadType?: string } = {},
): Buffer {
  const payloadType = o.payloadType ?? "application/vnd.in-toto+json";
  const signature = signWith(leaf, pae(payloadType, payload), o);
  const envelope = { payload: b64(payload), payloadType, signatures: [{ sig: b64(signature) }] };
  const body = dsseBody({
    envelopeJson: JSON.stringify(envelope),
    payload: o.logBytesInstead ?? payload,
    signature,
    pem: o.logCertificatePem ?? leaf.pem,
  });
  return bundleJson(leaf, o.noTlog ? [] : [logEntry(log, body, o).json], {
    dsseEnvelope: envelope,
  });
}

/** A keyless v0.3 bundle with a message signature over the image manifest bytes. */
export function keylessMessageBundle(
  leaf: TestLeaf,
  log: TestLog,
  manifest: Uint8Array,
  o: KeylessSignOptions = {},
): Buffer {
  const signature = signWith(leaf, manifest, o);
  const body = hashedrekordBody({
    digestHex: sha256Hex(o.logBytesInstead ?? manifest),
    signature,
    pem: o.logCertificatePem ?? leaf.pem,
  });
  return bundleJson(leaf, o.noTlog ? [] : [logEntry(log, body, o).json], {
    messageSignature: {
      messageDigest: {
        algorithm: "SHA2_256",
        digest: createHash("sha256").update(manifest).digest("base64"),
      },
      signature: b64(signature),
    },
  });
}

function bundleJson(
  leaf: TestLeaf,
  tlogEntries: unknown[],
  content: Record<string, unknown>,
): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { certificate: { rawBytes: b64(leaf.der) }, tlogEntries },
      ...content,
    }),
  );
}

/** A legacy `.sig` layer signed keyless, with cosign's certificate, chain and Rekor bundle annotations. */
export function keylessLegacyLayer(
  leaf: TestLeaf,
  log: TestLog,
  payload: Buffer,
  o: KeylessSignOptions & { chainPem?: string } = {},
): LegacyLayer {
  const signature = signWith(leaf, payload, o);
  const body = hashedrekordBody({
    digestHex: sha256Hex(o.logBytesInstead ?? payload),
    signature,
    pem: o.logCertificatePem ?? leaf.pem,
  });
  const entry = logEntry(log, body, o);
  const rekorBundle = JSON.stringify({
    SignedEntryTimestamp: b64(entry.set),
    Payload: {
      body: b64(body),
      integratedTime: entry.integratedTime,
      logIndex: entry.logIndex,
      logID: log.logId.toString("hex"),
    },
  });
  return {
    payload,
    signature: b64(signature),
    annotations: {
      "dev.sigstore.cosign/certificate": leaf.pem,
      ...(o.chainPem ? { "dev.sigstore.cosign/chain": o.chainPem } : {}),
      ...(o.noTlog ? {} : { "dev.sigstore.cosign/bundle": rekorBundle }),
    },
  };
}

// ---- reading them back -----------------------------------------------------------------------

/** Attaches a bundle as a referrer of `subject` and reads it back as cosign's sources would. */
export async function referrerCandidates(
  subject: string,
  bundle: Uint8Array,
): Promise<SignatureCandidate[]> {
  const store = new BlobStore();
  const m = bundleReferrerManifest(subject, bundle, store);
  return readSignatureManifest({
    manifest: m.bytes,
    source: { kind: "referrer", manifestDigest: m.digest },
    fetchBlob: store.fetchBlob,
  });
}

/** Pushes layers under the `.sig` tag and reads them back. */
export async function legacyCandidates(
  layers: readonly LegacyLayer[],
): Promise<SignatureCandidate[]> {
  const store = new BlobStore();
  const m = legacySignatureManifest(layers, store);
  return readSignatureManifest({
    manifest: m.bytes,
    source: { kind: "legacy-tag", manifestDigest: m.digest },
    fetchBlob: store.fetchBlob,
  });
}
