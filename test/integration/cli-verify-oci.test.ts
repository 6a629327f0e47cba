// `registry-guard verify` against the real CNCF distribution registry over loopback http: images
// and cosign signatures pushed with the test's own client (test/support/oci-push.ts), the
// signatures made in cosign's formats (test/support/cosign-vectors.ts). Nothing is mocked.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE } from "../../shared/signatures/signature-formats.ts";
import {
  BlobStore,
  dsseBundle,
  generateTestKey,
  inTotoStatement,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
  type TestKey,
} from "../support/cosign-vectors.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  OCI_MANIFEST,
  type PushedImage,
  type PushTarget,
  pushBlob,
  pushImage,
  pushManifest,
} from "../support/oci-push.ts";

let reg: LocalRegistry;
let t: PushTarget;
let dir: string;
const key = generateTestKey("p256");
const bundleKey = generateTestKey("rsa");
const stranger = generateTestKey("p256");
const file: Record<string, string> = {};
let signed: PushedImage;
let bundled: PushedImage;
let unsigned: PushedImage;

/** `cosign sign --key`: the simple-signing payload under the `.sig` tag. */
async function signLegacy(repo: string, image: PushedImage, signer: TestKey, named = repo) {
  const store = new BlobStore();
  const layer = legacySignature(signer, {
    reference: `${reg.host}/${named}`,
    digest: image.digest,
  });
  const manifest = legacySignatureManifest([layer], store);
  for (const bytes of store.blobs.values()) {
    await pushBlob(t, repo, Buffer.from(bytes), "application/octet-stream");
  }
  await pushManifest(t, repo, signatureTag(image.digest), manifest.bytes, OCI_MANIFEST);
}

beforeAll(async () => {
  reg = await startLocalRegistry();
  t = { url: reg.url };
  dir = await mkdtemp(join(tmpdir(), "cli-verify-oci-"));
  for (const [name, k] of [
    ["release.pub", key],
    ["bundle.pub", bundleKey],
    ["stranger.pub", stranger],
  ] as const) {
    file[name] = join(dir, name);
    await writeFile(file[name], k.publicPem);
  }
  signed = await pushImage(t, "team/app", { tags: ["v1"] });
  await signLegacy("team/app", signed, key);
  // `cosign sign --new-bundle-format`: a bundle referrer, found through the tag schema (this
  // registry has no referrers API).
  bundled = await pushImage(t, "team/app", { tags: ["v2"] });
  await attachArtifact(t, "team/app", bundled, {
    artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    layers: [
      {
        mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
        bytes: dsseBundle(bundleKey, {
          payload: inTotoStatement({ digest: bundled.digest, name: `${reg.host}/team/app` }),
        }),
      },
    ],
  });
  unsigned = await pushImage(t, "team/app", { tags: ["unsigned"] });
}, 60_000);

afterAll(async () => {
  await reg?.stop();
  await rm(dir, { recursive: true, force: true });
});

const verify = (...args: string[]) => runCaptured(["verify", ...args, "--registry", reg.url]);

describe("verify on a real OCI registry", () => {
  it("verifies a signed image, naming the key, and exits 0", async () => {
    const r = await verify(
      `team/app@${signed.digest}`,
      "--key",
      file["release.pub"] as string,
      "--match-reference",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`image ${reg.host}/team/app@${signed.digest}`);
    expect(r.stdout).toContain(
      `.sig tag ${signatureTag(signed.digest)} layer 0 [simplesigning] verified`,
    );
    expect(r.stdout.split("\n").at(-1)).toMatch(
      /^VERIFIED by key .*release\.pub \([0-9a-f]{16}, ecdsa\)$/,
    );
  });

  it("resolves a tag, and finds a bundle referrer through the tag schema", async () => {
    const r = await verify(
      `${reg.host}/team/app:v2`,
      "--key",
      file["bundle.pub"] as string,
      "--match-reference",
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`image ${reg.host}/team/app@${bundled.digest} (tag v2)`);
    expect(r.stdout).toMatch(/referrer sha256:[0-9a-f]{64} layer 0 \[dsse\] verified/);
    expect(r.stdout).toMatch(/VERIFIED by key .*bundle\.pub \([0-9a-f]{16}, rsa-pkcs1v15\)$/);
  });

  it("with the wrong key exits 1 and lists the failure of each signature tried", async () => {
    const r = await verify("team/app:v1", "--key", file["stranger.pub"] as string);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "[simplesigning] SIGNATURE_INVALID: no trusted key verifies this signature",
    );
    expect(r.stdout.split("\n").at(-1)).toBe(
      "NOT VERIFIED: none of 1 signature(s) verified with what is trusted",
    );
    const json = JSON.parse(
      (await verify("team/app:v1", "--key", file["stranger.pub"] as string, "--json")).stdout,
    );
    expect(json).toMatchObject({
      verified: false,
      imageDigest: signed.digest,
      tried: [{ verified: false, failure: { code: "SIGNATURE_INVALID" } }],
    });
  });

  it("refuses a signature made for another repository with --match-reference", async () => {
    // Pushed to other/app, signed with a payload naming team/app: a signature replayed.
    const copy = await pushImage(t, "other/app");
    await signLegacy("other/app", copy, key, "team/app");
    const args = [`other/app@${copy.digest}`, "--key", file["release.pub"] as string];
    expect((await verify(...args)).code).toBe(0);
    const r = await verify(...args, "--match-reference");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `REFERENCE_MISMATCH: the signature was made for "${reg.host}/team/app", not for ${reg.host}/other/app`,
    );
  });

  it("exits 1 with 'no signatures' for an unsigned image", async () => {
    const r = await verify(`team/app@${unsigned.digest}`, "--key", file["release.pub"] as string);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no signatures");
    expect(r.stdout.split("\n").at(-1)).toBe("NOT VERIFIED: no signatures");
  });

  it("exits 2 for a tag or image the registry does not have", async () => {
    const tag = await verify("team/app:v9", "--key", file["release.pub"] as string);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toContain(`${reg.host}/team/app:v9: no such tag`);
    const digest = `sha256:${"0f".repeat(32)}`;
    const image = await verify(`team/app@${digest}`, "--key", file["release.pub"] as string);
    expect(image.code).toBe(2);
    expect(image.stderr).toContain("no such image");
  });
});

describe("verify: bad input exits 2 and calls no registry", () => {
  it.each([
    ["a bad reference", ["team/app@sha256:0f", "--key", "release.pub"], "bad digest"],
    ["an unreadable key file", ["team/app:v1", "--key", "/nonexistent/cosign.pub"], "no such file"],
    [
      "both --key and --identity",
      [
        "team/app:v1",
        "--key",
        "k.pub",
        "--identity",
        "https://issuer=me@example.com",
        "--trusted-root",
        "r.json",
      ],
      "cannot be combined",
    ],
  ])("%s", async (_what, args, message) => {
    const connect = vi.spyOn(net.Socket.prototype, "connect");
    try {
      const r = await verify(...(args as string[]));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
  });
});
