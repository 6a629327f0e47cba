import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import {
  kmsKeyArnOf,
  policyKmsKeyArns,
  resolveSignaturePolicy,
  SignaturePolicyError,
} from "../../shared/domain/signature-policy.ts";
import { signatureTrustFor } from "../../shared/pipeline/signature-trust.ts";
import type {
  KmsPublicKey,
  KmsPublicKeySource,
} from "../../shared/signatures/kms-public-key-source.ts";
import { generateTestKey } from "../support/cosign-vectors.ts";

const KEY = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MRK =
  "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const ALIAS = "arn:aws-cn:kms:cn-north-1:111122223333:alias/release/signing_key";
const p256 = generateTestKey("p256");

const policyWith = (keys: string, extra = "") =>
  loadPolicy(
    `version: 1\ndefaults:\n  signatures:\n    required: true\n    keys: ${keys}\n${extra}`,
    "p.yaml",
  );

const publicKey: KmsPublicKey = {
  spkiDer: new Uint8Array(p256.spkiDer),
  keySpec: "ECC_NIST_P256",
  signingAlgorithms: ["ECDSA_SHA_256"],
};

/** A source that counts calls and answers after a tick, or fails as told. */
function countingSource(fail: () => Error | null = () => null) {
  const asked: string[] = [];
  const source: KmsPublicKeySource = {
    async getPublicKey(arn) {
      asked.push(arn);
      await new Promise((r) => setTimeout(r, 5));
      const err = fail();
      if (err) throw err;
      return publicKey;
    },
  };
  return { source, asked };
}

