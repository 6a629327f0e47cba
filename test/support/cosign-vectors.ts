// Builds signature vectors with node's crypto in exactly the formats cosign writes: the simple-
// signing payload (sigstore/sigstore payload.go, Go's json.Marshal), the `.sig` tag manifest with
// the signature annotation (cosign specs/SIGNATURE_SPEC.md), Sigstore bundles v0.3 in protobuf
// JSON (sigstore/protobuf-specs), DSSE PAE (secure-systems-lab/dsse), the in-toto statement of
// `cosign sign --new-bundle-format`, and the referrer manifest of cosign specs/BUNDLE_SPEC.md.
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  randomBytes,
} from "node:crypto";
import type { FetchBlob } from "../../shared/signatures/fetch-blob.ts";

export type KeyKind = "p256" | "p384" | "ed25519" | "rsa";
export const KEY_KINDS: readonly KeyKind[] = ["p256", "p384", "ed25519", "rsa"];

export interface TestKey {
  kind: KeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** `-----BEGIN PUBLIC KEY-----`, as `cosign generate-key-pair` writes cosign.pub. */
  publicPem: string;
  spkiDer: Buffer;
  /** The digest cosign signs with for this key (sigstore's default algorithm details). */
  hash: "sha256" | "sha384" | null;
}

export function generateTestKey(kind: KeyKind): TestKey {
  const pair =
    kind === "ed25519"
      ? generateKeyPairSync("ed25519")
      : kind === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ec", { namedCurve: kind === "p256" ? "P-256" : "P-384" });
  return {
    kind,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    spkiDer: pair.publicKey.export({ type: "spki", format: "der" }),
    hash: kind === "ed25519" ? null : kind === "p384" ? "sha384" : "sha256",
  };
}

/** Signs like cosign: ECDSA DER-encoded, RSA PKCS#1 v1.5, Ed25519 pure. */
export function signBytes(key: TestKey, message: Uint8Array): Buffer {
  return nodeSign(key.hash, message, key.privateKey);
}

export const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
export const digestOf = (b: Uint8Array) => `sha256:${sha256Hex(b)}`;
export const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** JSON.stringify plus the HTML escaping Go's json.Marshal applies. */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Go marshals map keys sorted; a nil map as null. */
function sortedMap(m: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!m) return null;
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]]),
  );
}

/** payload.Cosign{Image, Annotations}.MarshalJSON(): field order critical{identity,image,type}, optional. */
export function simpleSigningPayload(p: {
  reference: string;
  digest: string;
  type?: string;
  optional?: Record<string, unknown>;
}): Buffer {
  return Buffer.from(
    goJson({
      critical: {
        identity: { "docker-reference": p.reference },
        image: { "docker-manifest-digest": p.digest },
        type: p.type ?? "cosign container image signature",
      },
      optional: sortedMap(p.optional),
    }),
  );
}

/** A small OCI image manifest with random content: the image being verified. */
export function imageManifest(): { bytes: Buffer; digest: string } {
  const layer = randomBytes(32);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: digestOf(Buffer.from("{}")),
        size: 2,
      },
      layers: [
        {
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: digestOf(layer),
          size: layer.length,
        },
      ],
    }),
  );
  return { bytes, digest: digestOf(bytes) };
}

/** cosign's tag for an image's signatures: sha256:<hex> → sha256-<hex>.sig. */
export const signatureTag = (digest: string) => `${digest.replace(":", "-")}.sig`;

/** A registry's blob store: content-addressed, counting fetches. */
export class BlobStore {
  readonly blobs = new Map<string, Uint8Array>();
  fetched: string[] = [];

  put(bytes: Uint8Array): string {
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }

  readonly fetchBlob: FetchBlob = async (digest) => {
    this.fetched.push(digest);
    const blob = this.blobs.get(digest);
    if (!blob) throw new Error(`blob ${digest} unknown`);
    return blob;
  };
}

export interface LegacyLayer {
  payload: Uint8Array;
  /** The annotation value; null leaves the annotation out. */
  signature: string | null;
  mediaType?: string;
  /** Declared size when it should lie. */
  size?: number;
  annotations?: Record<string, string>;
}

/** The simple-signing payload for an image and its base64 signature, as `cosign sign --key`. */
export function legacySignature(
  key: TestKey,
  p: { reference: string; digest: string; type?: string; optional?: Record<string, unknown> },
): LegacyLayer {
  const payload = simpleSigningPayload(p);
  return { payload, signature: b64(signBytes(key, payload)) };
}

/** The manifest cosign pushes to the `.sig` tag: one simple-signing layer per signature. */
export function legacySignatureManifest(
  layers: readonly LegacyLayer[],
  store: BlobStore,
  extra: Record<string, unknown> = {},
): { bytes: Buffer; digest: string } {
  const config = Buffer.from(
    JSON.stringify({ architecture: "", os: "", rootfs: { type: "layers", diff_ids: [] } }),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      size: config.length,
      digest: store.put(config),
    },
    layers: layers.map((l) => ({
      mediaType: l.mediaType ?? "application/vnd.dev.cosign.simplesigning.v1+json",
      size: l.size ?? l.payload.length,
      digest: store.put(l.payload),
      annotations: {
        ...(l.signature === null ? {} : { "dev.cosignproject.cosign/signature": l.signature }),
        ...l.annotations,
      },
    })),
    ...extra,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { bytes, digest: digestOf(bytes) };
}

