// Trusted identities: `x509.subject: DN` parsed as notation does and matched against the leaf's
// subject in any order; `*`; C, ST and O required.

import { X509Certificate } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NotationPolicyError } from "../../shared/signatures/notation/notation-policy-error.ts";
import {
  matchesTrustedIdentity,
  parseTrustedIdentity,
} from "../../shared/signatures/notation/trusted-identity.ts";
import { type Dn, LEAF_SUBJECT, makeCa, makeLeaf } from "../support/notation-vectors.ts";

const root = makeCa();
const leafCert = (subject: Dn = LEAF_SUBJECT) =>
  new X509Certificate(makeLeaf(root, { subject }).der);
const leaf = leafCert();

describe("parseTrustedIdentity", () => {
  it("reads `*` and a subject's attributes", () => {
    expect(parseTrustedIdentity(" * ")).toEqual({ kind: "any", text: "*" });
    const id = parseTrustedIdentity("x509.subject: C=US, ST=WA, O=Acme\\, Inc., CN=signer");
    expect(id.kind === "subject" && [...id.attributes]).toEqual([
      ["C", "US"],
      ["ST", "WA"],
      ["O", "Acme, Inc."],
      ["CN", "signer"],
    ]);
  });

  it.each([
    ["C=US, ST=WA, O=Acme", "no x509.subject: prefix"],
    ["x509.subject: C=US, O=Acme", "ST missing"],
    ["x509.subject: C=US, ST=WA, O=Acme, O=Other", "O twice"],
    ["x509.subject: C=US, ST=WA, O", "no value"],
  ])("refuses %s (%s)", (text) => {
    expect(() => parseTrustedIdentity(text)).toThrow(NotationPolicyError);
  });
});

describe("matchesTrustedIdentity", () => {
  it("matches a subset of the leaf's subject, case of the type aside", () => {
    expect(
      matchesTrustedIdentity(
        parseTrustedIdentity("x509.subject: o=Acme Rockets, st=WA, c=US"),
        leaf,
      ),
    ).toBe(true);
    expect(matchesTrustedIdentity(parseTrustedIdentity("*"), leaf)).toBe(true);
  });

  it("refuses another value or an attribute the leaf lacks", () => {
    expect(
      matchesTrustedIdentity(parseTrustedIdentity("x509.subject: C=US, ST=WA, O=Acme"), leaf),
    ).toBe(false);
    expect(
      matchesTrustedIdentity(
        parseTrustedIdentity("x509.subject: C=US, ST=WA, O=Acme Rockets, OU=Eng"),
        leaf,
      ),
    ).toBe(false);
  });

  it("is order-insensitive: any permutation of the leaf's own attributes matches", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...LEAF_SUBJECT], { minLength: LEAF_SUBJECT.length }),
        (attrs) => {
          const text = `x509.subject: ${attrs.map(([t, v]) => `${t}=${v}`).join(", ")}`;
          expect(matchesTrustedIdentity(parseTrustedIdentity(text), leaf)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("a leaf issued in another attribute order matches the same identity", () => {
    const reordered = leafCert([...LEAF_SUBJECT].reverse());
    expect(
      matchesTrustedIdentity(
        parseTrustedIdentity("x509.subject: C=US, ST=WA, O=Acme Rockets"),
        reordered,
      ),
    ).toBe(true);
  });
});
