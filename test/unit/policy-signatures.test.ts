import { mkdtempSync, writeFileSync } from "node:fs";
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

  it("accepts kmsArn in the file but refuses it at resolve: not supported in the pipeline yet", () => {
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
        code: "SIGNATURE_KMS_UNSUPPORTED",
        message: expect.stringMatching(/not supported in the pipeline yet/),
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

  it("reads key files relative to the policy file, once", () => {
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
    const trust = signatureTrustFor(loaded, policy);
    expect(trust.keys.map((k) => [k.name, k.algorithm])).toEqual([["release", "ed25519"]]);
    expect(signatureTrustFor(loaded, policy)).toBe(trust);

    const missing = loadPolicy(text.replace("release.pub", "gone.pub"), join(dir, "p.yaml"));
    expect(() => signatureTrustFor(missing, resolveSignaturePolicy(missing, "app"))).toThrowError(
      /key release: .*gone\.pub: no such file/,
    );
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
});