/** The statement `cosign sign --new-bundle-format` signs (protojson of in-toto v1). */
export function inTotoStatement(p: {
  digest: string;
  predicateType?: string;
  name?: string;
  type?: string;
}): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: p.type ?? "https://in-toto.io/Statement/v1",
      subject: [
        {
          ...(p.name ? { name: p.name } : {}),
          digest: { sha256: p.digest.slice("sha256:".length) },
        },
      ],
      predicateType: p.predicateType ?? "https://sigstore.dev/cosign/sign/v1",
      predicate: {},
    }),
  );
}

/** DSSE v1 PAE, written independently of the code under test. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const t = Buffer.from(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${t.length} `),
    t,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** cosign's key hint: base64(sha256(SPKI DER)). */
export const keyHint = (key: TestKey) => createHash("sha256").update(key.spkiDer).digest("base64");

/** A key-based v0.3 bundle holding a DSSE envelope, as sigstore-go's signer writes it. */
export function dsseBundle(
  key: TestKey,
  p: {
    payload: Uint8Array;
    payloadType?: string;
    /** Sign PAE over this type instead of the envelope's (a forged envelope). */
    signedPayloadType?: string;
    /** Sign these bytes instead of the PAE (e.g. the bare payload). */
    signedBytes?: Uint8Array;
    extraSignatures?: number;
    mediaType?: string;
  },
): Buffer {
  const payloadType = p.payloadType ?? "application/vnd.in-toto+json";
  const signed = p.signedBytes ?? pae(p.signedPayloadType ?? payloadType, p.payload);
  const sig = b64(signBytes(key, signed));
  return Buffer.from(
    JSON.stringify({
      mediaType: p.mediaType ?? "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { publicKey: { hint: keyHint(key) } },
      dsseEnvelope: {
        payload: b64(p.payload),
        payloadType,
        signatures: Array.from({ length: 1 + (p.extraSignatures ?? 0) }, () => ({ sig })),
      },
    }),
  );
}

/** A key-based v0.3 bundle with a message signature over the image manifest bytes. */
export function messageSignatureBundle(
  key: TestKey,
  manifest: Uint8Array,
  p: { digestOf?: Uint8Array; algorithm?: string } = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { publicKey: { hint: keyHint(key) } },
      messageSignature: {
        messageDigest: {
          algorithm: p.algorithm ?? "SHA2_256",
          digest: createHash("sha256")
            .update(p.digestOf ?? manifest)
            .digest("base64"),
        },
        signature: b64(signBytes(key, manifest)),
      },
    }),
  );
}

/** The referrer manifest cosign writes for a bundle (specs/BUNDLE_SPEC.md). */
export function bundleReferrerManifest(
  subjectDigest: string,
  bundle: Uint8Array,
  store: BlobStore,
  p: { layerMediaType?: string; artifactType?: string } = {},
): { bytes: Buffer; digest: string } {
  const empty = Buffer.from("{}");
  const layerDigest = store.put(bundle);
  const manifest = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    schemaVersion: 2,
    artifactType: p.artifactType ?? "application/vnd.dev.sigstore.bundle.v0.3+json",
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: store.put(empty), size: 2 },
    layers: [
      {
        digest: layerDigest,
        mediaType: p.layerMediaType ?? "application/vnd.dev.sigstore.bundle.v0.3+json",
        size: bundle.length,
        annotations: {
          "org.opencontainers.image.title": `${layerDigest.replace(":", "-")}.sigstore.json`,
        },
      },
    ],
    annotations: {
      "dev.sigstore.bundle.content": "dsse-envelope",
      "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
      "org.opencontainers.image.created": "2026-06-15T12:00:00Z",
    },
    subject: { digest: subjectDigest, mediaType: "application/vnd.oci.image.manifest.v1+json" },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { bytes, digest: digestOf(bytes) };
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` from raw magnitudes, minimal, for crafted signatures. */
export function ecdsaDer(r: Uint8Array, s: Uint8Array): Buffer {
  const int = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    let body = Buffer.from(v.subarray(i));
    if (body.length === 0) body = Buffer.from([0]);
    if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([int(r), int(s)]);
  const len = seq.length < 0x80 ? Buffer.from([seq.length]) : Buffer.from([0x81, seq.length]);
  return Buffer.concat([Buffer.from([0x30]), len, seq]);
}

/** Splits a DER ECDSA signature into its r and s magnitudes. */
export function ecdsaRS(der: Uint8Array): { r: Buffer; s: Buffer } {
  const b = Buffer.from(der);
  let at = b[1] === 0x81 ? 3 : 2;
  const rLen = b[at + 1] as number;
  const r = b.subarray(at + 2, at + 2 + rLen);
  at = at + 2 + rLen;
  const sLen = b[at + 1] as number;
  return { r, s: b.subarray(at + 2, at + 2 + sLen) };
}
