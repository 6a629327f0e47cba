import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isRepositoryName,
  QuarantineRepositories,
} from "../../shared/adapters/oci/oci-quarantine-repository.ts";

const component = fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)?$/);
const repository = fc
  .array(component, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("/"))
  .filter((r) => r.length <= 200);

describe("QuarantineRepositories", () => {
  it("defaults to quarantine/<repository>", () => {
    const q = new QuarantineRepositories();
    expect(q.forSource("team/api")).toBe("quarantine/team/api");
    expect(q.sourceOf("quarantine/team/api")).toBe("team/api");
    expect(q.isQuarantine("team/api")).toBe(false);
  });

  it("maps every repository to a distinct, valid quarantine repository it recognizes", () => {
    for (const template of ["quarantine/{repository}", "{repository}-held", "q/{repository}/x"]) {
      const q = new QuarantineRepositories(template);
      fc.assert(
        fc.property(repository, repository, (a, b) => {
          const qa = q.forSource(a);
          expect(isRepositoryName(qa)).toBe(true);
          expect(q.sourceOf(qa)).toBe(a);
          expect(qa).not.toBe(a);
          if (a !== b) expect(q.forSource(b)).not.toBe(qa);
        }),
      );
    }
  });

  it("rejects templates without exactly one placeholder, or that make invalid names", () => {
    for (const bad of [
      "quarantine",
      "{repository}",
      "{repository}/{repository}",
      "Q/{repository}",
      "q//{repository}",
    ]) {
      expect(() => new QuarantineRepositories(bad)).toThrow(/quarantine repository template/);
    }
  });
});
