// `verify` Notation trust: --trust-store DIR with --trusted-identity, and a trust file's
// `notation` section; bad input exits 2 before any registry is asked.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliUsageError } from "../../cli/cli-error.ts";
import { runCaptured } from "../../cli/run-captured.ts";
import { checkTrustOptions, loadTrust } from "../../cli/verify-trust.ts";
import { parseTrustFile } from "../../cli/verify-trust-file.ts";
import { makeCa } from "../support/notation-vectors.ts";

const IDENTITY = "x509.subject: C=US, ST=WA, O=Acme Rockets";
let dir: string;
let store: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-verify-notation-"));
  store = join(dir, "notation-ca");
  await mkdir(store);
  await writeFile(join(store, "root.pem"), makeCa().pem + makeCa().pem);
  await writeFile(join(store, "README.txt"), "not a certificate, not read");
  await mkdir(join(dir, "empty"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Notation trust options", () => {
  it("loads every certificate of the trust store and the identities", () => {
    const opts = { trustStore: store, trustedIdentity: [IDENTITY, "*"] };
    checkTrustOptions(opts);
    const trust = loadTrust(opts);
    expect(trust.keys).toEqual([]);
    expect(trust.notation?.trustStore).toHaveLength(2);
    expect(trust.notation?.trustedIdentities.map((i) => i.text)).toEqual([IDENTITY, "*"]);
  });

  it.each([
    [{ trustStore: "x" }, /needs both --trust-store DIR and --trusted-identity/],
    [{ trustedIdentity: [IDENTITY] }, /needs both --trust-store DIR and --trusted-identity/],
    [
      { trustStore: "x", trustedIdentity: [IDENTITY], key: ["k.pub"] },
      /--key\/--kms-key and --trust-store cannot be combined/,
    ],
  ])("refuses %j", (opts, message) => {
    expect(() => checkTrustOptions(opts)).toThrow(message);
  });

  it("refuses an empty store, a missing directory and a malformed identity", () => {
    expect(() =>
      loadTrust({ trustStore: join(dir, "empty"), trustedIdentity: [IDENTITY] }),
    ).toThrow(/holds no PEM certificate/);
    expect(() => loadTrust({ trustStore: join(dir, "nope"), trustedIdentity: [IDENTITY] })).toThrow(
      /no such directory/,
    );
    expect(() =>
      loadTrust({ trustStore: store, trustedIdentity: ["x509.subject: CN=me"] }),
    ).toThrow(CliUsageError);
  });

  it("the CLI exits 2 on a Notation trust problem", async () => {
    const r = await runCaptured(
      [
        "verify",
        `team/app@sha256:${"c3".repeat(32)}`,
        "--trust-store",
        join(dir, "empty"),
        "--trusted-identity",
        IDENTITY,
      ],
      { AWS_REGION: "eu-west-1" },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("holds no PEM certificate");
  });
});

describe("trust file notation section", () => {
  it("is read with its trustStore relative to the file, and alone is enough trust", async () => {
    const t = parseTrustFile(
      [
        "notation:",
        "  trustStore: notation-ca",
        `  trustedIdentities: ["${IDENTITY}"]`,
        "  signingScheme: notary.x509.signingAuthority",
      ].join("\n"),
      join(dir, "trust.yaml"),
    );
    expect(t.notation).toEqual({
      trustStore: store,
      trustedIdentities: [IDENTITY],
      signingScheme: "notary.x509.signingAuthority",
    });
    const file = join(dir, "trust.yaml");
    await writeFile(file, `notation:\n  trustStore: notation-ca\n  trustedIdentities: ["*"]\n`);
    const trust = loadTrust({ trustFile: file });
    expect(trust.notation?.trustStore).toHaveLength(2);
    expect(trust.notation?.signingScheme).toBeUndefined();
  });

  it("refuses an unknown signing scheme", () => {
    expect(() =>
      parseTrustFile(
        "notation:\n  trustStore: d\n  trustedIdentities: ['*']\n  signingScheme: notary.x509.other\n",
        "t.yaml",
      ),
    ).toThrow(/signingScheme/);
  });
});
