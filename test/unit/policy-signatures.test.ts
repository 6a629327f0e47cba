import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { policyJsonSchema } from "../../shared/domain/policy-json-schema.ts";
import { loadPolicy, PolicyError } from "../../shared/domain/policy-load.ts";
import {
  resolveSignaturePolicy,
  SignaturePolicyError,
} from "../../shared/domain/signature-policy.ts";
import { signatureTrustFor } from "../../shared/pipeline/signature-trust.ts";
import { generateTestKey } from "../support/cosign-vectors.ts";
import { makeCa } from "../support/notation-vectors.ts";

const key = generateTestKey("ed25519");

function issues(text: string): string[] {
  try {
    loadPolicy(text, "p.yaml");
  } catch (err) {
    if (err instanceof PolicyError) return err.message.split("\n").slice(1);
    throw err;
  }
  throw new Error("the policy loaded");
}

describe("policy signatures block", () => {
  it("merges defaults and matching overrides like gate: keys by key, lists replaced", () => {
    const loaded = loadPolicy(
      `version: 1
defaults:
  signatures:
    keys: [{ name: release, file: keys/release.pub }]
    gracePeriod: 5m
repositories:
  - match: "prod/**"
    signatures:
      required: true
      onFail: quarantine
  - match: "prod/web"
    signatures:
      keys: [{ name: web, file: keys/web.pub }]
      requireSignedScanReports: true
`,
      "p.yaml",
    );
    expect(resolveSignaturePolicy(loaded, "dev/app")).toMatchObject({
      required: false,
      gracePeriodMinutes: 5,
      onFail: "alert",
      matchReference: false,
      requireSignedScanReports: false,
    });
    expect(resolveSignaturePolicy(loaded, "prod/api")).toMatchObject({
      required: true,
      onFail: "quarantine",
      keys: [{ name: "release", file: "keys/release.pub" }],
    });
    expect(resolveSignaturePolicy(loaded, "prod/web")).toMatchObject({
      required: true,
      keys: [{ name: "web", file: "keys/web.pub" }],
      requireSignedScanReports: true,
    });
  });

  it("defaults: not required, 10 minutes of grace, alert", () => {
    const p = resolveSignaturePolicy(loadPolicy("version: 1\n", "p.yaml"), "any");
    expect(p).toMatchObject({ required: false, gracePeriodMinutes: 10, onFail: "alert" });
  });

  it("reports schema errors with line, column and field", () => {
    expect(
      issues(`version: 1
defaults:
  signatures:
    required: yes please
    keys:
      - name: a
        pem: x
        file: y.pub
    identities:
      - issuer: https://issuer.example
    gracePeriod: 30
    onFail: delete
    requierd: true
`),
    ).toEqual([
      expect.stringMatching(/^p\.yaml:4:15 defaults\.signatures\.required: expected true or false/),
      expect.stringMatching(
        /^p\.yaml:6:9 defaults\.signatures\.keys\[0\]: give exactly one of pem, file and kmsArn \(several given\)/,
      ),
      expect.stringMatching(
        /^p\.yaml:10:9 defaults\.signatures\.identities\[0\]: give exactly one of subject and subjectRegExp/,
      ),
      expect.stringMatching(/^p\.yaml:11:18 defaults\.signatures\.gracePeriod: /),
      expect.stringMatching(/^p\.yaml:12:13 defaults\.signatures\.onFail: /),
      expect.stringMatching(
        /^p\.yaml:13:5 defaults\.signatures\.requierd: Unknown field "requierd"; allowed fields: required, keys/,
      ),
    ]);
  });

  it("refuses duplicate key names and bad identity expressions", () => {
    const text = issues(`version: 1
repositories:
  - match: "**"
    signatures:
      keys:
        - { name: a, pem: x }
        - { name: a, pem: y }
      identities:
        - { issuer: https://i.example, subjectRegExp: "(" }
`).join("\n");
    expect(text).toMatch(/keys\[1\]\.name: two keys are named a/);
    expect(text).toMatch(/identities\[0\]\.subjectRegExp: not a valid regular expression/);
  });

  it("refuses at resolve a kmsArn that is not a KMS key or alias ARN", () => {
    const loaded = loadPolicy(
      `version: 1
defaults:
  signatures:
    required: true
    keys: [{ name: kms, kmsArn: "arn:aws:kms:eu-west-1:123456789012:key/abcd" }]
`,
      "p.yaml",
    );
    expect(() => resolveSignaturePolicy(loaded, "app")).toThrowError(
      expect.objectContaining({
        code: "SIGNATURE_POLICY_INVALID",
        message: expect.stringMatching(
          /key kms: kmsArn "arn:aws:kms:eu-west-1:123456789012:key\/abcd" is not a KMS key or alias ARN/,
        ),
      }),
    );
  });

  it("refuses a required block that trusts nothing, and identities without a trusted root", () => {
    const nothing = loadPolicy("version: 1\ndefaults: { signatures: { required: true } }\n", "p");
    expect(() => resolveSignaturePolicy(nothing, "app")).toThrow(SignaturePolicyError);
    const noRoot = loadPolicy(
      `version: 1
defaults:
  signatures:
    required: true
    identities: [{ issuer: https://i.example, subject: me@example.com }]
`,
      "p",
    );
    expect(() => resolveSignaturePolicy(noRoot, "app")).toThrowError(/trustedRoot/);
  });

  it("reads key files relative to the policy file, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rg-sig-policy-"));
    writeFileSync(join(dir, "release.pub"), key.publicPem);
    const text = `version: 1
defaults:
  signatures:
    required: true
    keys: [{ name: release, file: release.pub }]
`;
    writeFileSync(join(dir, "registry-guard.yaml"), text);
    const loaded = loadPolicy(text, join(dir, "registry-guard.yaml"));
    const policy = resolveSignaturePolicy(loaded, "app");
    const pending = signatureTrustFor(loaded, policy);
    const trust = await pending;
    expect(trust.keys.map((k) => [k.name, k.algorithm])).toEqual([["release", "ed25519"]]);
    expect(signatureTrustFor(loaded, policy)).toBe(pending);

    const missing = loadPolicy(text.replace("release.pub", "gone.pub"), join(dir, "p.yaml"));
    await expect(
      signatureTrustFor(missing, resolveSignaturePolicy(missing, "app")),
    ).rejects.toThrowError(/key release: .*gone\.pub: no such file/);
  });

  it("is in the JSON schema, under defaults and each override", () => {
    type S = { properties?: Record<string, S>; items?: S; enum?: unknown[] };
    const schema = policyJsonSchema() as S;
    const defaults = schema.properties?.defaults?.properties?.signatures;
    const override = schema.properties?.repositories?.items?.properties?.signatures;
    const fields = [
      "gracePeriod",
      "identities",
      "keys",
      "matchReference",
      "notation",
      "onFail",
      "required",
      "requireSignedScanReports",
      "trustedRoot",
    ];
    expect(Object.keys(defaults?.properties ?? {}).sort()).toEqual(fields.sort());
    expect(Object.keys(override?.properties ?? {}).sort()).toEqual(fields.sort());
    expect(defaults?.properties?.onFail?.enum).toEqual(["alert", "quarantine"]);
    expect(Object.keys(defaults?.properties?.keys?.items?.properties ?? {}).sort()).toEqual([
      "file",
      "hash",
      "kmsArn",
      "name",
      "pem",
      "rsaPadding",
    ]);
  });

  it("is in the JSON schema with its notation fields", () => {
    type S = { properties?: Record<string, S> };
    const notation = (policyJsonSchema() as S).properties?.defaults?.properties?.signatures
      ?.properties?.notation;
    expect(Object.keys(notation?.properties ?? {}).sort()).toEqual([
      "signingScheme",
      "trustStore",
      "trustStorePems",
      "trustedIdentities",
    ]);
  });
});

