// `registry-guard verify --policy registry-guard.yaml`: the policy's signatures block for the
// image's repository (picked with --repository for an OCI layout) decides what is trusted and
// whether signatures must name the repository, as in the pipeline.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import {
  BlobStore,
  generateTestKey,
  imageManifest,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
} from "../support/cosign-vectors.ts";
import { makeCa } from "../support/notation-vectors.ts";
import { layoutEntry, REF_NAME, writeLayout } from "../support/oci-layout-dir.ts";

const key = generateTestKey("p256");
const signedImage = imageManifest();
const unsignedImage = imageManifest();

let root: string;
let layout: string;
let policy: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cli-verify-policy-"));
  layout = join(root, "layout");
  const store = new BlobStore();
  store.put(signedImage.bytes);
  store.put(unsignedImage.bytes);
  // cosign sign --key, for the image as pushed to registry.example.com/prod/api.
  const sig = legacySignatureManifest(
    [
      legacySignature(key, {
        reference: "registry.example.com/prod/api",
        digest: signedImage.digest,
      }),
    ],
    store,
  );
  store.put(sig.bytes);
  await writeLayout(layout, store, [
    layoutEntry(signedImage, { [REF_NAME]: "v1" }),
    layoutEntry(unsignedImage, { [REF_NAME]: "unsigned" }),
    layoutEntry(sig, { [REF_NAME]: signatureTag(signedImage.digest) }),
  ]);
  await mkdir(join(root, "keys"));
  await writeFile(join(root, "keys", "release.pub"), key.publicPem);
  await mkdir(join(root, "notation-ca"));
  await writeFile(join(root, "notation-ca", "root.pem"), makeCa().pem);
  policy = join(root, "registry-guard.yaml");
  // Relative paths are the policy file's: the test runs from elsewhere on purpose.
  await writeFile(
    policy,
    `version: 1
repositories:
  - match: "prod/**"
    signatures:
      keys: [{ name: release, file: keys/release.pub }]
      matchReference: true
  - match: "stage/**"
    signatures:
      keys: [{ name: release, file: keys/release.pub }]
  - match: "notation/**"
    signatures:
      notation:
        trustStore: notation-ca
        trustedIdentities: ["*"]
`,
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const verify = (...args: string[]) => runCaptured(["verify", ...args]);
const at = (image: { digest: string }) => `oci-layout:${layout}@${image.digest}`;

describe("verify --policy", () => {
  it("trusts the keys of the image's repository block", async () => {
    const r = await verify(at(signedImage), "--policy", policy, "--repository", "prod/api");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/VERIFIED by key release \([0-9a-f]{16}, ecdsa\)$/);
    const unsigned = await verify(
      at(unsignedImage),
      "--policy",
      policy,
      "--repository",
      "prod/api",
    );
    expect(unsigned.code).toBe(1);
  });

  it("applies the block's matchReference: a signature for prod/api does not verify prod/web", async () => {
    const other = await verify(at(signedImage), "--policy", policy, "--repository", "prod/web");
    expect(other.code).toBe(1);
    expect(other.stdout).toContain("REFERENCE_MISMATCH");
    // stage/** trusts the same key without matchReference: the signature verifies there.
    const stage = await verify(at(signedImage), "--policy", policy, "--repository", "stage/web");
    expect(stage.code).toBe(0);
  });

  it("a block that trusts nothing is bad input naming the repository", async () => {
    const r = await verify(at(signedImage), "--policy", policy, "--repository", "dev/app");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--policy ${policy}: dev/app: signatures: nothing is trusted`);
  });

  it("a block trusting only Notation is trust enough (the layout has no Notation signature)", async () => {
    const r = await verify(at(signedImage), "--policy", policy, "--repository", "notation/app");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
  });

  it("an OCI layout needs --repository to pick the block; --repository needs --policy", async () => {
    const r = await verify(at(signedImage), "--policy", policy);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --repository NAME to pick the --policy signatures block");
    const alone = await verify(
      at(signedImage),
      "--key",
      join(root, "keys", "release.pub"),
      "--repository",
      "prod/api",
    );
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--repository picks the --policy signatures block");
  });

  it("refuses --policy with another kind of trust, and a trust file given as --policy", async () => {
    const both = await verify(
      at(signedImage),
      "--policy",
      policy,
      "--key",
      join(root, "keys", "release.pub"),
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--key/--kms-key and --policy cannot be combined");
    const trustFile = join(root, "trust.yaml");
    await writeFile(trustFile, "keys: [{ name: release, file: keys/release.pub }]\n");
    const r = await verify(at(signedImage), "--policy", trustFile, "--repository", "prod/api");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("looks like a signature trust file");
    expect(r.stderr).toContain("--trust-file");
  });
});
