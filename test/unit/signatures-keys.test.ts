import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyWithKey } from "../../shared/signatures/check-signature.ts";
import {
  cachedKmsPublicKeySource,
  type KmsPublicKey,
  kmsKeyArn,
  loadKmsPublicKey,
} from "../../shared/signatures/kms-public-key-source.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { PublicKeyError } from "../../shared/signatures/public-key-error.ts";
import { generateTestKey, KEY_KINDS, signBytes } from "../support/cosign-vectors.ts";

const ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const msg = Buffer.from("the exact payload bytes");

describe("loadPublicKey", () => {
  it.each(KEY_KINDS)("imports a %s key from PEM and from DER, with the same id", (kind) => {
    const k = generateTestKey(kind);
    const fromPem = loadPublicKey(k.publicPem);
    const fromDer = loadPublicKey(new Uint8Array(k.spkiDer));
    const fromPemBytes = loadPublicKey(Buffer.from(k.publicPem));
    expect(fromPem.id).toMatch(/^[0-9a-f]{16}$/);
    expect(fromDer.id).toBe(fromPem.id);
    expect(fromPemBytes.id).toBe(fromPem.id);
    expect(fromPem.origin).toEqual({ kind: "pem" });
    expect(fromDer.origin).toEqual({ kind: "der" });
    expect(verifyWithKey(fromPem, msg, signBytes(k, msg))).toBe("verified");
  });

  it("names a key by sha256 of its SPKI DER, and carries cosign's base64 hint", () => {
    const k = generateTestKey("p256");
    const key = loadPublicKey(k.publicPem, { name: "release" });
    const sha = createHash("sha256").update(k.spkiDer);
    const digest = sha.digest();
    expect(key.id).toBe(digest.toString("hex").slice(0, 16));
    expect(key.hint).toBe(digest.toString("base64"));
    expect(key.name).toBe("release");
  });

  it("chooses the hash cosign signs with, unless the policy overrides it", () => {
    expect(loadPublicKey(generateTestKey("p256").publicPem).hash).toBe("sha256");
    expect(loadPublicKey(generateTestKey("p384").publicPem).hash).toBe("sha384");
    expect(loadPublicKey(generateTestKey("rsa").publicPem).hash).toBe("sha256");
    expect(loadPublicKey(generateTestKey("ed25519").publicPem).hash).toBeNull();
    const p384 = generateTestKey("p384");
    const sha256Key = loadPublicKey(p384.publicPem, { hash: "sha256" });
    expect(verifyWithKey(sha256Key, msg, sign("sha256", msg, p384.privateKey))).toBe("verified");
    expect(verifyWithKey(sha256Key, msg, signBytes(p384, msg))).toBe("invalid");
  });

  it("imports a PKCS#1 RSA PUBLIC KEY block, as cosign's cryptoutils does", () => {
    const k = generateTestKey("rsa");
    const pkcs1 = k.publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect(pkcs1).toContain("RSA PUBLIC KEY");
    expect(loadPublicKey(pkcs1).id).toBe(loadPublicKey(k.publicPem).id);
  });

  it("verifies RSA-PSS only when asked, PKCS#1 v1.5 otherwise", () => {
    const k = generateTestKey("rsa");
    const pss = sign("sha256", msg, { key: k.privateKey, padding: 6, saltLength: 32 });
    expect(verifyWithKey(loadPublicKey(k.publicPem), msg, pss)).toBe("invalid");
    const pssKey = loadPublicKey(k.publicPem, { rsaPadding: "pss" });
    expect(pssKey.algorithm).toBe("rsa-pss");
    expect(verifyWithKey(pssKey, msg, pss)).toBe("verified");
    expect(verifyWithKey(pssKey, msg, signBytes(k, msg))).toBe("invalid");
  });

  it("refuses a certificate, a private key, garbage and unsupported keys, with a code", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const cases: [string | Uint8Array, PublicKeyError["code"], RegExp][] = [
      [
        ec.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        "PUBLIC_KEY_INVALID",
        /PRIVATE KEY/,
      ],
      [
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "PUBLIC_KEY_INVALID",
        /CERTIFICATE/,
      ],
      ["not a key", "PUBLIC_KEY_INVALID", /no PEM block/],
      [new Uint8Array([1, 2, 3]), "PUBLIC_KEY_INVALID", /SubjectPublicKeyInfo/],
      [
        generateKeyPairSync("ec", { namedCurve: "secp256k1" })
          .publicKey.export({ type: "spki", format: "pem" })
          .toString(),
        "PUBLIC_KEY_UNSUPPORTED",
        /curve/,
      ],
      [
        generateKeyPairSync("rsa", { modulusLength: 1024 })
          .publicKey.export({ type: "spki", format: "pem" })
          .toString(),
        "PUBLIC_KEY_UNSUPPORTED",
        /too small/,
      ],
      [
        generateKeyPairSync("rsa-pss", { modulusLength: 2048 })
          .publicKey.export({ type: "spki", format: "pem" })
          .toString(),
        "PUBLIC_KEY_UNSUPPORTED",
        /RSASSA-PSS/,
      ],
    ];
    for (const [input, code, message] of cases) {
      let caught: unknown;
      try {
        loadPublicKey(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PublicKeyError);
      expect(caught).toMatchObject({ code });
      expect((caught as Error).message).toMatch(message);
    }
    expect(() => loadPublicKey(generateTestKey("ed25519").publicPem, { hash: "sha512" })).toThrow(
      /Ed25519ph/,
    );
    expect(() => loadPublicKey(generateTestKey("p256").publicPem, { rsaPadding: "pss" })).toThrow(
      /RSA keys only/,
    );
  });

  it("checks signature lengths before crypto: Ed25519 64 bytes, RSA the modulus", () => {
    const ed = generateTestKey("ed25519");
    const rsa = generateTestKey("rsa");
    expect(verifyWithKey(loadPublicKey(ed.publicPem), msg, Buffer.alloc(63))).toMatchObject({
      malformed: expect.stringMatching(/63 bytes/),
    });
    expect(verifyWithKey(loadPublicKey(rsa.publicPem), msg, Buffer.alloc(255))).toMatchObject({
      malformed: expect.stringMatching(/256/),
    });
  });
});

