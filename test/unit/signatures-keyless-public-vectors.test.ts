// Keyless verification of signatures made on Sigstore's public instances, offline, against the
// trusted roots published with them (sources in test/fixtures/sigstore/README.md); negatives are
// those vectors mutated one piece at a time.
import { readFileSync } from "node:fs";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { compileIdentities } from "../../shared/signatures/keyless/certificate-identity.ts";
import { loadTrustedRoot } from "../../shared/signatures/keyless/trusted-root.ts";
import {
  type VerifyKeylessInput,
  verifyKeyless,
} from "../../shared/signatures/keyless/verify-keyless.ts";
import type { SignatureCandidate } from "../../shared/signatures/signature-candidate.ts";
import type { KeylessVerificationResult } from "../../shared/signatures/verification-result.ts";
import { b64, digestOf, type LegacyLayer } from "../support/cosign-vectors.ts";
import {
  legacyCandidates,
  makeCa,
  makeLog,
  referrerCandidates,
  trustedRootJson,
} from "../support/sigstore-keyless-vectors.ts";

const fixture = (name: string) => readFileSync(`test/fixtures/sigstore/${name}`);
const json = (name: string) => JSON.parse(fixture(name).toString("utf8"));
const publicGood = () => json("public-good-trusted-root.json");
/** Parsed JSON, mutated freely by the cases below. */
type BundleJson = ReturnType<typeof json>;

const GITHUB = "https://token.actions.githubusercontent.com";
const codes = (r: KeylessVerificationResult) =>
  r.tried.map((t) => (t.verified ? "VERIFIED" : t.failure.code));

function verify(
  candidates: SignatureCandidate[],
  p: Partial<VerifyKeylessInput> & Pick<VerifyKeylessInput, "imageDigest">,
  identities: unknown[] = [{ issuer: GITHUB, subjectRegExp: "https://github\\.com/.*" }],
  root: object = publicGood(),
): KeylessVerificationResult {
  return verifyKeyless({
    repository: "org/app",
    candidates,
    trustedRoot: loadTrustedRoot(root),
    identities: compileIdentities(identities),
    ...p,
  });
}

