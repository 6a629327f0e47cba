// Bad input to `registry-guard verify` exits 2 with a specific message, before any registry or
// AWS API is reached: no socket is opened, no ECR call is made.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ECRClient } from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { generateTestKey } from "../support/cosign-vectors.ts";

const DIGEST = `sha256:${"c3".repeat(32)}`;
const REGISTRY = "http://127.0.0.1:9";
const ecr = mockClient(ECRClient);

let dir: string;
let pub: string;
let priv: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-verify-input-"));
  pub = join(dir, "cosign.pub");
  priv = join(dir, "cosign.key");
  root = join(dir, "root.json");
  await writeFile(pub, generateTestKey("p256").publicPem);
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  await writeFile(priv, privateKey.export({ type: "pkcs8", format: "pem" }));
  await writeFile(root, "{ not json");
});
afterAll(async () => {
  ecr.restore();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  ecr.reset();
  vi.spyOn(net.Socket.prototype, "connect").mockImplementation(() => {
    throw new Error("a socket was opened for bad input");
  });
});
afterEach(() => {
  expect(net.Socket.prototype.connect).not.toHaveBeenCalled();
  expect(ecr.calls()).toHaveLength(0);
  vi.restoreAllMocks();
});

async function bad(args: string[], message: string | RegExp) {
  const r = await runCaptured(["verify", ...args], { AWS_REGION: "eu-west-1" });
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^registry-guard: /);
  if (typeof message === "string") expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
}

const image = `team/app@${DIGEST}`;
const oci = ["--registry", REGISTRY];

describe("verify: which trust", () => {
  it("needs one kind of trust", () => bad([image, ...oci], "say what to trust: --key FILE"));
  it("refuses --key with --identity", () =>
    bad(
      [
        image,
        ...oci,
        "--key",
        pub,
        "--identity",
        "https://issuer=me@example.com",
        "--trusted-root",
        root,
      ],
      "--key/--kms-key and --identity cannot be combined",
    ));
  it("refuses --key with --policy", () =>
    bad(
      [image, ...oci, "--key", pub, "--policy", "trust.yaml"],
      "--key/--kms-key and --policy cannot be combined",
    ));
  it("refuses --identity without --trusted-root", () =>
    bad(
      [image, ...oci, "--identity", "https://issuer=me@example.com"],
      "--identity needs --trusted-root FILE",
    ));
  it("refuses --trusted-root without --identity", () =>
    bad(
      [image, ...oci, "--key", pub, "--trusted-root", root],
      "--trusted-root is read for --identity only",
    ));
  it("refuses --identity-regexp without --identity", () =>
    bad(
      [image, ...oci, "--key", pub, "--identity-regexp"],
      "--identity-regexp applies to --identity",
    ));
  it("refuses an --identity that is not ISSUER=SUBJECT", () =>
    bad(
      [image, ...oci, "--identity", "me@example.com", "--trusted-root", pub],
      "--identity me@example.com: expected ISSUER=SUBJECT",
    ));
  it("refuses an --identity-regexp that does not compile", () =>
    bad(
      [
        image,
        ...oci,
        "--identity",
        "https://issuer=(",
        "--identity-regexp",
        "--trusted-root",
        root,
      ],
      /--identity: identities\[0\]: subjectRegExp "\(" is not a valid regular expression/,
    ));
});

describe("verify: keys and roots", () => {
  it("refuses a malformed KMS key ARN as such", () =>
    bad(
      [image, ...oci, "--kms-key", "alias/release"],
      "--kms-key alias/release: not a KMS key or alias ARN",
    ));
  it("refuses a key file that is not there", () =>
    bad(
      [image, ...oci, "--key", join(dir, "nope.pub")],
      `--key ${join(dir, "nope.pub")}: no such file`,
    ));
  it("refuses a directory as a key file", () =>
    bad([image, ...oci, "--key", dir], `--key ${dir}: not a file`));
  it("refuses a private key: trust goes to a public key on purpose", () =>
    bad(
      [image, ...oci, "--key", priv],
      `--key ${priv}: expected a PUBLIC KEY PEM block, got PRIVATE KEY`,
    ));
  it("refuses a file that holds no key", () =>
    bad([image, ...oci, "--key", root], `--key ${root}: not a readable SubjectPublicKeyInfo`));
  it("refuses a trusted root that is not one", () =>
    bad(
      [image, ...oci, "--identity", "https://issuer=me@example.com", "--trusted-root", root],
      "trusted root: the trusted root is not JSON",
    ));
});

describe("verify: references", () => {
  it.each([
    ["an upper-case repository", `Team/App@${DIGEST}`, "is not an OCI repository name"],
    ["a short digest", "team/app@sha256:c3c3", "bad digest"],
    [
      "neither tag nor digest",
      "team/app",
      "name the image by digest (REPOSITORY@sha256:<64 hex>) or by tag",
    ],
    ["a bad tag", "team/app:-rc1", '"-rc1" is not a tag'],
    [
      "another registry's host",
      `registry.example.com/team/app@${DIGEST}`,
      "names registry registry.example.com",
    ],
    [
      "an ECR image with --registry",
      `ecr:123456789012/team/app@${DIGEST}`,
      "is an Amazon ECR image",
    ],
  ])("refuses %s", (_what, reference, message) => bad([reference, ...oci, "--key", pub], message));

  it("refuses an OCI image key without --registry", () =>
    bad(
      [`oci:registry.example.com/team/app@${DIGEST}`, "--key", pub],
      "pass --registry with that registry's URL",
    ));
  it("refuses a bad ECR reference before asking AWS", () =>
    bad([`team/app@${DIGEST}`, "--region", "Ireland", "--key", pub], "expected an AWS region"));
  it("refuses --registry-id with an OCI registry", () =>
    bad(
      [image, ...oci, "--registry-id", "123456789012", "--key", pub],
      "--registry-id is an ECR account id",
    ));
  it("refuses a password given as a flag", () =>
    bad(
      [image, ...oci, "--registry-password", "hunter2", "--key", pub],
      "--registry-password is not accepted",
    ));
});

describe("verify: OCI layouts", () => {
  it("refuses a layout that is not there", () =>
    bad(
      [`oci-layout:${join(dir, "none")}`, "--key", pub],
      "no such directory; check the path after oci-layout:",
    ));
  it("refuses a directory that is not a layout", () =>
    bad(
      [`oci-layout:${dir}@${DIGEST}`, "--key", pub],
      "not an OCI image layout: no oci-layout file",
    ));
  it("refuses a malformed layout reference", () =>
    bad(["oci-layout:./app@sha256:abc", "--key", pub], 'bad digest "sha256:abc"'));
  it("refuses --registry with a layout", () =>
    bad(
      [`oci-layout:${dir}`, ...oci, "--key", pub],
      "--registry names a registry, but oci-layout:",
    ));
  it("refuses --match-reference with a layout", () =>
    bad(
      [`oci-layout:${dir}`, "--key", pub, "--match-reference"],
      "an OCI layout has no repository",
    ));
});
