// Notation (Notary Project) vectors made with node's crypto: a CA (or signing-authority root), an
// optional intermediate and a code-signing leaf in minimal DER X.509 (RFC 5280) with RFC 4514
// subjects, and envelopes exactly as the Notary Project specs write them: JWS JSON serialization
// (signature-envelope-jws.md) and COSE_Sign1_Tagged (signature-envelope-cose.md), over the payload
// {"targetArtifact": descriptor}, in an OCI 1.1 referrer of artifactType
// application/vnd.cncf.notary.signature.
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  randomBytes,
} from "node:crypto";
import { encode, Tag } from "cbor2";
import { BlobStore, digestOf, imageManifest } from "./cosign-vectors.ts";
import {
  bits,
  bool,
  explicit,
  integer,
  octet,
  oid,
  printable,
  seq,
  set,
  time,
  utf8,
} from "./der.ts";
import { toPem } from "./sigstore-keyless-vectors.ts";

// ---- X.509 pieces (DER primitives in der.ts) ----------------------------------------------------

const ATTRIBUTE_OIDS: Record<string, string> = {
  C: "2.5.4.6",
  ST: "2.5.4.8",
  L: "2.5.4.7",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  CN: "2.5.4.3",
};

/** An X.509 Name from `[["C","US"],["ST","WA"],…]`, one attribute per RDN, in that order. */
function dn(attrs: readonly (readonly [string, string])[]): Buffer {
  return seq(
    ...attrs.map(([t, v]) =>
      set(seq(oid(ATTRIBUTE_OIDS[t] as string), t === "C" ? printable(v) : utf8(v))),
    ),
  );
}
const ext = (id: string, critical: boolean, value: Uint8Array) =>
  critical ? seq(oid(id), bool(true), octet(value)) : seq(oid(id), octet(value));
const ECDSA_SHA384 = seq(oid("1.2.840.10045.4.3.3"));

export type Dn = readonly (readonly [string, string])[];

export interface TestCert {
  der: Buffer;
  pem: string;
  name: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function certificate(p: {
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
    integer(randomBytes(16)),
    ECDSA_SHA384,
    p.issuer,
    seq(time(p.notBefore), time(p.notAfter)),
    p.subject,
    p.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(...p.extensions)),
  );
  return seq(tbs, ECDSA_SHA384, bits(nodeSign("sha384", tbs, p.signer)));
}

export const NOW = new Date("2026-06-15T12:00:00Z");
const YEAR = 365 * 24 * 3600_000;

/** A CA (self-signed root, or an intermediate under `issuer`): basicConstraints CA, keyCertSign. */
export function makeCa(
  p: { subject?: Dn; issuer?: TestCert; notBefore?: Date; notAfter?: Date } = {},
): TestCert {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const name = dn(
    p.subject ?? [
      ["C", "US"],
      ["ST", "WA"],
      ["O", "registry-guard test"],
      ["CN", "Notation Test Root"],
    ],
  );
  const der = certificate({
    issuer: p.issuer?.name ?? name,
    subject: name,
    notBefore: p.notBefore ?? new Date(NOW.getTime() - YEAR),
    notAfter: p.notAfter ?? new Date(NOW.getTime() + 10 * YEAR),
    publicKey,
    signer: p.issuer?.privateKey ?? privateKey,
    extensions: [
      ext("2.5.29.15", true, bits(Buffer.from([0x06]), 1)),
      ext("2.5.29.19", true, seq(bool(true))),
    ],
  });
  return { der, pem: toPem(der), name, privateKey, publicKey };
}

export type LeafKey = "rsa2048" | "rsa3072" | "rsa4096" | "p256" | "p384" | "p521";

export const LEAF_SUBJECT: Dn = [
  ["C", "US"],
  ["ST", "WA"],
  ["L", "Seattle"],
  ["O", "Acme Rockets"],
  ["CN", "release signer"],
];

