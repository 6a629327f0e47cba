import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OciLayoutReferenceError,
  parseOciLayoutReference,
} from "../../shared/signatures/sources/oci-layout-reference.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("parseOciLayoutReference", () => {
  it("reads the three forms", () => {
    expect(parseOciLayoutReference(`oci-layout:./out/app@${DIGEST}`)).toEqual({
      path: "./out/app",
      digest: DIGEST,
    });
    expect(parseOciLayoutReference("oci-layout:/tmp/app:v1.2.3")).toEqual({
      path: "/tmp/app",
      tag: "v1.2.3",
    });
    expect(parseOciLayoutReference("oci-layout:/tmp/app")).toEqual({ path: "/tmp/app" });
  });

  it("keeps colons inside the directory name", () => {
    expect(parseOciLayoutReference("oci-layout:./a:b/app")).toEqual({ path: "./a:b/app" });
    expect(parseOciLayoutReference("oci-layout:./a:b/app:v1")).toEqual({
      path: "./a:b/app",
      tag: "v1",
    });
    expect(parseOciLayoutReference("oci-layout:./odd:name/")).toEqual({ path: "./odd:name/" });
    expect(parseOciLayoutReference(`oci-layout:./a:b/app@${DIGEST}`)).toEqual({
      path: "./a:b/app",
      digest: DIGEST,
    });
  });

  it("refuses malformed references with a code per mistake", () => {
    const cases: [string, string][] = [
      ["./app", "LAYOUT_REFERENCE_PREFIX"],
      ["oci:./app", "LAYOUT_REFERENCE_PREFIX"],
      ["oci-layout:", "LAYOUT_REFERENCE_PATH"],
      [`oci-layout:@${DIGEST}`, "LAYOUT_REFERENCE_PATH"],
      ["oci-layout::v1", "LAYOUT_REFERENCE_PATH"],
      ["oci-layout:./app@sha256:abc", "LAYOUT_REFERENCE_DIGEST"],
      [`oci-layout:./app@${DIGEST.toUpperCase()}`, "LAYOUT_REFERENCE_DIGEST"],
      ["oci-layout:./app@v1", "LAYOUT_REFERENCE_DIGEST"],
      ["oci-layout:./app:", "LAYOUT_REFERENCE_TAG"],
      ["oci-layout:./app:-v1", "LAYOUT_REFERENCE_TAG"],
      [`oci-layout:./app:${"t".repeat(129)}`, "LAYOUT_REFERENCE_TAG"],
    ];
    for (const [text, code] of cases) {
      let thrown: unknown;
      try {
        parseOciLayoutReference(text);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, text).toBeInstanceOf(OciLayoutReferenceError);
      expect(thrown, text).toMatchObject({ code, name: "OciLayoutReferenceError" });
    }
  });

  it("gives back the directory and digest it was given (property)", () => {
    const dir = fc.stringMatching(/^[A-Za-z0-9_./:-]{1,40}$/).filter((d) => !d.includes("@"));
    const hex = fc.stringMatching(/^[a-f0-9]{64}$/);
    fc.assert(
      fc.property(dir, hex, (path, h) => {
        expect(parseOciLayoutReference(`oci-layout:${path}@sha256:${h}`)).toEqual({
          path,
          digest: `sha256:${h}`,
        });
      }),
    );
  });

  it("gives back the directory and tag it was given (property)", () => {
    const dir = fc.stringMatching(/^[A-Za-z0-9_./-]{1,40}$/);
    const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
    fc.assert(
      fc.property(dir, tag, (path, t) => {
        expect(parseOciLayoutReference(`oci-layout:${path}:${t}`)).toEqual({ path, tag: t });
      }),
    );
  });
});