describe("policy signatures.notation", () => {
  const IDENTITY = "x509.subject: C=US, ST=WA, O=Acme Rockets";
  const ca = makeCa();

  it("reports schema errors: empty identities, unknown scheme and fields", () => {
    const text = issues(`version: 1
defaults:
  signatures:
    notation:
      trustedIdentities: []
      signingScheme: notary.x509.other
      trustPolicy: strict
`).join("\n");
    expect(text).toMatch(/defaults\.signatures\.notation\.trustedIdentities: the list is empty/);
    expect(text).toMatch(/defaults\.signatures\.notation\.signingScheme: /);
    expect(text).toMatch(
      /notation\.trustPolicy: Unknown field "trustPolicy"; allowed fields: trustStore/,
    );
  });

  it("refuses both trust store forms in one layer", () => {
    expect(
      issues(`version: 1
defaults:
  signatures:
    notation:
      trustStore: notation-ca
      trustStorePems: ["x"]
      trustedIdentities: ["*"]
`),
    ).toEqual([
      expect.stringMatching(
        /^p\.yaml:6:23 defaults\.signatures\.notation\.trustStorePems: give one of trustStore and trustStorePems, not both/,
      ),
    ]);
  });

  it("merges key by key; a layer's trust store form replaces the other form below", () => {
    const loaded = loadPolicy(
      `version: 1
defaults:
  signatures:
    notation:
      trustStore: notation-ca
      trustedIdentities: ["*"]
      signingScheme: notary.x509
repositories:
  - match: "prod/**"
    signatures:
      required: true
      notation:
        trustedIdentities: ["${IDENTITY}"]
  - match: "prod/inline"
    signatures:
      notation:
        trustStorePems: ["pem text"]
`,
      "p.yaml",
    );
    expect(resolveSignaturePolicy(loaded, "prod/api").notation).toEqual({
      trustStore: "notation-ca",
      trustedIdentities: [IDENTITY],
      signingScheme: "notary.x509",
    });
    expect(resolveSignaturePolicy(loaded, "prod/inline").notation).toEqual({
      trustStorePems: ["pem text"],
      trustedIdentities: [IDENTITY],
      signingScheme: "notary.x509",
    });
    // A block trusting only Notation is enforceable: nothing else is needed.
    expect(resolveSignaturePolicy(loaded, "prod/api").required).toBe(true);
  });

  it("refuses, where enforced, notation without identities or store, and signed scan reports on Notation alone", () => {
    const policy = (notation: string, more = "") =>
      loadPolicy(
        `version: 1\ndefaults:\n  signatures:\n    required: true\n${more}    notation: ${notation}\n`,
        "p.yaml",
      );
    expect(() => resolveSignaturePolicy(policy("{ trustStore: ca }"), "app")).toThrowError(
      /app: signatures: notation needs trustedIdentities/,
    );
    expect(() =>
      resolveSignaturePolicy(policy('{ trustedIdentities: ["*"] }'), "app"),
    ).toThrowError(/notation needs trustStore/);
    expect(() =>
      resolveSignaturePolicy(
        policy(
          '{ trustStore: ca, trustedIdentities: ["*"] }',
          "    requireSignedScanReports: true\n",
        ),
        "app",
      ),
    ).toThrowError(/requireSignedScanReports needs keys or identities/);
    // Not enforced: a half-written block is not used, so not refused.
    const loose = loadPolicy(
      "version: 1\ndefaults: { signatures: { notation: { trustStore: ca } } }\n",
      "p",
    );
    expect(resolveSignaturePolicy(loose, "app").notation).toBeUndefined();
    // ...unless verified on request (registry-guard verify --policy).
    expect(() => resolveSignaturePolicy(loose, "app", { verifying: true })).toThrowError(
      /notation needs trustedIdentities/,
    );
  });

  it("loads the trust store directory relative to the policy file, or inline PEMs, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rg-sig-notation-"));
    mkdirSync(join(dir, "notation-ca"));
    writeFileSync(join(dir, "notation-ca", "root.pem"), ca.pem);
    writeFileSync(join(dir, "notation-ca", "README.txt"), "not read");
    const text = `version: 1
defaults:
  signatures:
    required: true
    notation:
      trustStore: notation-ca
      trustedIdentities: ["${IDENTITY}"]
      signingScheme: notary.x509
`;
    const loaded = loadPolicy(text, join(dir, "registry-guard.yaml"));
    const policy = resolveSignaturePolicy(loaded, "app");
    const pending = signatureTrustFor(loaded, policy);
    const trust = await pending;
    expect(trust.keys).toEqual([]);
    expect(trust.notation?.trustStore.map((c) => c.fingerprint256)).toEqual([
      expect.stringMatching(/^[0-9A-F:]+$/),
    ]);
    expect(trust.notation?.trustedIdentities.map((i) => i.text)).toEqual([IDENTITY]);
    expect(trust.notation?.signingScheme).toBe("notary.x509");
    expect(signatureTrustFor(loaded, policy)).toBe(pending);

    const inline = loadPolicy(
      `version: 1
defaults:
  signatures:
    required: true
    notation:
      trustStorePems:
        - |
${ca.pem
  .trim()
  .split("\n")
  .map((l) => `          ${l}`)
  .join("\n")}
      trustedIdentities: ["*"]
`,
      join(dir, "p.yaml"),
    );
    const inlineTrust = await signatureTrustFor(inline, resolveSignaturePolicy(inline, "app"));
    expect(inlineTrust.notation?.trustStore[0]?.fingerprint256).toBe(
      trust.notation?.trustStore[0]?.fingerprint256,
    );

    const bad = (notation: string) => {
      const p = loadPolicy(
        `version: 1\ndefaults:\n  signatures:\n    required: true\n    notation: ${notation}\n`,
        join(dir, "p.yaml"),
      );
      return () => signatureTrustFor(p, resolveSignaturePolicy(p, "app"));
    };
    await expect(bad('{ trustStore: gone, trustedIdentities: ["*"] }')).rejects.toThrowError(
      /app: signatures: notation\.trustStore .*gone: no such directory/,
    );
    await expect(
      bad(`{ trustStore: notation-ca, trustedIdentities: ["x509.subject: CN=me"] }`),
    ).rejects.toThrow(SignaturePolicyError);
    await expect(
      bad('{ trustStorePems: ["not a pem"], trustedIdentities: ["*"] }'),
    ).rejects.toThrowError(/notation: the trust store holds no PEM certificate/);
  });
});
