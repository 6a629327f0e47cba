import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileIdentities,
  describeIdentity,
  matchIdentity,
} from "../../shared/signatures/keyless/certificate-identity.ts";
import { KeylessPolicyError } from "../../shared/signatures/keyless/keyless-policy-error.ts";

const GITHUB = "https://token.actions.githubusercontent.com";
const WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.0";

function compileError(specs: unknown[]): KeylessPolicyError {
  try {
    compileIdentities(specs);
  } catch (err) {
    expect(err).toBeInstanceOf(KeylessPolicyError);
    return err as KeylessPolicyError;
  }
  throw new Error("the identities compiled");
}

/** A regular expression matching exactly `s` (unicode mode: `-` outside a class needs no escape). */
const literalPattern = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

describe("compileIdentities", () => {
  it("compiles exact and regular-expression sides", () => {
    const [id] = compileIdentities([
      { name: "release", issuer: GITHUB, subjectRegExp: "https://github\\.com/org/app/.*" },
    ]);
    expect(id?.name).toBe("release");
    expect(id?.issuer).toEqual({ exact: GITHUB });
    expect(id?.subject).toMatchObject({ source: "https://github\\.com/org/app/.*" });
  });

  it.each<[string, unknown, RegExp]>([
    [
      "a bad regular expression",
      { issuer: GITHUB, subjectRegExp: "https://(github" },
      /identities\[0\].*subjectRegExp/,
    ],
    [
      "both forms of one side",
      { issuer: GITHUB, issuerRegExp: ".*", subject: WORKFLOW },
      /exactly one of issuer and issuerRegExp/,
    ],
    ["no subject", { issuer: GITHUB }, /exactly one of subject and subjectRegExp/],
    ["no issuer", { subject: WORKFLOW }, /exactly one of issuer and issuerRegExp/],
    ["an unknown field", { issuer: GITHUB, subject: WORKFLOW, identity: "x" }, /identity/],
    ["an empty string", { issuer: "", subject: WORKFLOW }, /issuer/],
  ])("refuses %s at policy load", (_, spec, message) => {
    const err = compileError([spec]);
    expect(err.code).toBe("IDENTITY_POLICY_INVALID");
    expect(err.message).toMatch(message);
  });

  it("names the identity that is wrong", () => {
    const err = compileError([
      { issuer: GITHUB, subject: WORKFLOW },
      { name: "ops", issuerRegExp: "[", subject: "ops@example.com" },
    ]);
    expect(err.message).toMatch(/^identities\[1\] \(ops\): issuerRegExp "\["/);
  });

  it("refuses an empty list", () => {
    expect(compileError([]).message).toMatch(/at least one/);
  });
});

describe("matchIdentity", () => {
  const ids = compileIdentities([
    {
      name: "release",
      issuer: GITHUB,
      subjectRegExp: "https://github\\.com/org/app/\\.github/workflows/release\\.yml@refs/tags/v.*",
    },
    {
      name: "ops",
      issuerRegExp: "https://accounts\\.google\\.com|https://github\\.com/login/oauth",
      subject: "ops@example.com",
    },
  ]);

  it("admits a signer when issuer and subject both match, naming which identity did", () => {
    expect(matchIdentity(ids, { issuer: GITHUB, subject: WORKFLOW })?.name).toBe("release");
    expect(
      matchIdentity(ids, { issuer: "https://accounts.google.com", subject: "ops@example.com" })
        ?.name,
    ).toBe("ops");
  });

  it("refuses a matching subject from another issuer, and the reverse", () => {
    expect(
      matchIdentity(ids, { issuer: "https://accounts.google.com", subject: WORKFLOW }),
    ).toBeNull();
    expect(matchIdentity(ids, { issuer: GITHUB, subject: "ops@example.com" })).toBeNull();
    expect(matchIdentity(ids, { issuer: undefined, subject: WORKFLOW })).toBeNull();
    expect(matchIdentity(ids, { issuer: GITHUB, subject: undefined })).toBeNull();
  });

  it("anchors regular expressions at both ends", () => {
    expect(matchIdentity(ids, { issuer: GITHUB, subject: `${WORKFLOW}` })).not.toBeNull();
    // A subject that merely contains an admitted one, or an admitted one with a prefix.
    expect(
      matchIdentity(ids, { issuer: GITHUB, subject: `https://evil.example/?${WORKFLOW}` }),
    ).toBeNull();
    expect(
      matchIdentity(ids, {
        issuer: "https://accounts.google.com.evil.example",
        subject: "ops@example.com",
      }),
    ).toBeNull();
    // An alternation in the pattern stays inside the anchors.
    expect(
      matchIdentity(ids, {
        issuer: "https://github.com/login/oauth/../evil",
        subject: "ops@example.com",
      }),
    ).toBeNull();
  });

  it("an escaped pattern matches exactly its text, like the exact form (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (s, t) => {
        const [byRegExp] = compileIdentities([
          { issuer: GITHUB, subjectRegExp: literalPattern(s) },
        ]);
        const [byExact] = compileIdentities([{ issuer: GITHUB, subject: s }]);
        const list = [byRegExp, byExact].map((id) => [id as NonNullable<typeof id>]);
        for (const l of list) {
          expect(matchIdentity(l, { issuer: GITHUB, subject: s })).not.toBeNull();
          expect(matchIdentity(l, { issuer: GITHUB, subject: t }) !== null).toBe(s === t);
        }
      }),
    );
  });

  it("describes an identity for failure messages", () => {
    expect(describeIdentity(ids[0] as NonNullable<(typeof ids)[0]>)).toBe(
      `release: issuer "${GITHUB}", subject matching /https://github\\.com/org/app/\\.github/workflows/release\\.yml@refs/tags/v.*/`,
    );
  });
});
