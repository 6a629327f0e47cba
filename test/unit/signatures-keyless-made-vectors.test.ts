// Keyless vectors made here with node's crypto (test/support/sigstore-keyless-vectors.ts): a CA
// and Fulcio-style leaves, a fake Rekor log signing SETs and checkpoints, in cosign's three
// formats. Each negative changes one thing from a vector that verifies.
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileIdentities } from "../../shared/signatures/keyless/certificate-identity.ts";
import { loadTrustedRoot } from "../../shared/signatures/keyless/trusted-root.ts";
import {
  type VerifyKeylessInput,
  verifyKeyless,
} from "../../shared/signatures/keyless/verify-keyless.ts";
import type { SignatureCandidate } from "../../shared/signatures/signature-candidate.ts";
import { SignatureInputError } from "../../shared/signatures/signature-input-error.ts";
import type { KeylessVerificationResult } from "../../shared/signatures/verification-result.ts";
import {
  dsseBundle,
  generateTestKey,
  imageManifest,
  inTotoStatement,
  legacySignature,
  simpleSigningPayload,
} from "../support/cosign-vectors.ts";
import {
  keylessDsseBundle,
  keylessLegacyLayer,
  keylessMessageBundle,
  legacyCandidates,
  makeCa,
  makeLeaf,
  makeLog,
  referrerCandidates,
  T0,
  type TestLeaf,
  toPem,
  trustedRootJson,
} from "../support/sigstore-keyless-vectors.ts";

const GITHUB = "https://token.actions.githubusercontent.com";
const WORKFLOW = "https://github.com/team-a/api/.github/workflows/release.yml@refs/tags/v1.0.0";
const REPO = "team-a/api";
const REFERENCE = `registry.example.com/${REPO}`;

const ca = makeCa();
const log = makeLog();
const root = loadTrustedRoot(trustedRootJson({ cas: [{ ca }], logs: [log] }));
const leaf = makeLeaf(ca, { subject: WORKFLOW });
const ids = compileIdentities([
  {
    name: "release",
    issuer: GITHUB,
    subjectRegExp:
      "https://github\\.com/team-a/api/\\.github/workflows/release\\.yml@refs/tags/v.*",
  },
]);
const image = imageManifest();

const codes = (r: KeylessVerificationResult) =>
  r.tried.map((t) => (t.verified ? "VERIFIED" : t.failure.code));

function verify(
  candidates: SignatureCandidate[],
  p: Partial<VerifyKeylessInput> = {},
): KeylessVerificationResult {
  return verifyKeyless({
    imageDigest: image.digest,
    repository: REPO,
    imageManifest: image.bytes,
    candidates,
    trustedRoot: root,
    identities: ids,
    ...p,
  });
}

type Format = "dsse" | "message" | "legacy";
const FORMATS: readonly Format[] = ["dsse", "message", "legacy"];

/** The image signed by `signer` in one of cosign's formats, read back as candidates. */
function signed(
  format: Format,
  signer: TestLeaf = leaf,
  o: Parameters<typeof keylessLegacyLayer>[3] & { digest?: string; type?: string } = {},
): Promise<SignatureCandidate[]> {
  const digest = o.digest ?? image.digest;
  if (format === "dsse") {
    const statement = inTotoStatement({ digest, name: REFERENCE });
    return referrerCandidates(image.digest, keylessDsseBundle(signer, log, statement, o));
  }
  if (format === "message") {
    return referrerCandidates(image.digest, keylessMessageBundle(signer, log, image.bytes, o));
  }
  const payload = simpleSigningPayload({
    reference: REFERENCE,
    digest,
    ...(o.type ? { type: o.type } : {}),
  });
  return legacyCandidates([keylessLegacyLayer(signer, log, payload, o)]);
}