describe("kmsArn in the signatures block", () => {
  it.each([
    [KEY, KEY],
    [`awskms:///${KEY}`, KEY],
    [MRK, MRK],
    [ALIAS, ALIAS],
    [`awskms:///${ALIAS}`, ALIAS],
  ])("accepts %s as %s", (written, arn) => {
    expect(kmsKeyArnOf(written)).toBe(arn);
    const resolved = resolveSignaturePolicy(
      policyWith(`[{ name: k, kmsArn: "${written}" }]`),
      "app",
    );
    expect(resolved.keys).toEqual([{ name: "k", kmsArn: arn }]);
  });

  it.each([
    ["a bare key id", "1234abcd-12ab-34cd-56ef-1234567890ab"],
    ["a short key id", "arn:aws:kms:us-east-2:111122223333:key/abcd"],
    [
      "another service",
      "arn:aws:s3:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ],
    ["a short account", "arn:aws:kms:us-east-2:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
    ["no region", "arn:aws:kms::111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
    ["a wildcard", "arn:aws:kms:us-east-2:111122223333:key/*"],
    ["an empty alias", "arn:aws:kms:us-east-2:111122223333:alias/"],
    ["cosign's other KMS providers", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"],
    ["awskms with a host", `awskms://kms.example.com/${KEY}`],
  ])("refuses %s, naming the key", (_label, written) => {
    expect(kmsKeyArnOf(written)).toBeNull();
    expect(() =>
      resolveSignaturePolicy(policyWith(`[{ name: k, kmsArn: "${written}" }]`), "app"),
    ).toThrowError(
      expect.objectContaining({
        code: "SIGNATURE_POLICY_INVALID",
        message: expect.stringContaining("app: signatures: key k: kmsArn"),
      }),
    );
  });

  it("accepts every well-formed key ARN, and nothing that differs from one in any part", () => {
    const parts = fc.record({
      partition: fc.constantFrom("aws", "aws-cn", "aws-us-gov", "aws-iso-b"),
      region: fc.constantFrom("us-east-1", "eu-central-2", "cn-northwest-1", "us-gov-east-1"),
      account: fc.stringMatching(/^\d{12}$/),
      id: fc.uuid().map((u) => u.toLowerCase()),
    });
    fc.assert(
      fc.property(parts, ({ partition, region, account, id }) => {
        const arn = `arn:${partition}:kms:${region}:${account}:key/${id}`;
        expect(kmsKeyArnOf(arn)).toBe(arn);
        expect(kmsKeyArnOf(`${arn}x`)).toBeNull();
        expect(kmsKeyArnOf(arn.replace(":kms:", ":kmz:"))).toBeNull();
        expect(kmsKeyArnOf(arn.replace(`:${account}:`, `:${account}0:`))).toBeNull();
      }),
    );
  });

  it("an unenforced block is not checked; policyKmsKeyArns lists every valid key of every layer", () => {
    const loaded = loadPolicy(
      `version: 1
defaults:
  signatures:
    keys: [{ name: k, kmsArn: "awskms:///${KEY}" }, { name: typo, kmsArn: "nope" }]
repositories:
  - match: "prod/**"
    signatures:
      keys: [{ name: a, kmsArn: "${ALIAS}" }, { name: again, kmsArn: "${KEY}" }]
`,
      "p.yaml",
    );
    expect(resolveSignaturePolicy(loaded, "dev/app").keys).toEqual([]);
    expect(policyKmsKeyArns(loaded)).toEqual([ALIAS, KEY].sort());
    expect(policyKmsKeyArns(policyWith(`[{ name: p, pem: x }]`))).toEqual([]);
  });
});

describe("signatureTrustFor with kmsArn keys", () => {
  it("imports the key KMS answers with; concurrent callers share one GetPublicKey", async () => {
    const loaded = policyWith(
      `[{ name: release, kmsArn: "${KEY}" }]`,
      `repositories:\n  - match: "other/**"\n    signatures: { matchReference: true }\n`,
    );
    const { source, asked } = countingSource();
    const [a, b] = [
      resolveSignaturePolicy(loaded, "app"),
      resolveSignaturePolicy(loaded, "other/x"),
    ];
    const trusts = await Promise.all([
      signatureTrustFor(loaded, a, source),
      signatureTrustFor(loaded, a, source),
      signatureTrustFor(loaded, b, source),
    ]);
    expect(asked).toEqual([KEY]);
    expect(trusts[0]?.keys.map((k) => [k.name, k.algorithm, k.curve])).toEqual([
      ["release", "ecdsa", "P-256"],
    ]);
    expect(trusts[0]?.keys[0]?.origin).toMatchObject({ kind: "kms", arn: KEY });
  });

  it("shares one fetch per key across blocks with different trust", async () => {
    const loaded = loadPolicy(
      `version: 1
defaults:
  signatures:
    required: true
    keys: [{ name: release, kmsArn: "${KEY}" }]
repositories:
  - match: "two/**"
    signatures:
      keys:
        - { name: release, kmsArn: "${KEY}" }
        - name: pem
          pem: |
${p256.publicPem
  .trim()
  .split("\n")
  .map((l) => `            ${l}`)
  .join("\n")}
`,
      "p.yaml",
    );
    const { source, asked } = countingSource();
    const [one, two] = await Promise.all([
      signatureTrustFor(loaded, resolveSignaturePolicy(loaded, "app"), source),
      signatureTrustFor(loaded, resolveSignaturePolicy(loaded, "two/app"), source),
    ]);
    expect(one.keys).toHaveLength(1);
    expect(two.keys).toHaveLength(2);
    expect(asked).toEqual([KEY]);
  });

  it("a failed fetch is not cached: the next call asks KMS again", async () => {
    const loaded = policyWith(`[{ name: release, kmsArn: "${KEY}" }]`);
    const policy = resolveSignaturePolicy(loaded, "app");
    let failing = true;
    const { source, asked } = countingSource(() => (failing ? new Error("throttled") : null));
    await expect(signatureTrustFor(loaded, policy, source)).rejects.toThrow("throttled");
    failing = false;
    const trust = await signatureTrustFor(loaded, policy, source);
    expect(trust.keys).toHaveLength(1);
    expect(asked).toEqual([KEY, KEY]);
  });

  it("without a KMS source, or with a key KMS describes wrongly, a policy error naming the key", async () => {
    const loaded = policyWith(`[{ name: release, kmsArn: "${KEY}" }]`);
    const policy = resolveSignaturePolicy(loaded, "app");
    await expect(signatureTrustFor(loaded, policy)).rejects.toThrowError(
      expect.objectContaining({
        code: "SIGNATURE_KMS_UNAVAILABLE",
        message: expect.stringContaining(`key release: kmsArn ${KEY}`),
      }),
    );
    const wrong: KmsPublicKeySource = {
      getPublicKey: async () => ({
        ...publicKey,
        keySpec: "ECC_NIST_P384",
        signingAlgorithms: ["ECDSA_SHA_384"],
      }),
    };
    const err = await signatureTrustFor(loaded, policy, wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignaturePolicyError);
    expect((err as Error).message).toMatch(/key release: KMS key .*ECC_NIST_P384/);
  });
});