// Any network use fails the test: keyless verification must need nothing but the trusted root.
const fetchSpy = vi.fn(() => {
  throw new Error("network access during keyless verification");
});
beforeEach(() => {
  vi.stubGlobal("fetch", fetchSpy);
  vi.spyOn(net.Socket.prototype, "connect").mockImplementation(() => {
    throw new Error("socket opened during keyless verification");
  });
});
afterEach(() => {
  expect(fetchSpy).not.toHaveBeenCalled();
  expect(net.Socket.prototype.connect).not.toHaveBeenCalled();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("cosign legacy keyless .sig (GitHub Actions, public-good Fulcio and Rekor)", () => {
  // salrashid123/go-bazel-github-workflow README: `crane manifest …sha256-c05263d2….sig`.
  const IMAGE = "sha256:c05263d2ff654c3a94243662440913f045075d59c436e2c69e9145ec2b87a321";
  const SUBJECT =
    "https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/release.yaml@refs/tags/v0.0.30";
  const layer = (
    change: { payload?: Buffer; annotations?: (a: Record<string, string>) => void } = {},
  ): LegacyLayer => {
    const annotations = {
      ...json("cosign-legacy-keyless-sig-manifest.json").layers[0].annotations,
    };
    const signature = annotations["dev.cosignproject.cosign/signature"];
    delete annotations["dev.cosignproject.cosign/signature"];
    change.annotations?.(annotations);
    return {
      payload: change.payload ?? fixture("cosign-legacy-keyless-payload.json"),
      signature,
      annotations,
    };
  };

  it("verifies, naming the identity, the Rekor entry and the time it was logged", async () => {
    const r = verify(await legacyCandidates([layer()]), { imageDigest: IMAGE }, [
      { name: "release", issuer: GITHUB, subject: SUBJECT },
    ]);
    expect(codes(r)).toEqual(["VERIFIED"]);
    if (!r.verified) return;
    expect(r.identity).toMatchObject({
      name: "release",
      issuer: GITHUB,
      subject: SUBJECT,
      signedAt: "2026-02-27T18:20:46.000Z",
      timeSource: "transparency-log",
      logIndex: "1004096555",
    });
    expect(r.identity.id).toMatch(/^[0-9a-f]{16}$/);
    expect(r.signature).toMatchObject({ format: "simplesigning", source: { kind: "legacy-tag" } });
  });

  it("checks the signed reference when the policy asks", async () => {
    const c = await legacyCandidates([layer()]);
    const options = { matchReference: true };
    const same = verify(c, {
      imageDigest: IMAGE,
      repository: "salrashid123/server_image",
      registry: "index.docker.io",
      options,
    });
    expect(codes(same)).toEqual(["VERIFIED"]);
    const other = verify(c, { imageDigest: IMAGE, repository: "salrashid123/other", options });
    expect(codes(other)).toEqual(["REFERENCE_MISMATCH"]);
  });

  it("refuses it for another image", async () => {
    const r = verify(await legacyCandidates([layer()]), {
      imageDigest: digestOf(Buffer.from("x")),
    });
    expect(codes(r)).toEqual(["DIGEST_MISMATCH"]);
  });

  it.each<[string, unknown[]]>([
    ["another issuer", [{ issuer: "https://accounts.google.com", subject: SUBJECT }]],
    ["another subject", [{ issuer: GITHUB, subject: SUBJECT.replace("v0.0.30", "v0.0.31") }]],
    [
      "a regex for another repository",
      [{ issuer: GITHUB, subjectRegExp: "https://github\\.com/other/.*" }],
    ],
    // Anchored: a prefix alone does not match the whole subject.
    [
      "a prefix regex without .*",
      [{ issuer: GITHUB, subjectRegExp: "https://github\\.com/salrashid123" }],
    ],
  ])("refuses %s with IDENTITY_MISMATCH", async (_, identities) => {
    const r = verify(await legacyCandidates([layer()]), { imageDigest: IMAGE }, identities);
    expect(codes(r)).toEqual(["IDENTITY_MISMATCH"]);
    if (!r.verified && !r.tried[0]?.verified) {
      expect(r.tried[0]?.failure.message).toContain(SUBJECT);
    }
  });

  it("passes when any one of several identities matches", async () => {
    const r = verify(await legacyCandidates([layer()]), { imageDigest: IMAGE }, [
      { name: "ops", issuer: "https://accounts.google.com", subject: "ops@example.com" },
      {
        name: "ci",
        issuerRegExp: "https://token\\.actions\\.githubusercontent\\.com",
        subjectRegExp: "https://github\\.com/salrashid123/.*@refs/tags/v.*",
      },
    ]);
    expect(r.verified && r.identity.name).toBe("ci");
  });

  it("refuses a tampered payload: the log entry records another digest", async () => {
    const tampered = Buffer.from(
      fixture("cosign-legacy-keyless-payload.json")
        .toString()
        .replace("salrashid123/server_image", "salrashid123/evil_image0"),
    );
    const r = verify(await legacyCandidates([layer({ payload: tampered })]), {
      imageDigest: IMAGE,
    });
    expect(codes(r)).toEqual(["TLOG_BODY_MISMATCH"]);
  });

  it("refuses a signed entry timestamp that is not Rekor's", async () => {
    const c = await legacyCandidates([
      layer({
        annotations: (a) => {
          const bundle = JSON.parse(a["dev.sigstore.cosign/bundle"] as string);
          const set = Buffer.from(bundle.SignedEntryTimestamp, "base64");
          set[set.length - 2] = (set[set.length - 2] as number) ^ 1;
          bundle.SignedEntryTimestamp = b64(set);
          a["dev.sigstore.cosign/bundle"] = JSON.stringify(bundle);
        },
      }),
    ]);
    expect(codes(verify(c, { imageDigest: IMAGE }))).toEqual(["TLOG_INCLUSION_INVALID"]);
  });

  it("refuses it without its Rekor bundle (TLOG_MISSING) or certificate (not keyless)", async () => {
    const c = await legacyCandidates([
      layer({ annotations: (a) => delete a["dev.sigstore.cosign/bundle"] }),
      layer({ annotations: (a) => delete a["dev.sigstore.cosign/certificate"] }),
      layer({ annotations: (a) => (a["dev.sigstore.cosign/bundle"] = "{}") }),
    ]);
    expect(codes(verify(c, { imageDigest: IMAGE }))).toEqual([
      "TLOG_MISSING",
      "CERTIFICATE_MISSING",
      "TLOG_MALFORMED",
    ]);
  });

  it("refuses it under a root that trusts another Fulcio, another Rekor, or no CT log", async () => {
    const c = await legacyCandidates([layer()]);
    const selfMade = trustedRootJson({ cas: [{ ca: makeCa() }], logs: [makeLog()] });
    expect(codes(verify(c, { imageDigest: IMAGE }, undefined, selfMade))).toEqual([
      "CERTIFICATE_UNTRUSTED",
    ]);
    const otherRekor = { ...publicGood(), tlogs: (selfMade as { tlogs: unknown }).tlogs };
    expect(codes(verify(c, { imageDigest: IMAGE }, undefined, otherRekor))).toEqual([
      "TLOG_INCLUSION_INVALID",
    ]);
    const noCt = { ...publicGood(), ctlogs: [] };
    expect(codes(verify(c, { imageDigest: IMAGE }, undefined, noCt))).toEqual(["SCT_INVALID"]);
  });

  it("refuses it when the root's Fulcio CA was not trusted at signing time", async () => {
    const root = publicGood();
    root.certificateAuthorities[1].validFor.end = "2025-12-31T23:59:59Z";
    const r = verify(await legacyCandidates([layer()]), { imageDigest: IMAGE }, undefined, root);
    expect(codes(r)).toEqual(["CERTIFICATE_UNTRUSTED"]);
  });
});

describe("Sigstore bundles v0.3 (sigstore-conformance)", () => {
  const artifact = fixture("conformance-a.txt");
  const DIGEST = digestOf(artifact);
  const SUBJECT =
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
  const ID = [{ issuer: GITHUB, subject: SUBJECT }];
  const bundle = (name: string, change: (b: BundleJson) => void = () => {}) => {
    const b = json(name);
    change(b);
    return Buffer.from(JSON.stringify(b));
  };

  it("verifies a message signature over the artifact (here: the image manifest bytes)", async () => {
    const c = await referrerCandidates(DIGEST, bundle("conformance-happy-path-v0.3.sigstore.json"));
    const r = verify(c, { imageDigest: DIGEST, imageManifest: artifact }, ID);
    expect(codes(r)).toEqual(["VERIFIED"]);
    expect(r.verified && r.identity).toMatchObject({
      issuer: GITHUB,
      subject: SUBJECT,
      signedAt: "2024-03-19T17:26:26.000Z",
      logIndex: "79571823",
    });
    const without = verify(c, { imageDigest: DIGEST }, ID);
    expect(codes(without)).toEqual(["MESSAGE_UNAVAILABLE"]);
    const other = Buffer.from("another image");
    expect(codes(verify(c, { imageDigest: digestOf(other), imageManifest: other }, ID))).toEqual([
      "MESSAGE_DIGEST_MISMATCH",
    ]);
  });

  it("verifies a DSSE in-toto statement, but accepts a provenance only when the policy does", async () => {
    const c = await referrerCandidates(
      DIGEST,
      bundle("conformance-intoto-in-dsse-v3.sigstore.json"),
    );
    expect(codes(verify(c, { imageDigest: DIGEST }, ID))).toEqual(["PREDICATE_TYPE_NOT_ACCEPTED"]);
    const options = { acceptedPredicateTypes: ["https://slsa.dev/provenance/v1"] };
    const r = verify(c, { imageDigest: DIGEST, options }, ID);
    expect(codes(r)).toEqual(["VERIFIED"]);
    expect(r.verified && r.identity.signedAt).toBe("2024-12-16T18:42:56.000Z");
    const other = digestOf(Buffer.from("x"));
    expect(codes(verify(c, { imageDigest: other, options }, ID))).toEqual(["SUBJECT_MISMATCH"]);
  });

  it("refuses a DSSE payload changed after logging", async () => {
    const tampered = bundle("conformance-intoto-in-dsse-v3.sigstore.json", (b) => {
      const statement = JSON.parse(Buffer.from(b.dsseEnvelope.payload, "base64").toString());
      statement.predicate = {};
      b.dsseEnvelope.payload = b64(Buffer.from(JSON.stringify(statement)));
    });
    const c = await referrerCandidates(DIGEST, tampered);
    const options = { acceptedPredicateTypes: "any" as const };
    expect(codes(verify(c, { imageDigest: DIGEST, options }, ID))).toEqual(["TLOG_BODY_MISMATCH"]);
  });

  it("refuses a bundle whose log entry is for another signature", async () => {
    const c = await referrerCandidates(
      DIGEST,
      bundle("conformance-wrong-hashedrekord-entry.sigstore.json"),
    );
    const r = verify(c, { imageDigest: DIGEST, imageManifest: artifact }, ID);
    expect(codes(r)).toEqual(["TLOG_BODY_MISMATCH"]);
  });

  it("verifies a Rekor v2 entry whose signing time comes from a TSA of the root", async () => {
    // As published: a Rekor v2 entry has no integratedTime (protobuf JSON omits the zero).
    const b = bundle("conformance-rekor2-happy-path.sigstore.json");
    const c = await referrerCandidates(DIGEST, b);
    const root = json("conformance-rekor2-trusted-root.json");
    const r = verify(c, { imageDigest: DIGEST, imageManifest: artifact }, ID, root);
    expect(codes(r)).toEqual(["VERIFIED"]);
    expect(r.verified && r.identity).toMatchObject({
      timeSource: "timestamp-authority",
      signedAt: "2025-06-12T12:02:20.000Z",
    });
    expect(r.verified && r.identity.logIndex).toBeUndefined();
    const noTsa = { ...root, timestampAuthorities: [] };
    expect(codes(verify(c, { imageDigest: DIGEST, imageManifest: artifact }, ID, noTsa))).toEqual([
      "TIMESTAMP_INVALID",
    ]);
  });
});
