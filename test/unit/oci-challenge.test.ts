import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseChallenges, quoteParam } from "../../shared/adapters/oci/oci-challenge.ts";

describe("parseChallenges", () => {
  it("reads a distribution bearer challenge, commas inside quotes included", () => {
    const h =
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push",error="insufficient_scope"';
    expect(parseChallenges(h)).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:samalba/my-app:pull,push",
          error: "insufficient_scope",
        },
      },
    ]);
  });

  it("reads Basic, unquoted values, spaces around '=' and several challenges", () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([
      { scheme: "basic", params: { realm: "Registry Realm" } },
    ]);
    expect(parseChallenges('Newauth realm = "apps", type=1, Basic realm="simple"')).toEqual([
      { scheme: "newauth", params: { realm: "apps", type: "1" } },
      { scheme: "basic", params: { realm: "simple" } },
    ]);
  });

  it("unescapes quoted pairs and tolerates junk", () => {
    expect(parseChallenges('Bearer realm="a\\"b\\\\c"')[0]?.params.realm).toBe('a"b\\c');
    expect(parseChallenges("")).toEqual([]);
    expect(parseChallenges("Negotiate abc123==")).toEqual([{ scheme: "negotiate", params: {} }]);
    expect(() => parseChallenges('Bearer realm="unterminated')).not.toThrow();
  });

  it("round-trips any parameters written as quoted strings", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,9}$/);
    const value = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(
        fc.dictionary(name, value, { minKeys: 1, maxKeys: 5 }),
        fc.constantFrom("Bearer", "Basic"),
        (params, scheme) => {
          const header = `${scheme} ${Object.entries(params)
            .map(([k, v]) => `${k}=${quoteParam(v)}`)
            .join(", ")}`;
          const parsed = parseChallenges(header);
          expect(parsed).toHaveLength(1);
          expect(parsed[0]?.scheme).toBe(scheme.toLowerCase());
          expect(parsed[0]?.params).toEqual(params);
        },
      ),
    );
  });
});
