// The KMS adapter against an injected GetPublicKey: the answer shapes of the KMS API reference
// (PublicKey as raw DER bytes, as the SDK hands it; KeySpec, KeyUsage, SigningAlgorithms) and
// its errors, and the key it yields verifying a cosign signature locally.
import { constants, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type GetPublicKeyInput,
  type GetPublicKeyOutput,
  KmsKeyError,
  KmsPublicKeys,
} from "../../shared/adapters/kms/kms-public-key.ts";
import {
  cachedKmsPublicKeySource,
  loadKmsPublicKey,
} from "../../shared/signatures/kms-public-key-source.ts";
import { verifyImageSignatures } from "../../shared/signatures/verify-image-signatures.ts";
import {
  b64,
  generateTestKey,
  imageManifest,
  simpleSigningPayload,
} from "../support/cosign-vectors.ts";
import { legacyCandidates } from "../support/sigstore-keyless-vectors.ts";

/** The payload and signature under a `.sig` tag, read back as candidates. */
const legacyCandidatesOf = (payload: Buffer, signature: Buffer) =>
  legacyCandidates([{ payload, signature: b64(signature) }]);

const ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const ALIAS = "arn:aws:kms:eu-west-1:123456789012:alias/release-signing";

function fakeKms(answer: GetPublicKeyOutput | Error) {
  const calls: GetPublicKeyInput[] = [];
  const send = async (input: GetPublicKeyInput) => {
    calls.push(input);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, source: new KmsPublicKeys(send) };
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe("KmsPublicKeys", () => {
  const key = generateTestKey("p256");
  const p256 = {
    KeyId: ARN,
    PublicKey: new Uint8Array(key.spkiDer),
    KeySpec: "ECC_NIST_P256",
    KeyUsage: "SIGN_VERIFY",
    SigningAlgorithms: ["ECDSA_SHA_256"],
  };

  it("asks GetPublicKey for the ARN and yields a key that verifies the key's cosign signature", async () => {
    const kms = fakeKms(p256);
    const trusted = await loadKmsPublicKey(kms.source, `awskms:///${ALIAS}`, { name: "release" });
    expect(kms.calls).toEqual([{ KeyId: ALIAS }]);
    expect(trusted).toMatchObject({
      name: "release",
      algorithm: "ecdsa",
      curve: "P-256",
      origin: {
        kind: "kms",
        arn: ALIAS,
        keySpec: "ECC_NIST_P256",
        signingAlgorithm: "ECDSA_SHA_256",
      },
    });
    const image = imageManifest();
    const payload = simpleSigningPayload({ reference: "r.example/app", digest: image.digest });
    const r = verifyImageSignatures({
      imageDigest: image.digest,
      repository: "app",
      candidates: await legacyCandidatesOf(payload, sign("sha256", payload, key.privateKey)),
      keys: [trusted],
    });
    expect(r.verified && r.key.origin).toMatchObject({ kind: "kms", arn: ALIAS });
  });

  it("reads an RSA-PSS signing key as KMS describes it", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const kms = fakeKms({
      KeyId: ARN,
      PublicKey: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
      CustomerMasterKeySpec: "RSA_3072",
      KeyUsage: "SIGN_VERIFY",
      SigningAlgorithms: ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"],
    });
    const trusted = await loadKmsPublicKey(kms.source, ARN);
    expect(trusted).toMatchObject({ algorithm: "rsa-pss", hash: "sha256", signatureLength: 384 });
    const image = imageManifest();
    const payload = simpleSigningPayload({ reference: "r.example/app", digest: image.digest });
    const signature = sign("sha256", payload, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    const r = verifyImageSignatures({
      imageDigest: image.digest,
      repository: "app",
      candidates: await legacyCandidatesOf(payload, signature),
      keys: [trusted],
    });
    expect(r.verified).toBe(true);
  });

  it.each([
    ["NotFoundException", "KMS_KEY_UNUSABLE", "no such key or alias"],
    ["DisabledException", "KMS_KEY_UNUSABLE", "the key is disabled"],
    ["KMSInvalidStateException", "KMS_KEY_UNUSABLE", "pending deletion"],
    ["InvalidKeyUsageException", "KMS_KEY_UNUSABLE", "not an asymmetric signing key"],
    ["UnsupportedOperationException", "KMS_KEY_UNUSABLE", "no public key to export"],
    ["AccessDeniedException", "KMS_REQUEST_FAILED", "allow kms:GetPublicKey on this key"],
    ["ThrottlingException", "KMS_REQUEST_FAILED", "retry"],
  ])("turns %s into %s", async (name, code, hint) => {
    const err = await fakeKms(awsError(name, "from KMS"))
      .source.getPublicKey(ARN)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KmsKeyError);
    expect(err).toMatchObject({ code, arn: ARN, awsError: name });
    expect((err as Error).message).toContain(`KMS key ${ARN}: `);
    expect((err as Error).message).toContain(hint);
  });

  it("refuses a key that does not sign, and an answer without a key", async () => {
    await expect(
      fakeKms({ ...p256, KeyUsage: "ENCRYPT_DECRYPT" }).source.getPublicKey(ARN),
    ).rejects.toMatchObject({
      code: "KMS_KEY_UNUSABLE",
      message: expect.stringContaining("ENCRYPT_DECRYPT"),
    });
    await expect(
      fakeKms({ ...p256, PublicKey: undefined }).source.getPublicKey(ARN),
    ).rejects.toMatchObject({ code: "KMS_REQUEST_FAILED" });
    await expect(
      fakeKms({ ...p256, KeySpec: undefined }).source.getPublicKey(ARN),
    ).rejects.toMatchObject({ code: "KMS_REQUEST_FAILED" });
  });

  it("asks KMS once per key when cached", async () => {
    const kms = fakeKms(p256);
    const cached = cachedKmsPublicKeySource(kms.source);
    await loadKmsPublicKey(cached, ARN);
    await loadKmsPublicKey(cached, ARN);
    expect(kms.calls).toHaveLength(1);
  });
});
