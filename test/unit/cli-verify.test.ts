// `registry-guard verify` on OCI layout directories written in a temp folder: key-based and
// keyless signatures in cosign's formats (test/support/cosign-vectors.ts,
// sigstore-keyless-vectors.ts), through the real command line with captured output.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import type { VerificationResult } from "../../shared/signatures/verification-result.ts";
import {
  BlobStore,
  bundleReferrerManifest,
  dsseBundle,
  generateTestKey,
  imageManifest,
  inTotoStatement,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
} from "../support/cosign-vectors.ts";
import { layoutEntry, REF_NAME, writeLayout } from "../support/oci-layout-dir.ts";
import {
  keylessDsseBundle,
  makeCa,
  makeLeaf,
  makeLog,
  trustedRootJson,
} from "../support/sigstore-keyless-vectors.ts";

const REFERENCE = "registry.example.com/team/app";
const GITHUB = "https://token.actions.githubusercontent.com";
const WORKFLOW = "https://github.com/team/app/.github/workflows/release.yml@refs/tags/v1";
const key = generateTestKey("p256");
const bundleKey = generateTestKey("ed25519");
const stranger = generateTestKey("p384");
const ca = makeCa();
const log = makeLog();
const leaf = makeLeaf(ca, { subject: WORKFLOW });

const legacySigned = imageManifest();
const bundleSigned = imageManifest();
const keylessSigned = imageManifest();
const unsigned = imageManifest();

let root: string;
let layout: string;
const file: Record<string, string> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cli-verify-"));
  layout = join(root, "layout");
  const store = new BlobStore();
  const entries: object[] = [];
  for (const [image, tag] of [
    [legacySigned, "v1"],
    [bundleSigned, "v2"],
    [keylessSigned, "v3"],
    [unsigned, "unsigned"],
  ] as const) {
    store.put(image.bytes);
    entries.push(layoutEntry(image, { [REF_NAME]: tag }));
  }
  // cosign sign --key: the `.sig` manifest, copied into the layout with its tag.
  const sig = legacySignatureManifest(
    [legacySignature(key, { reference: REFERENCE, digest: legacySigned.digest })],
    store,
  );
  store.put(sig.bytes);
  entries.push(layoutEntry(sig, { [REF_NAME]: signatureTag(legacySigned.digest) }));
  // cosign sign --new-bundle-format: a bundle referrer, listed in index.json as ORAS keeps it.
  const statement = (digest: string) => inTotoStatement({ digest, name: REFERENCE });
  for (const [image, bundle] of [
    [bundleSigned, dsseBundle(bundleKey, { payload: statement(bundleSigned.digest) })],
    [keylessSigned, keylessDsseBundle(leaf, log, statement(keylessSigned.digest))],
  ] as const) {
    const referrer = bundleReferrerManifest(image.digest, bundle, store);
    store.put(referrer.bytes);
    entries.push(
      layoutEntry(referrer, undefined, {
        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      }),
    );
  }
  await writeLayout(layout, store, entries);
  const write = async (name: string, text: string) => {
    file[name] = join(root, name);
    await writeFile(file[name], text);
  };
  await write("key.pub", key.publicPem);
  await write("bundle.pub", bundleKey.publicPem);
  await write("stranger.pub", stranger.publicPem);
  await write("root.json", JSON.stringify(trustedRootJson({ cas: [{ ca }], logs: [log] })));
  await write(
    "trust.yaml",
    [
      "keys:",
      "  - name: release",
      "    file: key.pub",
      "  - name: bundles",
      "    pem: |",
      ...bundleKey.publicPem
        .trim()
        .split("\n")
        .map((l) => `      ${l}`),
      "identities:",
      `  - { name: ci, issuer: "${GITHUB}", subjectRegExp: "https://github\\\\.com/team/app/.*" }`,
      "trustedRoot: root.json",
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const verify = (...args: string[]) => runCaptured(["verify", ...args]);
const at = (image: { digest: string }) => `oci-layout:${layout}@${image.digest}`;
const identity = `${GITHUB}=${WORKFLOW}`;

describe("verify with --key on an OCI layout", () => {
  it("verifies the .sig tag's signature, names the key, and exits 0", async () => {
    const r = await verify(at(legacySigned), "--key", file["key.pub"] as string);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`image oci-layout:${layout}@${legacySigned.digest}`);
    expect(lines[1]).toMatch(
      new RegExp(
        `^ {2}\\.sig tag ${signatureTag(legacySigned.digest)} layer 0 \\[simplesigning\\] verified: key `,
      ),
    );
    expect(lines.at(-1)).toMatch(/^VERIFIED by key .*key\.pub \([0-9a-f]{16}, ecdsa\)$/);
  });

  it("resolves a tag of the layout to its digest", async () => {
    const r = await verify(`oci-layout:${layout}:v2`, "--key", file["bundle.pub"] as string);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`@${bundleSigned.digest} (tag v2)`);
    expect(r.stdout).toMatch(/referrer sha256:[0-9a-f]{64} layer 0 \[dsse\] verified/);
    expect(r.stdout).toMatch(/VERIFIED by key .*bundle\.pub \([0-9a-f]{16}, ed25519\)$/);
  });

  it("tries every given key: any one trusted key verifies", async () => {
    const r = await verify(
      at(legacySigned),
      "--key",
      file["stranger.pub"] as string,
      "--key",
      file["key.pub"] as string,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/VERIFIED by key .*key\.pub/);
  });

  it("with the wrong key exits 1 and gives the reason for each signature tried", async () => {
    const r = await verify(at(legacySigned), "--key", file["stranger.pub"] as string);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines[1]).toMatch(/\[simplesigning\] SIGNATURE_INVALID: no trusted key verifies/);
    expect(lines.at(-1)).toBe("NOT VERIFIED: none of 1 signature(s) verified with what is trusted");
  });

  it("exits 1 with 'no signatures' for an image nobody signed", async () => {
    const r = await verify(`oci-layout:${layout}:unsigned`, "--key", file["key.pub"] as string);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no signatures: no .sig tag and no signature referrers");
    expect(r.stdout.split("\n").at(-1)).toBe("NOT VERIFIED: no signatures");
  });

  it("--json prints the VerificationResult, with schemaVersion and the image", async () => {
    const ok = await verify(at(legacySigned), "--key", file["key.pub"] as string, "--json");
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout) as VerificationResult;
    expect(result).toMatchObject({
      schemaVersion: 1,
      image: `oci-layout:${layout}`,
      verified: true,
      imageDigest: legacySigned.digest,
      key: { name: file["key.pub"], algorithm: "ecdsa", origin: { kind: "pem" } },
      signature: { format: "simplesigning", source: { kind: "legacy-tag" } },
    });
    const no = await verify(at(legacySigned), "--key", file["stranger.pub"] as string, "--json");
    expect(no.code).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({
      verified: false,
      reason: "no-valid-signature",
      tried: [{ verified: false, failure: { code: "SIGNATURE_INVALID" } }],
    });
  });
});