describe.each(FORMATS)("keyless %s signatures", (format) => {
  it.each(["v1", "v2", "both"] as const)(
    "verify with the OIDC issuer in the %s extension, naming the identity",
    async (issuerExtension) => {
      const signer = makeLeaf(ca, { subject: WORKFLOW, issuerExtension });
      const r = verify(await signed(format, signer));
      expect(codes(r)).toEqual(["VERIFIED"]);
      expect(r.verified && r.identity).toMatchObject({
        name: "release",
        issuer: GITHUB,
        subject: WORKFLOW,
        signedAt: "2026-06-15T12:01:00.000Z",
        timeSource: "transparency-log",
        logIndex: "7",
      });
    },
  );

  it("verify an email subject from another issuer when the policy names it", async () => {
    const google = makeLeaf(ca, {
      subject: "dev@example.com",
      issuer: "https://accounts.google.com",
    });
    const r = verify(await signed(format, google), {
      identities: compileIdentities([
        { issuer: GITHUB, subject: WORKFLOW },
        { name: "dev", issuer: "https://accounts.google.com", subject: "dev@example.com" },
      ]),
    });
    expect(r.verified && r.identity).toMatchObject({ name: "dev", subject: "dev@example.com" });
  });

  it.each<[string, () => TestLeaf]>([
    ["another issuer", () => makeLeaf(ca, { subject: WORKFLOW, issuer: "https://gitlab.com" })],
    [
      "another workflow",
      () => makeLeaf(ca, { subject: WORKFLOW.replace("release.yml", "debug.yml") }),
    ],
    [
      "a subject the regex matches only in part",
      () => makeLeaf(ca, { subject: `https://evil.example/?${WORKFLOW}` }),
    ],
    [
      "no OIDC issuer extension",
      () => makeLeaf(ca, { subject: WORKFLOW, issuerExtension: "none" }),
    ],
  ])("refuse %s (IDENTITY_MISMATCH)", async (_, make) => {
    expect(codes(verify(await signed(format, make())))).toEqual(["IDENTITY_MISMATCH"]);
  });

  it("refuse a certificate from a CA the root does not trust, even with the same name", async () => {
    const impostor = makeCa();
    expect(codes(verify(await signed(format, makeLeaf(impostor, { subject: WORKFLOW }))))).toEqual([
      "CERTIFICATE_UNTRUSTED",
    ]);
  });

  it("refuse a certificate expired, or not yet valid, at the integrated time", async () => {
    const late = await signed(format, leaf, {
      integratedTime: new Date(T0.getTime() + 11 * 60_000),
    });
    const r = verify(late);
    expect(codes(r)).toEqual(["CERTIFICATE_EXPIRED"]);
    expect(!r.verified && !r.tried[0]?.verified && r.tried[0]?.failure.message).toMatch(
      /valid from 2026-06-15T12:00:00.000Z to 2026-06-15T12:10:00.000Z, not at the signing time 2026-06-15T12:11:00.000Z/,
    );
    const early = await signed(format, leaf, { integratedTime: new Date(T0.getTime() - 60_000) });
    expect(codes(verify(early))).toEqual(["CERTIFICATE_EXPIRED"]);
  });

  it("refuse a certificate issued while the root did not trust its CA", async () => {
    const r = verify(await signed(format), {
      trustedRoot: loadTrustedRoot(
        trustedRootJson({ cas: [{ ca, end: "2026-01-01T00:00:00Z" }], logs: [log] }),
      ),
    });
    expect(codes(r)).toEqual(["CERTIFICATE_UNTRUSTED"]);
  });

  it("refuse a log entry for another body", async () => {
    const c = await signed(format, leaf, { logBytesInstead: Buffer.from("something else") });
    expect(codes(verify(c))).toEqual(["TLOG_BODY_MISMATCH"]);
  });

  it("refuse a log entry recorded for another certificate", async () => {
    const other = makeLeaf(ca, { subject: WORKFLOW });
    const c = await signed(format, leaf, { logCertificatePem: other.pem });
    const r = verify(c);
    expect(codes(r)).toEqual(["TLOG_BODY_MISMATCH"]);
    expect(!r.verified && !r.tried[0]?.verified && r.tried[0]?.failure.message).toMatch(
      /another certificate/,
    );
  });

  it("refuse an entry whose SET and checkpoint another log signed", async () => {
    const c = await signed(format, leaf, { signingLog: makeLog(log.origin) });
    expect(codes(verify(c))).toEqual(["TLOG_INCLUSION_INVALID"]);
  });

  it("refuse a signature with no log entry when the policy requires one", async () => {
    const c = await signed(format, leaf, { noTlog: true });
    expect(codes(verify(c))).toEqual(["TLOG_MISSING"]);
    // Not required: there is still no trusted time to judge the certificate at.
    expect(codes(verify(c, { options: { requireTlog: false } }))).toEqual(["TIMESTAMP_INVALID"]);
  });

  it("refuse an entry with an inclusion proof but no SET: no trusted signing time", async () => {
    const c = await signed(format, leaf, { inclusionPromise: false });
    if (format === "legacy") {
      // cosign's Rekor bundle annotation is the SET; there is no proof-only form of it.
      expect(codes(verify(c))).toEqual(["VERIFIED"]);
      return;
    }
    expect(codes(verify(c))).toEqual(["TIMESTAMP_INVALID"]);
  });

  it("verify an entry carrying the SET alone", async () => {
    expect(codes(verify(await signed(format, leaf, { inclusionProof: false })))).toEqual([
      "VERIFIED",
    ]);
  });

  it("refuse a signature the certificate's key did not make", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(codes(verify(await signed(format, leaf, { signatureKey: privateKey })))).toEqual([
      "SIGNATURE_INVALID",
    ]);
  });
});

