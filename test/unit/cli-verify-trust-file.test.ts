// The standalone trust file of `verify --trust-file` (cli/verify-trust-file.ts): what it accepts, and
// a specific error, with its line, for each way it can be wrong.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { parseTrustFile, TrustFileError } from "../../cli/verify-trust-file.ts";
import { generateTestKey } from "../support/cosign-vectors.ts";

const GITHUB = "https://token.actions.githubusercontent.com";

function refused(text: string): TrustFileError {
  try {
    parseTrustFile(text, "conf/trust.yaml");
  } catch (err) {
    if (err instanceof TrustFileError) return err;
    throw err;
  }
  throw new Error("the trust file was accepted");
}

describe("parseTrustFile", () => {
  it("reads keys and identities, with paths relative to the file's directory", () => {
    const t = parseTrustFile(
      [
        "keys:",
        "  - { name: release, file: keys/release.pub }",
        "  - { name: abs, file: /etc/keys/abs.pub, hash: sha384 }",
        "  - { name: inline, pem: '-----BEGIN PUBLIC KEY-----', rsaPadding: pss }",
        "identities:",
        `  - { name: ci, issuer: "${GITHUB}", subjectRegExp: "https://github.com/org/.*" }`,
        "trustedRoot: trusted_root.json",
      ].join("\n"),
      "conf/trust.yaml",
    );
    expect(t.keys).toEqual([
      { name: "release", file: join("conf", "keys/release.pub") },
      { name: "abs", file: "/etc/keys/abs.pub", hash: "sha384" },
      { name: "inline", pem: "-----BEGIN PUBLIC KEY-----", rsaPadding: "pss" },
    ]);
    expect(t.identities).toEqual([
      { name: "ci", issuer: GITHUB, subjectRegExp: "https://github.com/org/.*" },
    ]);
    expect(t.trustedRoot).toBe(join("conf", "trusted_root.json"));
  });

  it.each([
    [
      "an empty file",
      "",
      "conf/trust.yaml the file trusts nothing: give keys, identities, or both",
    ],
    ["an unknown field", "keys: []\nkeyz: []\n", 'conf/trust.yaml:1:1 Unrecognized key: "keyz"'],
    [
      "a key with two sources",
      "keys:\n  - name: a\n    file: a.pub\n    pem: x\n",
      "conf/trust.yaml:2:5 keys[0]: give exactly one of pem, file and kmsArn (several given)",
    ],
    [
      "a key with none",
      "keys:\n  - name: a\n",
      "conf/trust.yaml:2:5 keys[0]: give exactly one of pem, file and kmsArn (none given)",
    ],
    ["a key without a name", "keys:\n  - file: a.pub\n", "conf/trust.yaml:2:5 keys[0].name:"],
    [
      "two keys of one name",
      "keys:\n  - { name: a, file: a.pub }\n  - { name: a, file: b.pub }\n",
      "conf/trust.yaml:3:13 keys[1].name: two keys are named a",
    ],
    ["a bad hash", "keys:\n  - { name: a, file: a.pub, hash: md5 }\n", "keys[0].hash:"],
    [
      "identities without trustedRoot",
      `identities:\n  - { issuer: "${GITHUB}", subject: me@example.com }\n`,
      "conf/trust.yaml:2:3 identities: identities need trustedRoot",
    ],
    [
      "a trustedRoot without identities",
      "keys: [{ name: a, file: a.pub }]\ntrustedRoot: root.json\n",
      "conf/trust.yaml:2:14 trustedRoot: trustedRoot is only read for identities",
    ],
    [
      "an identity with issuer and issuerRegExp",
      `identities:\n  - { issuer: "${GITHUB}", issuerRegExp: ".*", subject: me }\ntrustedRoot: r.json\n`,
      "conf/trust.yaml:2:5 identities[0]: give exactly one of issuer and issuerRegExp",
    ],
    [
      "an identity without a subject",
      `identities:\n  - { issuer: "${GITHUB}" }\ntrustedRoot: r.json\n`,
      "identities[0]: give exactly one of subject and subjectRegExp",
    ],
    ["a list at the top", "- a\n- b\n", "conf/trust.yaml:1:1 Invalid input"],
    [
      "the registry-guard policy itself",
      "version: 1\ndefaults: {}\n",
      "this looks like a registry-guard policy: pass it with --policy",
    ],
  ])("refuses %s", (_what, text, message) => {
    const err = refused(text);
    expect(err.code).toBe("TRUST_FILE_INVALID");
    expect(err.message).toContain("conf/trust.yaml is not a signature trust file");
    expect(err.message).toContain(message);
  });

  it("refuses YAML that does not parse, with the line", () => {
    const err = refused("keys:\n  - { name: a, file: a.pub\n");
    expect(err.code).toBe("TRUST_FILE_YAML");
    expect(err.message).toMatch(/conf\/trust\.yaml:3:1 /);
  });
});

describe("verify --trust-file FILE: trust file errors exit 2", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cli-verify-trust-"));
    await writeFile(join(dir, "release.pub"), generateTestKey("p256").publicPem);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function run(text: string) {
    const path = join(dir, "trust.yaml");
    await writeFile(path, text);
    return runCaptured(["verify", `oci-layout:${join(dir, "none")}`, "--trust-file", path]);
  }

  it.each([
    [
      "a malformed file",
      "keys: [{ name: a }]\n",
      "keys[0]: give exactly one of pem, file and kmsArn",
    ],
    [
      "a malformed KMS ARN",
      'keys: [{ name: kms, kmsArn: "alias/release" }]\n',
      "keys[0] (kms): kmsArn alias/release: not a KMS key or alias ARN",
    ],
    ["a missing key file", "keys: [{ name: gone, file: gone.pub }]\n", "keys[0] (gone) "],
    ["an unreadable PEM", "keys: [{ name: bad, pem: nonsense }]\n", "keys[0] (bad): no PEM block"],
    [
      "a bad regular expression",
      `identities: [{ issuer: "${GITHUB}", subjectRegExp: "(" }]\ntrustedRoot: root.json\n`,
      'subjectRegExp "(" is not a valid regular expression',
    ],
    [
      "a missing trusted root",
      `identities: [{ issuer: "${GITHUB}", subject: me@example.com }]\ntrustedRoot: root.json\n`,
      "trustedRoot",
    ],
  ])("%s", async (_what, text, message) => {
    const r = await run(text);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("refuses a --trust-file file that is not there", async () => {
    const r = await runCaptured([
      "verify",
      `oci-layout:${dir}`,
      "--trust-file",
      join(dir, "no.yaml"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file");
  });

  it("reads a valid file through to the image (and then finds no layout there)", async () => {
    const r = await run("keys: [{ name: release, file: release.pub }]\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such directory; check the path after oci-layout:");
  });
});