describe("verify keyless with --identity and --trusted-root", () => {
  it("verifies a Fulcio certificate's signature offline and names issuer and subject", async () => {
    const r = await verify(
      at(keylessSigned),
      "--identity",
      identity,
      "--trusted-root",
      file["root.json"] as string,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").at(-1)).toBe(`VERIFIED by issuer ${GITHUB}, subject ${WORKFLOW}`);
  });

  it("accepts the subject as an anchored regular expression with --identity-regexp", async () => {
    const args = ["--trusted-root", file["root.json"] as string, "--identity-regexp"];
    const yes = await verify(
      at(keylessSigned),
      "--identity",
      `${GITHUB}=https://github\\.com/team/.*`,
      ...args,
    );
    expect(yes.code).toBe(0);
    // Anchored: a pattern for a prefix of another organization does not match.
    const no = await verify(
      at(keylessSigned),
      "--identity",
      `${GITHUB}=https://github\\.com/tea`,
      ...args,
    );
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/\[dsse\] IDENTITY_MISMATCH: the certificate was issued to/);
  });

  it("refuses another identity, and a key-based signature, each with its reason", async () => {
    const other = await verify(
      at(keylessSigned),
      "--identity",
      `${GITHUB}=https://github.com/evil/app/.github/workflows/release.yml@refs/tags/v1`,
      "--trusted-root",
      file["root.json"] as string,
    );
    expect(other.code).toBe(1);
    expect(other.stdout).toContain("IDENTITY_MISMATCH");
    const keyBased = await verify(
      at(legacySigned),
      "--identity",
      identity,
      "--trusted-root",
      file["root.json"] as string,
    );
    expect(keyBased.code).toBe(1);
    expect(keyBased.stdout).toContain("CERTIFICATE_MISSING");
  });
});

describe("verify --trust-file", () => {
  it("trusts its keys and identities alike, naming what verified", async () => {
    const trust = ["--trust-file", file["trust.yaml"] as string];
    const legacy = await verify(at(legacySigned), ...trust);
    expect(legacy.code).toBe(0);
    expect(legacy.stdout).toMatch(/VERIFIED by key release \([0-9a-f]{16}, ecdsa\)$/);
    const bundle = await verify(at(bundleSigned), ...trust);
    expect(bundle.stdout).toMatch(/VERIFIED by key bundles \([0-9a-f]{16}, ed25519\)$/);
    const keyless = await verify(at(keylessSigned), ...trust);
    expect(keyless.code).toBe(0);
    expect(keyless.stdout.split("\n").at(-1)).toBe(
      `VERIFIED by ci: issuer ${GITHUB}, subject ${WORKFLOW}`,
    );
    const json = JSON.parse((await verify(at(keylessSigned), ...trust, "--json")).stdout);
    expect(json).toMatchObject({ verified: true, identity: { name: "ci", subject: WORKFLOW } });
    expect(json.key).toBeUndefined();
  });

  it("reports each refusal from the path the signature belongs to", async () => {
    await writeFile(
      join(root, "strangers.yaml"),
      [
        "keys: [{ name: stranger, file: stranger.pub }]",
        `identities: [{ issuer: "${GITHUB}", subject: "someone@example.com" }]`,
        "trustedRoot: root.json",
      ].join("\n"),
    );
    const trust = ["--trust-file", join(root, "strangers.yaml")];
    const keyBased = await verify(at(legacySigned), ...trust);
    expect(keyBased.code).toBe(1);
    expect(keyBased.stdout).toContain("[simplesigning] SIGNATURE_INVALID");
    const keyless = await verify(at(keylessSigned), ...trust);
    expect(keyless.code).toBe(1);
    expect(keyless.stdout).toContain("[dsse] IDENTITY_MISMATCH");
  });
});
