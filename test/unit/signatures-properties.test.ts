import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBundleBase64, decodeStdBase64 } from "../../shared/signatures/base64-strict.ts";
import { CURVE_ORDERS, ecdsaDerProblem } from "../../shared/signatures/ecdsa-der.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import type {
  DsseCandidate,
  SignatureCandidate,
  SimpleSigningCandidate,
} from "../../shared/signatures/signature-candidate.ts";
import { parseSigstoreBundle } from "../../shared/signatures/sigstore-bundle.ts";
import { verifyImageSignatures } from "../../shared/signatures/verify-image-signatures.ts";
import {
  dsseBundle,
  ecdsaDer,
  generateTestKey,
  inTotoStatement,
  KEY_KINDS,
  type KeyKind,
  signBytes,
  simpleSigningPayload,
  type TestKey,
} from "../support/cosign-vectors.ts";

const REGISTRY = "registry.example.com";
const keys = Object.fromEntries(KEY_KINDS.map((k) => [k, generateTestKey(k)])) as Record<
  KeyKind,
  TestKey
>;
const trusted = Object.fromEntries(
  KEY_KINDS.map((k) => [k, loadPublicKey(keys[k].publicPem, { name: k })]),
) as Record<KeyKind, ReturnType<typeof loadPublicKey>>;

const digestArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `sha256:${Buffer.from(b).toString("hex")}`);
const repoArb = fc
  .array(fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join("/"));
const kindArb = fc.constantFrom(...KEY_KINDS);

function legacyCandidate(payload: Uint8Array, signature: Uint8Array): SimpleSigningCandidate {
  return {
    source: { kind: "legacy-tag", manifestDigest: `sha256:${"0".repeat(64)}` },
    format: "simplesigning",
    mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
    payload,
    signature,
    keyless: {},
  };
}

function dsseCandidate(key: TestKey, digest: string): DsseCandidate {
  const bundle = parseSigstoreBundle(dsseBundle(key, { payload: inTotoStatement({ digest }) }));
  if (bundle.content.kind !== "dsse") throw new Error("expected DSSE");
  const { envelope } = bundle.content;
  return {
    source: { kind: "referrer", manifestDigest: `sha256:${"0".repeat(64)}` },
    format: "dsse",
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signature: envelope.signatures[0]?.sig as Uint8Array,
    bundle,
  };
}

const verified = (
  digest: string,
  repository: string,
  c: SignatureCandidate,
  matchReference = false,
) =>
  verifyImageSignatures({
    imageDigest: digest,
    repository,
    registry: REGISTRY,
    candidates: [c],
    keys: KEY_KINDS.map((k) => trusted[k]),
    options: { matchReference },
  }).verified;

const flip = (bytes: Uint8Array, at: number, mask: number) => {
  const out = Uint8Array.from(bytes);
  out[at % out.length] = (out[at % out.length] as number) ^ mask;
  return out;
};
const maskArb = fc.integer({ min: 1, max: 255 });

describe("signature properties", () => {
  it("valid cosign signatures always verify, whatever the image, repository and annotations", () => {
    fc.assert(
      fc.property(
        kindArb,
        digestArb,
        repoArb,
        fc.option(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), {
          nil: undefined,
        }),
        (kind, digest, repo, optional) => {
          const payload = simpleSigningPayload({
            reference: `${REGISTRY}/${repo}`,
            digest,
            optional,
          });
          const c = legacyCandidate(payload, signBytes(keys[kind], payload));
          expect(verified(digest, repo, c, true)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("valid DSSE bundles always verify", () => {
    fc.assert(
      fc.property(kindArb, digestArb, (kind, digest) => {
        expect(verified(digest, "any/repo", dsseCandidate(keys[kind], digest))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("flipping any byte of a simple-signing payload or its signature never verifies", () => {
    fc.assert(
      fc.property(
        kindArb,
        digestArb,
        fc.boolean(),
        fc.nat(),
        maskArb,
        (kind, digest, inSignature, at, mask) => {
          const payload = simpleSigningPayload({ reference: `${REGISTRY}/app`, digest });
          const signature = signBytes(keys[kind], payload);
          const c = inSignature
            ? legacyCandidate(payload, flip(signature, at, mask))
            : legacyCandidate(flip(payload, at, mask), signature);
          expect(verified(digest, "app", c)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("flipping any byte of a DSSE payload, payloadType or signature never verifies", () => {
    fc.assert(
      fc.property(
        kindArb,
        digestArb,
        fc.constantFrom("payload", "payloadType", "signature"),
        fc.nat(),
        maskArb,
        (kind, digest, part, at, mask) => {
          const c = dsseCandidate(keys[kind], digest);
          const tampered: DsseCandidate =
            part === "payload"
              ? { ...c, payload: flip(c.payload, at, mask) }
              : part === "signature"
                ? { ...c, signature: flip(c.signature, at, mask) }
                : {
                    ...c,
                    payloadType: Buffer.from(flip(Buffer.from(c.payloadType), at, mask)).toString(
                      "latin1",
                    ),
                  };
          expect(verified(digest, "app", tampered)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the DER check never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const problem = ecdsaDerProblem(bytes, CURVE_ORDERS["P-256"]);
        expect(problem === null || typeof problem === "string").toBe(true);
      }),
    );
  });

  it("a minimal DER (r, s) is accepted exactly when 0 < r, s < n", () => {
    const n = BigInt(`0x${Buffer.from(CURVE_ORDERS["P-256"]).toString("hex")}`);
    const magnitude = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 33 }),
      fc.constantFrom(CURVE_ORDERS["P-256"], new Uint8Array(32).fill(0xff), new Uint8Array([0])),
    );
    const value = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString("hex") || "0"}`);
    fc.assert(
      fc.property(magnitude, magnitude, (r, s) => {
        const inRange = (v: bigint) => v > 0n && v < n;
        const ok = ecdsaDerProblem(ecdsaDer(r, s), CURVE_ORDERS["P-256"]) === null;
        expect(ok).toBe(inRange(value(r)) && inRange(value(s)));
      }),
      { numRuns: 500 },
    );
  });

  it("base64 decoders round-trip standard and URL-safe, padded and not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (bytes) => {
        const std = Buffer.from(bytes).toString("base64");
        const url = Buffer.from(bytes).toString("base64url");
        expect(decodeStdBase64(std)).toEqual(Uint8Array.from(bytes));
        expect(decodeBundleBase64(std)).toEqual(Uint8Array.from(bytes));
        expect(decodeBundleBase64(url)).toEqual(Uint8Array.from(bytes));
        expect(decodeStdBase64(`${std} `)).toBeNull();
      }),
    );
  });
});
