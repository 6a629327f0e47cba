import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSignedImageReference } from "../../cli/signed-image-reference.ts";
import { OciLayoutReferenceError } from "../../shared/signatures/sources/oci-layout-reference.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const REGISTRY = { host: "registry.example.com", url: "https://registry.example.com" };

describe("parseSignedImageReference", () => {
  it("sends oci-layout: references to the layout source", () => {
    expect(parseSignedImageReference(`oci-layout:./out@${DIGEST}`)).toEqual({
      source: "oci-layout",
      layout: { path: "./out", digest: DIGEST },
    });
    expect(parseSignedImageReference("oci-layout:./out:v1", { registry: REGISTRY })).toEqual({
      source: "oci-layout",
      layout: { path: "./out", tag: "v1" },
    });
  });

  it("reads ECR URIs, image keys and bare names as the other commands do", () => {
    expect(
      parseSignedImageReference(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@${DIGEST}`),
    ).toEqual({
      source: "registry",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "eu-west-1",
        repository: "team/api",
        digest: DIGEST,
      },
    });
    expect(parseSignedImageReference(`oci:registry.example.com/team/api@${DIGEST}`)).toMatchObject({
      source: "registry",
      image: { registry: "oci", registryId: "registry.example.com" },
    });
    expect(parseSignedImageReference(`team/api@${DIGEST}`, { registryId: "123456789012" })).toEqual(
      {
        source: "registry",
        image: {
          registry: "ecr",
          registryId: "123456789012",
          repository: "team/api",
          digest: DIGEST,
        },
      },
    );
  });

  it("reads images of the --registry OCI registry", () => {
    expect(
      parseSignedImageReference(`registry.example.com/team/api@${DIGEST}`, { registry: REGISTRY }),
    ).toEqual({
      source: "registry",
      image: {
        registry: "oci",
        registryId: "registry.example.com",
        repository: "team/api",
        digest: DIGEST,
      },
    });
  });

  it("reads a tag in place of the digest, in every registry form", () => {
    expect(parseSignedImageReference("team/api:v1.2")).toEqual({
      source: "registry",
      image: { registry: "ecr", repository: "team/api", tag: "v1.2" },
    });
    expect(
      parseSignedImageReference("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:latest"),
    ).toEqual({
      source: "registry",
      image: {
        registry: "ecr",
        registryId: "123456789012",
        region: "eu-west-1",
        repository: "team/api",
        tag: "latest",
      },
    });
    expect(parseSignedImageReference("ecr:123456789012/team/api:v1")).toMatchObject({
      image: { registry: "ecr", registryId: "123456789012", repository: "team/api", tag: "v1" },
    });
    expect(
      parseSignedImageReference("registry.example.com/team/api:v1", { registry: REGISTRY }),
    ).toEqual({
      source: "registry",
      image: {
        registry: "oci",
        registryId: "registry.example.com",
        repository: "team/api",
        tag: "v1",
      },
    });
    const local = { host: "127.0.0.1:5000", url: "http://127.0.0.1:5000" };
    expect(parseSignedImageReference("127.0.0.1:5000/app:v2", { registry: local })).toMatchObject({
      image: { repository: "app", tag: "v2" },
    });
  });

  it("names the reference the user typed when a tagged one is refused", () => {
    const refused = (text: string, opts = {}) => {
      try {
        parseSignedImageReference(text, opts);
      } catch (err) {
        return err as Error & { code: string };
      }
      throw new Error(`${text} was accepted`);
    };
    const badRepo = refused("Team/API:v1");
    expect(badRepo).toMatchObject({ name: "CliUsageError", code: "CLI_REPOSITORY" });
    expect(badRepo.message).toContain("Team/API:v1");
    expect(badRepo.message).not.toContain("0".repeat(64));
    const otherHost = refused("other.example.com/app:v1", { registry: REGISTRY });
    expect(otherHost).toMatchObject({ code: "CLI_CONFLICT" });
    expect(otherHost.message).toContain("other.example.com/app:v1");
    expect(otherHost.message).not.toContain("0".repeat(64));
    expect(refused("team/api")).toMatchObject({ code: "CLI_REFERENCE" });
    expect(refused("team/api").message).toContain("by tag (REPOSITORY:TAG)");
    expect(refused("team/api:-v1")).toMatchObject({ code: "CLI_REFERENCE" });
    expect(refused("localhost:5000/app", { registry: REGISTRY })).toMatchObject({
      code: "CLI_REFERENCE",
    });
    expect(refused("team/api@v1")).toMatchObject({ code: "CLI_DIGEST" });
    expect(() => parseSignedImageReference("oci-layout:./app@latest")).toThrow(
      OciLayoutReferenceError,
    );
  });

  it("gives back the repository and tag it was given (property)", () => {
    // No dot in the first component: `a.b/app` names the host a.b, as a pull would read it.
    const component = fc.stringMatching(/^[a-z0-9]+(?:[_-][a-z0-9]+)*$/);
    const repo = fc
      .array(component, { minLength: 1, maxLength: 3 })
      .map((c) => c.join("/"))
      .filter((r) => r.length >= 2 && r.length <= 200);
    const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
    fc.assert(
      fc.property(repo, tag, (r, t) => {
        expect(parseSignedImageReference(`${r}:${t}`, { registry: REGISTRY })).toEqual({
          source: "registry",
          image: { registry: "oci", registryId: REGISTRY.host, repository: r, tag: t },
        });
      }),
    );
  });
});