/** A code-signing leaf (digitalSignature, EKU codeSigning, not a CA) of the given key type. */
export function makeLeaf(
  issuer: TestCert,
  p: { key?: LeafKey; subject?: Dn; notBefore?: Date; notAfter?: Date; eku?: string } = {},
): TestCert {
  const key = p.key ?? "p256";
  const pair = key.startsWith("rsa")
    ? generateKeyPairSync("rsa", { modulusLength: Number(key.slice(3)) })
    : generateKeyPairSync("ec", {
        namedCurve: { p256: "P-256", p384: "P-384", p521: "P-521" }[key as "p256"],
      });
  const name = dn(p.subject ?? LEAF_SUBJECT);
  const der = certificate({
    issuer: issuer.name,
    subject: name,
    notBefore: p.notBefore ?? new Date(NOW.getTime() - 30 * 24 * 3600_000),
    notAfter: p.notAfter ?? new Date(NOW.getTime() + YEAR),
    publicKey: pair.publicKey,
    signer: issuer.privateKey,
    extensions: [
      ext("2.5.29.15", true, bits(Buffer.from([0x80]), 7)),
      ext("2.5.29.19", true, seq()),
      ext("2.5.29.37", false, seq(oid(p.eku ?? "1.3.6.1.5.5.7.3.3"))),
    ],
  });
  return { der, pem: toPem(der), name, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

// ---- envelopes -------------------------------------------------------------------------------

export const ALG_FOR: Record<LeafKey, string> = {
  rsa2048: "PS256",
  rsa3072: "PS384",
  rsa4096: "PS512",
  p256: "ES256",
  p384: "ES384",
  p521: "ES512",
};
const COSE_ALG: Record<string, number> = {
  PS256: -37,
  PS384: -38,
  PS512: -39,
  ES256: -7,
  ES384: -35,
  ES512: -36,
};
const HASH: Record<string, string> = {
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};

/** JWS / COSE signature as Notation writes it: RSASSA-PSS salt = hash length, ECDSA r || s. */
export function signWith(alg: string, key: KeyObject, data: Uint8Array): Buffer {
  const hash = HASH[alg] as string;
  return alg.startsWith("PS")
    ? nodeSign(hash, data, {
        key,
        padding: 6 /* RSA_PKCS1_PSS_PADDING */,
        saltLength: createHash(hash).digest().length,
      })
    : nodeSign(hash, data, { key, dsaEncoding: "ieee-p1363" });
}

/** The Notary Project payload for an image. */
export function notationPayload(target: {
  digest: string;
  size: number;
  mediaType?: string;
}): Buffer {
  return Buffer.from(
    JSON.stringify({
      targetArtifact: {
        mediaType: target.mediaType ?? "application/vnd.oci.image.manifest.v1+json",
        digest: target.digest,
        size: target.size,
      },
    }),
  );
}

export interface EnvelopeOptions {
  scheme?: "notary.x509" | "notary.x509.signingAuthority";
  signingTime?: Date;
  expiry?: Date;
  alg?: string;
  /** Extra protected headers, and extra crit names. */
  extraHeaders?: Record<string, unknown>;
  extraCrit?: string[];
  /** Replace the crit list entirely. */
  crit?: string[];
  contentType?: string;
  /** Sign with this key instead of the leaf's. */
  signer?: KeyObject;
}

function protectedFields(o: EnvelopeOptions) {
  const scheme = o.scheme ?? "notary.x509";
  const timeHeader =
    scheme === "notary.x509" ? "io.cncf.notary.signingTime" : "io.cncf.notary.authenticSigningTime";
  const crit = o.crit ?? [
    "io.cncf.notary.signingScheme",
    ...(scheme === "notary.x509.signingAuthority" ? ["io.cncf.notary.authenticSigningTime"] : []),
    ...(o.expiry ? ["io.cncf.notary.expiry"] : []),
    ...(o.extraCrit ?? []),
  ];
  return {
    scheme,
    timeHeader,
    crit,
    signingTime: o.signingTime ?? new Date(NOW.getTime() - 3600_000),
  };
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** A JWS JSON serialization envelope, as notation writes with `--signature-format jws`. */
export function jwsEnvelope(
  payload: Uint8Array,
  chain: readonly TestCert[],
  leafKey: LeafKey,
  o: EnvelopeOptions = {},
): Buffer {
  const f = protectedFields(o);
  const alg = o.alg ?? ALG_FOR[leafKey];
  const header = {
    alg,
    crit: f.crit,
    cty: o.contentType ?? "application/vnd.cncf.notary.payload.v1+json",
    "io.cncf.notary.signingScheme": f.scheme,
    [f.timeHeader]: rfc3339(f.signingTime),
    ...(o.expiry ? { "io.cncf.notary.expiry": rfc3339(o.expiry) } : {}),
    ...(o.extraHeaders ?? {}),
  };
  const prot = Buffer.from(JSON.stringify(header)).toString("base64url");
  const pay = Buffer.from(payload).toString("base64url");
  const signature = signWith(
    alg,
    o.signer ?? (chain[0] as TestCert).privateKey,
    Buffer.from(`${prot}.${pay}`, "ascii"),
  );
  return Buffer.from(
    JSON.stringify({
      payload: pay,
      protected: prot,
      header: {
        x5c: chain.map((c) => c.der.toString("base64")),
        "io.cncf.notary.signingAgent": "notation-go/1.3.0",
      },
      signature: signature.toString("base64url"),
    }),
  );
}

/** A COSE_Sign1_Tagged envelope, as notation writes with `--signature-format cose`. */
export function coseEnvelope(
  payload: Uint8Array,
  chain: readonly TestCert[],
  leafKey: LeafKey,
  o: EnvelopeOptions = {},
): Buffer {
  const f = protectedFields(o);
  const alg = o.alg ?? ALG_FOR[leafKey];
  // cbor2 encodes a Buffer as an object: byte strings must be plain Uint8Arrays.
  const body = new Uint8Array(payload);
  const prot = new Map<unknown, unknown>([
    [1, COSE_ALG[alg] ?? -257],
    [2, f.crit],
    [3, o.contentType ?? "application/vnd.cncf.notary.payload.v1+json"],
    ["io.cncf.notary.signingScheme", f.scheme],
    [f.timeHeader, new Tag(1, Math.floor(f.signingTime.getTime() / 1000))],
    ...(o.expiry
      ? [["io.cncf.notary.expiry", new Tag(1, Math.floor(o.expiry.getTime() / 1000))] as const]
      : []),
    ...Object.entries(o.extraHeaders ?? {}),
  ]);
  const protectedBytes = encode(prot);
  const toBeSigned = encode(["Signature1", protectedBytes, new Uint8Array(0), body]);
  const signature = signWith(alg, o.signer ?? (chain[0] as TestCert).privateKey, toBeSigned);
  const unprotected = new Map<unknown, unknown>([
    [33, chain.map((c) => new Uint8Array(c.der))],
    ["io.cncf.notary.signingAgent", "notation-go/1.3.0"],
  ]);
  return Buffer.from(
    encode(new Tag(18, [protectedBytes, unprotected, body, new Uint8Array(signature)])),
  );
}

/** The OCI 1.1 referrer notation pushes: empty config, one envelope layer, the image as subject. */
export function notationReferrer(
  envelope: Uint8Array,
  mediaType: string,
  subject: { digest: string; size: number },
  store: BlobStore,
): { bytes: Buffer; digest: string } {
  const layerDigest = store.put(envelope);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      artifactType: "application/vnd.cncf.notary.signature",
      config: {
        mediaType: "application/vnd.oci.empty.v1+json",
        digest: digestOf(Buffer.from("{}")),
        size: 2,
      },
      layers: [{ mediaType, digest: layerDigest, size: envelope.length }],
      subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", ...subject },
      annotations: { "io.cncf.notary.x509chain.thumbprint#S256": "[]" },
    }),
  );
  return { bytes, digest: digestOf(bytes) };
}

export { BlobStore, imageManifest };
