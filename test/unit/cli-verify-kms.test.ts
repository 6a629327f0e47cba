// `registry-guard verify --kms-key` and trust-file `kmsArn:`: KMS mocked with aws-sdk-client-mock,
// answering GetPublicKey with the public half of a key node's crypto signed an OCI layout with.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetPublicKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import {
  BlobStore,
  generateTestKey,
  imageManifest,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
} from "../support/cosign-vectors.ts";
import { layoutEntry, REF_NAME, writeLayout } from "../support/oci-layout-dir.ts";

const ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const OTHER = "arn:aws:kms:us-east-2:123456789012:alias/other";
const signer = generateTestKey("p256");
const stranger = generateTestKey("p256");
const kms = mockClient(KMSClient);
const image = imageManifest();

let root: string;
let layout: string;

/** GetPublicKey as KMS answers it for an ECC_NIST_P256 signing key (KMS API reference). */
const answer = (spkiDer: Buffer, keyId = ARN) => ({
  KeyId: keyId,
  PublicKey: new Uint8Array(spkiDer),
  KeySpec: "ECC_NIST_P256" as const,
  CustomerMasterKeySpec: "ECC_NIST_P256" as const,
  KeyUsage: "SIGN_VERIFY" as const,
  SigningAlgorithms: ["ECDSA_SHA_256" as const],
});

const awsError = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $metadata: {} });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cli-verify-kms-"));
  layout = join(root, "layout");
  const store = new BlobStore();
  store.put(image.bytes);
  const sig = legacySignatureManifest(
    [legacySignature(signer, { reference: "registry.example.com/team/app", digest: image.digest })],
    store,
  );
  store.put(sig.bytes);
  await writeLayout(layout, store, [
    layoutEntry(image, { [REF_NAME]: "v1" }),
    layoutEntry(sig, { [REF_NAME]: signatureTag(image.digest) }),
  ]);
});
afterAll(async () => {
  kms.restore();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  kms.reset();
});

const at = () => `oci-layout:${layout}@${image.digest}`;
const verify = (...args: string[]) => runCaptured(["verify", at(), ...args]);

describe("verify --kms-key", () => {
  it("verifies with the key KMS hands out, asking GetPublicKey for exactly that key", async () => {
    kms.on(GetPublicKeyCommand).resolves(answer(signer.spkiDer));
    const r = await verify("--kms-key", ARN);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").at(-1)).toMatch(/^VERIFIED by key /);
    const calls = kms.commandCalls(GetPublicKeyCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([{ KeyId: ARN }]);
  });

  it("does not verify when KMS's key is not the signer's", async () => {
    kms.on(GetPublicKeyCommand).resolves(answer(stranger.spkiDer));
    const r = await verify("--kms-key", ARN);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/^VERIFIED/m);
  });

  it("calls KMS once per key, however often it is named", async () => {
    kms.on(GetPublicKeyCommand, { KeyId: ARN }).resolves(answer(signer.spkiDer));
    kms.on(GetPublicKeyCommand, { KeyId: OTHER }).resolves(answer(stranger.spkiDer, OTHER));
    const r = await verify("--kms-key", ARN, "--kms-key", `awskms:///${ARN}`, "--kms-key", OTHER);
    expect(r.code).toBe(0);
    const asked = kms.commandCalls(GetPublicKeyCommand).map((c) => c.args[0].input.KeyId);
    expect(asked.sort()).toEqual([ARN, OTHER].sort());
  });

  it("asks the key's own region, not the shell's", async () => {
    kms.on(GetPublicKeyCommand).resolves(answer(stranger.spkiDer, OTHER));
    await verify("--kms-key", OTHER);
    const [call] = kms.commandCalls(GetPublicKeyCommand);
    expect(call).toBeDefined();
    // The client that sent the command is the mocked KMSClient instance the CLI built.
    const client = (call as unknown as { thisValue: KMSClient }).thisValue;
    expect(await client.config.region()).toBe("us-east-2");
  });

  it("exits 3 naming kms:GetPublicKey when access is denied", async () => {
    kms
      .on(GetPublicKeyCommand)
      .rejects(
        awsError("AccessDeniedException", "User is not authorized to perform kms:GetPublicKey"),
      );
    const r = await verify("--kms-key", ARN);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(ARN);
    expect(r.stderr).toContain("allow kms:GetPublicKey on this key");
    expect(r.stdout).toBe("");
  });

  it("exits 2 for a key KMS does not know", async () => {
    kms.on(GetPublicKeyCommand).rejects(awsError("NotFoundException", "Key does not exist"));
    const r = await verify("--kms-key", ARN);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--kms-key: KMS key ${ARN}: NotFoundException`);
  });

  it("does not load or call KMS for a PEM key", async () => {
    const pub = join(root, "signer.pub");
    await writeFile(pub, signer.publicPem);
    const r = await verify("--key", pub);
    expect(r.code).toBe(0);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(0);
  });
});

describe("verify --trust-file with kmsArn", () => {
  it("fetches the trust file's KMS key and verifies with it, named as the file names it", async () => {
    kms.on(GetPublicKeyCommand).resolves(answer(signer.spkiDer));
    const path = join(root, "trust.yaml");
    await writeFile(path, `keys:\n  - name: release-kms\n    kmsArn: "awskms:///${ARN}"\n`);
    const r = await verify("--trust-file", path);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("release-kms");
    expect(kms.commandCalls(GetPublicKeyCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: ARN },
    ]);
  });
});
