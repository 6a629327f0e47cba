import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authorizationMatches } from "../../shared/receiver/webhook-auth.ts";

const SECRET = "Zm9vYmFyYmF6cXV4LXNoYXJlZC1zZWNyZXQ";

describe("authorizationMatches", () => {
  it.each([
    `Bearer ${SECRET}`,
    `bearer ${SECRET}`,
    `BEARER\t${SECRET}`,
    `Bearer   ${SECRET}`,
    SECRET,
  ])("accepts %j", (header) => {
    expect(authorizationMatches(header, SECRET)).toBe(true);
  });

  it.each([
    "",
    "Bearer",
    "Bearer ",
    `Bearer ${SECRET} `,
    `Bearer ${SECRET.toLowerCase()}`,
    `Basic ${SECRET}`,
    `${SECRET}x`,
    SECRET.slice(1),
    `Bearer${SECRET}`,
  ])("refuses %j", (header) => {
    expect(authorizationMatches(header, SECRET)).toBe(false);
  });

  it("never matches an empty secret", () => {
    for (const h of ["", "Bearer", "Bearer ", "x"]) expect(authorizationMatches(h, "")).toBe(false);
  });

  it("matches exactly the secret, bare or after a Bearer scheme", () => {
    // As validateReceiverConfig admits them: no surrounding whitespace.
    const secrets = fc.stringMatching(/^[!-~](?:[ -~]{0,38}[!-~])?$/);
    fc.assert(
      fc.property(secrets, fc.string({ maxLength: 50 }), (secret, header) => {
        const bearer = /^bearer[ \t]+(.*)$/is.exec(header)?.[1];
        const expected = header === secret || bearer === secret;
        expect(authorizationMatches(header, secret)).toBe(expected);
      }),
    );
    fc.assert(
      fc.property(secrets, fc.constantFrom("Bearer ", "bearer ", ""), (secret, prefix) => {
        expect(authorizationMatches(`${prefix}${secret}`, secret)).toBe(true);
      }),
    );
  });
});