describe("claims checked as the key-based path checks them", () => {
  it("refuses a legacy payload for another digest, or of another critical.type", async () => {
    expect(codes(verify(await signed("legacy", leaf, { digest: imageManifest().digest })))).toEqual(
      ["DIGEST_MISMATCH"],
    );
    expect(codes(verify(await signed("legacy", leaf, { type: "cosign attestation" })))).toEqual([
      "CRITICAL_TYPE_MISMATCH",
    ]);
  });

  it("refuses a DSSE statement about another image", async () => {
    expect(codes(verify(await signed("dsse", leaf, { digest: imageManifest().digest })))).toEqual([
      "SUBJECT_MISMATCH",
    ]);
  });

  it("checks the signed reference against the repository when asked", async () => {
    const options = { matchReference: true };
    for (const format of ["dsse", "legacy"] as const) {
      const c = await signed(format);
      expect(codes(verify(c, { options, registry: "registry.example.com" }))).toEqual(["VERIFIED"]);
      expect(codes(verify(c, { options, repository: "prod/api" }))).toEqual(["REFERENCE_MISMATCH"]);
    }
    // A message signature names no repository at all.
    expect(codes(verify(await signed("message"), { options }))).toEqual(["REFERENCE_MISMATCH"]);
  });
});

describe("verifyKeyless over an image's signatures", () => {
  it("refuses key-based signatures as not keyless", async () => {
    const key = generateTestKey("p256");
    const bundle = dsseBundle(key, { payload: inTotoStatement({ digest: image.digest }) });
    const c = [
      ...(await referrerCandidates(image.digest, bundle)),
      ...(await legacyCandidates([
        legacySignature(key, { reference: REFERENCE, digest: image.digest }),
      ])),
    ];
    expect(codes(verify(c))).toEqual(["CERTIFICATE_MISSING", "CERTIFICATE_MISSING"]);
  });

  it("passes on the first valid signature among invalid ones, listing what was tried", async () => {
    const stranger = makeLeaf(ca, { subject: "someone@example.com" });
    const c = [
      ...(await signed("legacy", stranger)),
      ...(await signed("dsse", makeLeaf(makeCa(), { subject: WORKFLOW }))),
      ...(await signed("message")),
      ...(await signed("dsse")),
    ];
    const r = verify(c);
    expect(codes(r)).toEqual(["IDENTITY_MISMATCH", "CERTIFICATE_UNTRUSTED", "VERIFIED"]);
    expect(r.verified && r.signature.format).toBe("message-signature");
  });

  it("reports no signatures, and stops trying past the candidate limit", async () => {
    expect(verify([])).toMatchObject({ verified: false, reason: "no-signatures", tried: [] });
    const many = [
      ...(await signed("legacy", makeLeaf(ca, { subject: "x@example.com" }))),
      ...(await signed("dsse")),
    ];
    const r = verify(many, { options: { limits: { maxCandidates: 1 } } });
    expect(codes(r)).toEqual(["IDENTITY_MISMATCH", "TOO_MANY_SIGNATURES"]);
  });

  it("accepts a chain annotation without trusting it", async () => {
    const impostor = makeCa();
    const layer = keylessLegacyLayer(
      makeLeaf(impostor, { subject: WORKFLOW }),
      log,
      simpleSigningPayload({ reference: REFERENCE, digest: image.digest }),
      { chainPem: toPem(impostor.der) },
    );
    expect(codes(verify(await legacyCandidates([layer])))).toEqual(["CERTIFICATE_UNTRUSTED"]);
  });

  it("throws SignatureInputError for unusable input", async () => {
    const c = await signed("dsse");
    expect(() => verify(c, { imageDigest: "sha256:abc" })).toThrow(SignatureInputError);
    expect(() => verify(c, { identities: [] })).toThrow(/no trusted identities/);
    expect(() => verify(c, { imageManifest: Buffer.from("other") })).toThrow(/hash to/);
    expect(() => verify(c, { options: { requireSct: true } })).toThrow(/CT logs/);
  });

  it("never verifies a legacy payload changed in any byte (property)", async () => {
    const payload = simpleSigningPayload({ reference: REFERENCE, digest: image.digest });
    const layer = keylessLegacyLayer(leaf, log, payload);
    const [good] = await legacyCandidates([layer]);
    expect(codes(verify([good as SignatureCandidate]))).toEqual(["VERIFIED"]);
    fc.assert(
      fc.property(fc.nat(payload.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bytes = Buffer.from(payload);
        bytes[at] = (bytes[at] as number) ^ flip;
        const r = verify([
          { ...(good as SignatureCandidate), payload: bytes } as SignatureCandidate,
        ]);
        expect(r.verified).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
