import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CliUsageError } from "../../cli/cli-error.ts";
import { parseOciImageReference } from "../../cli/oci-image-reference.ts";
import { imageKey } from "../../shared/domain/image.ts";

const DIGEST = `sha256:${"c0ffee".repeat(10)}abcd`;
const LOCAL = { url: "http://127.0.0.1:5000", host: "127.0.0.1:5000" };
const REMOTE = { url: "https://registry.example.com", host: "registry.example.com" };

function usage(f: () => unknown): CliUsageError {
  try {
    f();
  } catch (err) {
    if (err instanceof CliUsageError) return err;
    throw err;
  }
  throw new Error("expected a CliUsageError");
}

const expected = (registry: { host: string }, repository: string) => ({
  registry: "oci",
  registryId: registry.host,
  repository,
  digest: DIGEST,
});

describe("parseOciImageReference", () => {
  it("reads REPOSITORY@DIGEST as an image of the --registry", () => {
    expect(parseOciImageReference(`team/api@${DIGEST}`, LOCAL)).toEqual(
      expected(LOCAL, "team/api"),
    );
    expect(parseOciImageReference(`api@${DIGEST}`, REMOTE)).toEqual(expected(REMOTE, "api"));
  });

  it("reads host[:port]/REPOSITORY@DIGEST and image keys of the same registry", () => {
    expect(parseOciImageReference(`127.0.0.1:5000/team/api@${DIGEST}`, LOCAL)).toEqual(
      expected(LOCAL, "team/api"),
    );
    expect(parseOciImageReference(`oci:127.0.0.1:5000/team/api@${DIGEST}`, LOCAL)).toEqual(
      expected(LOCAL, "team/api"),
    );
    // The host is compared as the URL normalizes it: case and the scheme's default port.
    expect(parseOciImageReference(`Registry.Example.com:443/team/api@${DIGEST}`, REMOTE)).toEqual(
      expected(REMOTE, "team/api"),
    );
    expect(
      parseOciImageReference(`localhost:5000/api@${DIGEST}`, {
        url: "http://localhost:5000",
        host: "localhost:5000",
      }),
    ).toMatchObject({ repository: "api" });
  });

  it("refuses an image of another registry than --registry", () => {
    for (const ref of [
      `oci:registry.example.com/team/api@${DIGEST}`,
      `127.0.0.1:5001/team/api@${DIGEST}`,
      `registry.example.com/team/api@${DIGEST}`,
      `oci:guard@127.0.0.1:5000/team/api@${DIGEST}`,
    ]) {
      expect(usage(() => parseOciImageReference(ref, LOCAL)).code, ref).toBe("CLI_CONFLICT");
    }
  });

  it("reads a first component with a dot as a host, as a pull would, and says how to write it", () => {
    const err = usage(() => parseOciImageReference(`my.team/api@${DIGEST}`, LOCAL));
    expect(err.code).toBe("CLI_CONFLICT");
    expect(err.message).toContain(`write 127.0.0.1:5000/my.team/api@sha256:`);
    expect(parseOciImageReference(`127.0.0.1:5000/my.team/api@${DIGEST}`, LOCAL)).toEqual(
      expected(LOCAL, "my.team/api"),
    );
  });

  it("refuses ECR images", () => {
    for (const ref of [
      `ecr:123456789012/team/api@${DIGEST}`,
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@${DIGEST}`,
    ]) {
      const err = usage(() => parseOciImageReference(ref, LOCAL));
      expect(err.code).toBe("CLI_REGISTRY");
      expect(err.message).toContain("Amazon ECR image");
    }
  });

  it.each([
    ["team/api", "CLI_REFERENCE"],
    ["team/api:1.0", "CLI_REFERENCE"],
    [`team/api@sha256:${"AB".repeat(32)}`, "CLI_DIGEST"],
    [`Team/API@${DIGEST}`, "CLI_REPOSITORY"],
    [`team//api@${DIGEST}`, "CLI_REPOSITORY"],
    [`team/api-@${DIGEST}`, "CLI_REPOSITORY"],
    [`oci:127.0.0.1:5000/team/api@sha256:abc`, "CLI_DIGEST"],
    [`oci:127.0.0.1:5000@${DIGEST}`, "CLI_REFERENCE"],
  ])("rejects %s (%s)", (ref, code) => {
    expect(usage(() => parseOciImageReference(ref, LOCAL)).code).toBe(code);
  });

  it("explains that a tag is not enough, without ECR's advice", () => {
    const err = usage(() => parseOciImageReference("team/api:1.0", LOCAL));
    expect(err.message).toMatch(/by digest.*a tag can move/);
    expect(err.message).not.toContain("aws ecr");
  });

  it("reads back every image key of the registry", () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,4}){0,2}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => p.join("/")),
        fc.stringMatching(/^[a-f0-9]{64}$/),
        (repository, hex) => {
          const image = {
            registry: "oci" as const,
            registryId: LOCAL.host,
            repository,
            digest: `sha256:${hex}`,
          };
          const parsed = parseOciImageReference(imageKey(image), LOCAL);
          expect(imageKey({ ...parsed, registryId: parsed.registryId ?? "" })).toBe(
            imageKey(image),
          );
          // And the pull form names the same image.
          expect(
            parseOciImageReference(`${LOCAL.host}/${repository}@sha256:${hex}`, LOCAL),
          ).toEqual(parsed);
        },
      ),
    );
  });
});