describe("AWS KMS keys", () => {
  const fakeKms = (entries: Record<string, KmsPublicKey>) => {
    const calls: string[] = [];
    return {
      calls,
      source: {
        async getPublicKey(arn: string) {
          calls.push(arn);
          const e = entries[arn];
          if (!e) throw new Error(`NotFoundException: ${arn}`);
          return e;
        },
      },
    };
  };

  it("accepts key and alias ARNs, bare or as cosign's awskms:/// reference", () => {
    expect(kmsKeyArn(ARN)).toBe(ARN);
    expect(kmsKeyArn(`awskms:///${ARN}`)).toBe(ARN);
    expect(kmsKeyArn("arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias")).not.toBeNull();
    expect(kmsKeyArn("arn:aws-cn:kms:cn-north-1:111122223333:alias/x")).not.toBeNull();
    expect(kmsKeyArn("1234abcd-12ab-34cd-56ef-1234567890ab")).toBeNull();
    expect(kmsKeyArn("arn:aws:s3:::bucket")).toBeNull();
  });

  it("fetches the public key once and verifies locally with the key spec's algorithm", async () => {
    const k = generateTestKey("p256");
    const kms = fakeKms({
      [ARN]: { spkiDer: k.spkiDer, keySpec: "ECC_NIST_P256", signingAlgorithms: ["ECDSA_SHA_256"] },
    });
    const source = cachedKmsPublicKeySource(kms.source);
    const key = await loadKmsPublicKey(source, `awskms:///${ARN}`, { name: "signer" });
    await loadKmsPublicKey(source, ARN);
    expect(kms.calls).toEqual([ARN]);
    expect(key).toMatchObject({
      name: "signer",
      algorithm: "ecdsa",
      hash: "sha256",
      origin: {
        kind: "kms",
        arn: ARN,
        keySpec: "ECC_NIST_P256",
        signingAlgorithm: "ECDSA_SHA_256",
      },
    });
    expect(key.id).toBe(loadPublicKey(k.publicPem).id);
    expect(verifyWithKey(key, msg, signBytes(k, msg))).toBe("verified");
  });

  it("does not remember a failed GetPublicKey", async () => {
    const kms = fakeKms({});
    const source = cachedKmsPublicKeySource(kms.source);
    await expect(loadKmsPublicKey(source, ARN)).rejects.toThrow(/NotFound/);
    await expect(loadKmsPublicKey(source, ARN)).rejects.toThrow(/NotFound/);
    expect(kms.calls).toEqual([ARN, ARN]);
  });

  it("follows the first signing algorithm like cosign: RSASSA_PSS verifies PSS", async () => {
    const k = generateTestKey("rsa");
    const key = await loadKmsPublicKey(
      fakeKms({
        [ARN]: {
          spkiDer: k.spkiDer,
          keySpec: "RSA_2048",
          signingAlgorithms: ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"],
        },
      }).source,
      ARN,
    );
    expect(key.algorithm).toBe("rsa-pss");
    const pss = sign("sha256", msg, { key: k.privateKey, padding: 6, saltLength: 32 });
    expect(verifyWithKey(key, msg, pss)).toBe("verified");
  });

  it("refuses a bad ARN, a key that does not match its spec, and unsupported algorithms", async () => {
    const p256 = generateTestKey("p256");
    const load = (e: KmsPublicKey, arn = ARN) =>
      loadKmsPublicKey(fakeKms({ [ARN]: e }).source, arn);
    await expect(
      load({ spkiDer: p256.spkiDer, keySpec: "ECC_NIST_P256" }, "key/123"),
    ).rejects.toMatchObject({
      code: "PUBLIC_KEY_INVALID",
    });
    await expect(load({ spkiDer: p256.spkiDer, keySpec: "ECC_NIST_P384" })).rejects.toMatchObject({
      code: "PUBLIC_KEY_UNSUPPORTED",
    });
    await expect(
      load({ spkiDer: p256.spkiDer, keySpec: "ECC_NIST_P256", signingAlgorithms: ["SM2DSA"] }),
    ).rejects.toThrow(/SM2DSA/);
    await expect(
      load({
        spkiDer: p256.spkiDer,
        keySpec: "RSA_2048",
        signingAlgorithms: ["RSASSA_PKCS1_V1_5_SHA_256"],
      }),
    ).rejects.toBeInstanceOf(PublicKeyError);
    await expect(
      load({ spkiDer: new Uint8Array([1, 2]), keySpec: "ECC_NIST_P256" }),
    ).rejects.toThrow(/unreadable/);
  });
});
