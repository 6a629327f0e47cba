// verifyTrusted: one image against keys and keyless identities at once, with one result type
// (VerificationResult) whichever path verified, and each refusal from the path its signature
// belongs to.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileIdentities } from "../../shared/signatures/keyless/certificate-identity.ts";
import { loadTrustedRoot } from "../../shared/signatures/keyless/trusted-root.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import type { SignatureCandidate } from "../../shared/signatures/signature-candidate.ts";
import { SignatureInputError } from "../../shared/signatures/signature-input-error.ts";
import {
  describeSigner,
  type VerificationResult,
} from "../../shared/signatures/verification-result.ts";
import { verifyImageSignatures } from "../../shared/signatures/verify-image-signatures.ts";
import { type VerifyTrustedInput, verifyTrusted } from "../../shared/signatures/verify-trusted.ts";
import {
  dsseBundle,
  generateTestKey,
  imageManifest,
  inTotoStatement,
  legacySignature,
} from "../support/cosign-vectors.ts";
import {
  keylessDsseBundle,
  legacyCandidates,
  makeCa,
  makeLeaf,
  makeLog,
  referrerCandidates,
  trustedRootJson,
} from "../support/sigstore-keyless-vectors.ts";

const GITHUB = "https://token.actions.githubusercontent.com";
const REFERENCE = "registry.example.com/team/app";
const image = imageManifest();
const key = generateTestKey("p256");
const stranger = generateTestKey("p256");
const ca = makeCa();
const log = makeLog();
const ours = makeLeaf(ca, { subject: "release@example.com" });
const theirs = makeLeaf(ca, { subject: "mallory@example.com" });
const keys = [loadPublicKey(key.publicPem, { name: "release" })];
const keyless = {
  trustedRoot: loadTrustedRoot(trustedRootJson({ cas: [{ ca }], logs: [log] })),
  identities: compileIdentities([{ name: "ci", issuer: GITHUB, subject: "release@example.com" }]),
};

type Kind = "key" | "wrong-key" | "keyless" | "wrong-identity";
const statement = inTotoStatement({ digest: image.digest, name: REFERENCE });
const pool: Record<Kind, SignatureCandidate[]> = {
  key: await legacyCandidates([
    legacySignature(key, { reference: REFERENCE, digest: image.digest }),
  ]),
  "wrong-key": await referrerCandidates(image.digest, dsseBundle(stranger, { payload: statement })),
  keyless: await referrerCandidates(image.digest, keylessDsseBundle(ours, log, statement)),
  "wrong-identity": await referrerCandidates(
    image.digest,
    keylessDsseBundle(theirs, log, statement),
  ),
};
/** The refusal each kind gets when nothing verifies: from the path its material belongs to. */
const REFUSAL: Record<Kind, string> = {
  key: "VERIFIED",
  "wrong-key": "SIGNATURE_INVALID",
  keyless: "VERIFIED",
  "wrong-identity": "IDENTITY_MISMATCH",
};

const run = (kinds: Kind[], trust: Partial<VerifyTrustedInput> = { keys, keyless }) =>
  verifyTrusted({
    imageDigest: image.digest,
    imageManifest: image.bytes,
    repository: "team/app",
    candidates: kinds.flatMap((k) => pool[k]),
    ...trust,
  });
const codes = (r: VerificationResult) =>
  r.tried.map((t) => (t.verified ? "VERIFIED" : t.failure.code));

describe("verifyTrusted", () => {
  it("names the key when a key verified, the identity when a certificate did", () => {
    const byKey = run(["key"]);
    expect(byKey.verified && "key" in byKey && byKey.key.name).toBe("release");
    expect(describeSigner(byKey as Extract<VerificationResult, { verified: true }>)).toMatch(
      /^key release \([0-9a-f]{16}, ecdsa\)$/,
    );
    const byIdentity = run(["wrong-key", "keyless"]);
    expect(byIdentity.verified && "identity" in byIdentity && byIdentity.identity).toMatchObject({
      name: "ci",
      issuer: GITHUB,
      subject: "release@example.com",
    });
    expect(describeSigner(byIdentity as Extract<VerificationResult, { verified: true }>)).toBe(
      `ci: issuer ${GITHUB}, subject release@example.com`,
    );
  });

  it("with keys only, is verifyImageSignatures", () => {
    const candidates = [...pool["wrong-key"], ...pool.keyless, ...pool.key];
    const input = { imageDigest: image.digest, repository: "team/app", candidates, keys };
    expect(verifyTrusted(input)).toEqual(verifyImageSignatures(input));
  });

  it("with identities only, refuses a key-based signature as not keyless", () => {
    expect(codes(run(["key", "wrong-identity"], { keyless }))).toEqual([
      "CERTIFICATE_MISSING",
      "IDENTITY_MISMATCH",
    ]);
  });

  it("refuses to trust nothing", () => {
    expect(() => run(["key"], {})).toThrow(SignatureInputError);
    expect(() => run(["key"], { keys: [] })).toThrow(/nothing trusted/);
  });

  it("verifies exactly when a signature verifies by either path, else reports each by its path (property)", () => {
    const kinds = fc.array(fc.constantFrom<Kind>("key", "wrong-key", "keyless", "wrong-identity"), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(kinds, (list) => {
        const r = run(list);
        // Keys are tried first, over every signature; identities only when no key verified.
        const byKey = list.indexOf("key");
        const byIdentity = list.indexOf("keyless");
        expect(r.verified).toBe(byKey >= 0 || byIdentity >= 0);
        if (r.verified) {
          expect("key" in r).toBe(byKey >= 0);
          expect(r.tried).toHaveLength((byKey >= 0 ? byKey : byIdentity) + 1);
        } else {
          expect(r.reason).toBe(list.length === 0 ? "no-signatures" : "no-valid-signature");
          expect(codes(r)).toEqual(list.map((k) => REFUSAL[k]));
        }
      }),
      { numRuns: 60 },
    );
  });
});
