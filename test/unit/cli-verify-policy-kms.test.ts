// `registry-guard verify --policy` with a key the policy trusts by kmsArn: KMS mocked with
// aws-sdk-client-mock, answering GetPublicKey with the public half of a node crypto key pair
// whose private half signed the OCI layout's image.
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

const ARN = "arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const signer = generateTestKey("p256");
const stranger = generateTestKey("p256");
const kms = mockClient(KMSClient);
const image = imageManifest();

let root: string;
let layout: string;
let policy: string;

/** GetPublicKey as KMS answers it for an ECC_NIST_P256 signing key (KMS API reference). */
const answer = (spkiDer: Buffer) => ({
  KeyId: ARN,
  PublicKey: new Uint8Array(spkiDer),
  KeySpec: "ECC_NIST_P256" as const,
  KeyUsage: "SIGN_VERIFY" as const,
  SigningAlgorithms: ["ECDSA_SHA_256" as const],
});

const awsError = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $metadata: {} });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cli-verify-policy-kms-"));
  layout = join(root, "layout");
  const store = new BlobStore();
  store.put(image.bytes);
  const sig = legacySignatureManifest(
    [legacySignature(signer, { reference: "registry.example.com/prod/api", digest: image.digest })],
    store,
  );
  store.put(sig.bytes);
  await writeLayout(layout, store, [
    layoutEntry(image, { [REF_NAME]: "v1" }),
    layoutEntry(sig, { [REF_NAME]: signatureTag(image.digest) }),
  ]);
  policy = join(root, "registry-guard.yaml");
  await writeFile(
    policy,
    `version: 1
repositories:
  - match: "prod/**"
    signatures:
      keys: [{ name: release-kms, kmsArn: "awskms:///${ARN}" }]
  - match: "bad/**"
    signatures:
      keys: [{ name: typo, kmsArn: "arn:aws:kms:eu-central-1:123456789012:key/nope" }]
`,
  );
});
afterAll(async () => {
  kms.restore();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  kms.reset();
});

const verify = (repository: string) =>
  runCaptured([
    "verify",
    `oci-layout:${layout}@${image.digest}`,
    "--policy",
    policy,
    "--repository",
    repository,
  ]);

describe("verify --policy with a kmsArn key", () => {
  it("verifies with the key KMS hands out, asking GetPublicKey once in the key's region", async () => {
    kms.on(GetPublicKeyCommand).resolves(answer(signer.spkiDer));
    const r = await verify("prod/api");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/VERIFIED by key release-kms /);
    const calls = kms.commandCalls(GetPublicKeyCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([{ KeyId: ARN }]);
    const client = (calls[0] as unknown as { thisValue: KMSClient }).thisValue;
    expect(await client.config.region()).toBe("eu-central-1");
  });

  it("does not verify when KMS's key is not the signer's", async () => {
    kms.on(GetPublicKeyCommand).resolves(answer(stranger.spkiDer));
    const r = await verify("prod/api");
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/^VERIFIED/m);
  });

  it("exits 3 naming the key and kms:GetPublicKey when access is denied", async () => {
    kms
      .on(GetPublicKeyCommand)
      .rejects(awsError("AccessDeniedException", "not authorized to perform kms:GetPublicKey"));
    const r = await verify("prod/api");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(ARN);
    expect(r.stderr).toContain("allow kms:GetPublicKey on this key");
    expect(r.stdout).toBe("");
  });

  it("exits 2 for a key KMS does not know, and for an ARN that is not one, before asking KMS", async () => {
    kms.on(GetPublicKeyCommand).rejects(awsError("NotFoundException", "Key does not exist"));
    const gone = await verify("prod/api");
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/--policy .*KMS key .*NotFoundException/);

    kms.reset();
    const typo = await verify("bad/api");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /bad\/api: signatures: key typo: kmsArn .* is not a KMS key or alias ARN/,
    );
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(0);
  });
});
