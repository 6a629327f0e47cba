import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HarborRepositoryNameError,
  harborArtifactPath,
  invalidHarborTarget,
  splitHarborRepository,
} from "../../shared/adapters/harbor/harbor-repository.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("splitHarborRepository", () => {
  it("splits at the first slash: the project, then the rest", () => {
    expect(splitHarborRepository("library/nginx")).toEqual({
      project: "library",
      repository: "nginx",
    });
    expect(splitHarborRepository("library/team/app")).toEqual({
      project: "library",
      repository: "team/app",
    });
  });

  it("refuses a name without a project, suggesting one", () => {
    expect(() => splitHarborRepository("nginx")).toThrow(HarborRepositoryNameError);
    expect(() => splitHarborRepository("nginx")).toThrow(/library\/nginx/);
  });

  it.each(["", "Library/app", "library/", "/app", "library//app", "library/app:1.0", "a/b@x"])(
    "refuses %j",
    (name) => {
      const err = (() => {
        try {
          splitHarborRepository(name);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(HarborRepositoryNameError);
      expect((err as HarborRepositoryNameError).code).toBe("HARBOR_INVALID_REPOSITORY");
    },
  );

  const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, { maxLength: 20 });

  it("joins back to the name it split", () => {
    fc.assert(
      fc.property(component, fc.array(component, { minLength: 1, maxLength: 4 }), (p, parts) => {
        const name = `${p}/${parts.join("/")}`;
        fc.pre(name.length <= 255);
        const { project, repository } = splitHarborRepository(name);
        expect(project).toBe(p);
        expect(`${project}/${repository}`).toBe(name);
      }),
    );
  });
});

describe("harborArtifactPath", () => {
  it("encodes the repository twice, as Harbor's API requires", () => {
    expect(harborArtifactPath("library", "team/app", DIGEST)).toBe(
      `/projects/library/repositories/team%252Fapp/artifacts/${DIGEST}`,
    );
    expect(harborArtifactPath("library", "nginx", DIGEST)).toBe(
      `/projects/library/repositories/nginx/artifacts/${DIGEST}`,
    );
  });

  it("always gives one path segment per parameter that decodes back twice", () => {
    const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, { maxLength: 12 });
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 5 }), (parts) => {
        const repository = parts.join("/");
        const path = harborArtifactPath("proj", repository, DIGEST);
        const segments = path.split("/");
        expect(segments).toHaveLength(7);
        const once = decodeURIComponent(segments[4] as string);
        expect(once).not.toContain("/");
        expect(decodeURIComponent(once)).toBe(repository);
      }),
    );
  });
});

describe("invalidHarborTarget", () => {
  it("accepts a project, a nested repository and a digest", () => {
    expect(invalidHarborTarget("library", "team/app", DIGEST)).toBeUndefined();
  });

  it("names what is wrong", () => {
    expect(invalidHarborTarget("library/team", "app", DIGEST)).toMatch(/project/);
    expect(invalidHarborTarget("library", "App", DIGEST)).toMatch(/without the project/);
    expect(invalidHarborTarget("library", "app", "latest")).toMatch(/not a digest/);
    expect(invalidHarborTarget("library", "app", `sha256:${"AB".repeat(32)}`)).toMatch(/digest/);
  });
});
