import { verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CURVE_ORDERS, ecdsaDerProblem } from "../../shared/signatures/ecdsa-der.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { readSignatureManifest } from "../../shared/signatures/read-signature-manifest.ts";
import { verifyImageSignatures } from "../../shared/signatures/verify-image-signatures.ts";
import {
  BlobStore,
  b64,
  ecdsaDer,
  ecdsaRS,
  generateTestKey,
  imageManifest,
  legacySignatureManifest,
  signBytes,
  simpleSigningPayload,
} from "../support/cosign-vectors.ts";

const P256 = CURVE_ORDERS["P-256"];
const key = generateTestKey("p256");
const message = Buffer.from("payload bytes");
const good = signBytes(key, message);
const { r, s } = ecdsaRS(good);
const zero = new Uint8Array([0]);
const plusOne = (v: Uint8Array) => {
  const out = Buffer.from(v);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = ((out[i] as number) + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
};

/** SEQUENCE of two INTEGERs with exactly these contents, no normalization. */
function rawDer(rContent: Uint8Array, sContent: Uint8Array): Buffer {
  const seq = Buffer.concat([
    Buffer.from([0x02, rContent.length]),
    rContent,
    Buffer.from([0x02, sContent.length]),
    sContent,
  ]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

/** Crafted signatures and the reason ecdsaDerProblem must give. */
const MALFORMED: [string, Buffer, RegExp][] = [
  ["empty", Buffer.alloc(0), /SEQUENCE/],
  ["not a SEQUENCE", Buffer.concat([Buffer.from([0x31]), good.subarray(1)]), /SEQUENCE/],
  ["a trailing byte", Buffer.concat([good, Buffer.from([0])]), /trailing/],
  ["truncated", good.subarray(0, good.length - 1), /truncated/],
  [
    "a non-minimal long-form length",
    Buffer.concat([Buffer.from([0x30, 0x81, good.length - 2]), good.subarray(2)]),
    /non-minimal length/,
  ],
  [
    "an indefinite length",
    Buffer.concat([Buffer.from([0x30, 0x80]), good.subarray(2), Buffer.from([0, 0])]),
    /indefinite/,
  ],
  ["r = 0", ecdsaDer(zero, s), /r is zero/],
  ["s = 0", ecdsaDer(r, zero), /s is zero/],
  ["r = s = 0", ecdsaDer(zero, zero), /r is zero/],
  ["r = n", ecdsaDer(P256, s), /r is not below the curve order/],
  ["s = n + 1", ecdsaDer(r, plusOne(P256)), /s is not below the curve order/],
  ["a negative r", rawDer(Buffer.from([0x81, 0x02]), s), /r is negative/],
  [
    "a padded r (non-minimal integer)",
    rawDer(Buffer.from([0x00, 0x01, 0x02]), s),
    /non-minimal encoding/,
  ],
  ["an empty s", rawDer(r, Buffer.alloc(0)), /s is empty/],
  [
    "extra data inside the SEQUENCE",
    (() => {
      const inner = Buffer.concat([good.subarray(2), Buffer.from([0x05, 0x00])]);
      return Buffer.concat([Buffer.from([0x30, inner.length]), inner]);
    })(),
    /extra data/,
  ],
];

describe("strict DER ECDSA signatures", () => {
  it("accepts node's own DER signatures", () => {
    for (let i = 0; i < 50; i++) {
      expect(ecdsaDerProblem(signBytes(key, Buffer.from(`m${i}`)), P256)).toBeNull();
    }
  });

  it.each(MALFORMED)("refuses %s", (_name, sig, reason) => {
    expect(ecdsaDerProblem(sig, P256)).toMatch(reason);
  });

  it("refuses every crafted signature end to end with SIGNATURE_MALFORMED, whatever node says", async () => {
    const image = imageManifest();
    const payload = simpleSigningPayload({ reference: "r.example/app", digest: image.digest });
    const store = new BlobStore();
    const manifest = legacySignatureManifest(
      MALFORMED.filter(([, sig]) => sig.length > 0).map(([, sig]) => ({
        payload,
        signature: b64(sig),
      })),
      store,
    );
    const candidates = await readSignatureManifest({
      manifest: manifest.bytes,
      source: { kind: "legacy-tag", manifestDigest: manifest.digest },
      fetchBlob: store.fetchBlob,
    });
    const result = verifyImageSignatures({
      imageDigest: image.digest,
      repository: "app",
      candidates,
      keys: [loadPublicKey(key.publicPem)],
    });
    expect(result.verified).toBe(false);
    expect(result.tried.map((t) => (t.verified ? "VERIFIED" : t.failure.code))).toEqual(
      Array(MALFORMED.length - 1).fill("SIGNATURE_MALFORMED"),
    );
  });

  it("accepts the high-s twin (r, n - s) of a valid signature, as Go's ecdsa.Verify does", () => {
    const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString("hex") || "0"}`);
    const twinS = big(P256) - big(s);
    const twin = ecdsaDer(r, Buffer.from(twinS.toString(16).padStart(64, "0"), "hex"));
    expect(twin.equals(good)).toBe(false);
    expect(ecdsaDerProblem(twin, P256)).toBeNull();
    expect(verify("sha256", message, key.publicKey, twin)).toBe(true);
  });
});
