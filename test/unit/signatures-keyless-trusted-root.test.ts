import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KeylessPolicyError } from "../../shared/signatures/keyless/keyless-policy-error.ts";
import { loadTrustedRoot } from "../../shared/signatures/keyless/trusted-root.ts";
import { b64 } from "../support/cosign-vectors.ts";
import { makeCa, makeLog, trustedRootJson } from "../support/sigstore-keyless-vectors.ts";

const fixture = (name: string) => readFileSync(`test/fixtures/sigstore/${name}`);
// A real root (sigstore-go examples/trusted-root-public-good.json) to mutate.
const publicGood = () => JSON.parse(fixture("public-good-trusted-root.json").toString("utf8"));
/** Parsed JSON, mutated freely by the cases below. */
type RootJson = ReturnType<typeof publicGood>;

function loadError(input: unknown): KeylessPolicyError {
  try {
    loadTrustedRoot(input as object);
  } catch (err) {
    expect(err).toBeInstanceOf(KeylessPolicyError);
    return err as KeylessPolicyError;
  }
  throw new Error("the root loaded");
}

describe("loadTrustedRoot", () => {
  it("reads the public-good root from bytes, text and object alike", () => {
    const bytes = fixture("public-good-trusted-root.json");
    for (const input of [bytes, bytes.toString("utf8"), publicGood()]) {
      const root = loadTrustedRoot(input);
      expect(root.material.certificateAuthorities).toHaveLength(2);
      expect(root.material.tlogs).toHaveLength(1);
      expect(root.material.tlogs[0]?.logID.toString("hex")).toBe(
        "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",
      );
      expect(root.hasCtLogs).toBe(true);
      expect(root.hasTimestampAuthorities).toBe(true);
    }
  });

  it("reads a staging root with an Ed25519 Rekor v2 log and an RSA CT log", () => {
    const root = loadTrustedRoot(fixture("conformance-rekor2-trusted-root.json"));
    expect(root.material.tlogs.map((t) => t.publicKey.asymmetricKeyType)).toEqual([
      "ec",
      "ed25519",
    ]);
    expect(root.material.ctlogs.map((t) => t.publicKey.asymmetricKeyType)).toContain("rsa");
  });

  it("keeps each authority's validity period", () => {
    const root = loadTrustedRoot(publicGood());
    const first = root.material.certificateAuthorities[0];
    expect(first?.validFor.start.toISOString()).toBe("2021-03-07T03:20:29.000Z");
    expect(first?.validFor.end.toISOString()).toBe("2022-12-31T23:59:59.999Z");
  });

  it("reads a root without CT logs or TSAs, and says so", () => {
    const root = loadTrustedRoot(trustedRootJson({ cas: [{ ca: makeCa() }], logs: [makeLog()] }));
    expect(root.hasCtLogs).toBe(false);
    expect(root.hasTimestampAuthorities).toBe(false);
  });

  it.each<[string, (r: RootJson) => unknown, RegExp]>([
    ["text that is not JSON", () => "{not json", /not JSON/],
    ["another media type", (r) => ({ ...r, mediaType: "application/json" }), /mediaType/],
    ["no certificate authority", (r) => ({ ...r, certificateAuthorities: [] }), /Fulcio/],
    [
      "neither logs nor TSAs",
      (r) => ({ ...r, tlogs: [], timestampAuthorities: [] }),
      /signing time/,
    ],
    [
      "a log key without validity start",
      (r) => {
        r.tlogs[0].publicKey.validFor = {};
        return r;
      },
      /tlogs\.0\.publicKey\.validFor\.start/,
    ],
    [
      "a CA without validFor",
      (r) => {
        delete r.certificateAuthorities[1].validFor;
        return r;
      },
      /certificateAuthorities\.1\.validFor/,
    ],
    [
      "a time that is not RFC 3339",
      (r) => {
        r.tlogs[0].publicKey.validFor.start = "yesterday";
        return r;
      },
      /RFC 3339/,
    ],
    [
      "an unsupported key type",
      (r) => {
        r.tlogs[0].publicKey.keyDetails = "LMS_SHA256";
        return r;
      },
      /tlogs\[0\]\.publicKey\.keyDetails LMS_SHA256/,
    ],
    [
      "a key that does not parse",
      (r) => {
        r.ctlogs[1].publicKey.rawBytes = b64(Buffer.from("not a key"));
        return r;
      },
      /ctlogs\[1\]\.publicKey is not a readable/,
    ],
    [
      "a certificate that is not DER",
      (r) => {
        r.certificateAuthorities[0].certChain.certificates[0].rawBytes = b64(Buffer.from("junk"));
        return r;
      },
      /certificateAuthorities\[0\]\.certChain\.certificates\[0\]/,
    ],
    [
      "bytes that are not base64",
      (r) => {
        r.tlogs[0].logId.keyId = "not base64!";
        return r;
      },
      /tlogs\.0\.logId\.keyId/,
    ],
    [
      "an empty certificate chain",
      (r) => {
        r.certificateAuthorities[0].certChain.certificates = [];
        return r;
      },
      /certificates/,
    ],
  ])("refuses %s with TRUSTED_ROOT_INVALID naming where", (_, mutate, message) => {
    const err = loadError(mutate(publicGood()));
    expect(err.code).toBe("TRUSTED_ROOT_INVALID");
    expect(err.message).toMatch(message);
  });
});
