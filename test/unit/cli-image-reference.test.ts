import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CliUsageError } from "../../cli/cli-error.ts";
import { parseImageReference, parseRepositoryReference } from "../../cli/image-reference.ts";
import { parseOciImageReference } from "../../cli/oci-image-reference.ts";
import { parseRegistryUrl } from "../../cli/registry-settings.ts";
import { releaseCommand } from "../../shared/domain/alert-text.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";

const DIGEST = `sha256:${"ab12".repeat(16)}`;

function usageCode(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CliUsageError) return err.code;
    throw err;
  }
  throw new Error("expected a CliUsageError");
}

/** Splits a command line as a POSIX shell would for plain, '…' and "…" words. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re))
    words.push(m[1]?.replaceAll("'\\''", "'") ?? m[2] ?? m[3] ?? "");
  return words;
}

/** The value after a flag in an argv, if any. */
function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

const segment = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4}){0,2}$/);
const repositoryArb = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("/"))
  .filter((r) => r.length >= 2);
const ecrImageArb = fc.record({
  registry: fc.constant("ecr" as const),
  registryId: fc.stringMatching(/^\d{12}$/),
  region: fc.option(fc.constantFrom("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"), {
    nil: undefined,
  }),
  repository: repositoryArb,
  digest: fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
  tags: fc.constant([] as string[]),
});

const ociHostArb = fc.oneof(
  fc.constantFrom("127.0.0.1", "localhost", "[::1]", "127.1.2.3"),
  fc
    .tuple(
      fc.array(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/), {
        minLength: 1,
        maxLength: 3,
      }),
      // A top-level label is never numeric (a URL would read the name as an IPv4 address).
      fc.stringMatching(/^[a-z]{2,6}$/),
    )
    .map(([labels, tld]) => [...labels, tld].join(".")),
);
const ociImageArb = fc.record({
  registry: fc.constant("oci" as const),
  registryId: fc
    .tuple(ociHostArb, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
    .map(([host, port]) => (port === undefined ? host : `${host}:${port}`))
    // The URL normalizes a scheme's default port away; the hint's URL must not depend on it.
    .filter((id) => !/:(80|443)$/.test(id)),
  repository: repositoryArb,
  digest: fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
  tags: fc.constant([] as string[]),
});

describe("parseImageReference", () => {
  it("reads REPOSITORY@DIGEST with the options", () => {
    expect(
      parseImageReference(`team-a/api@${DIGEST}`, {
        registryId: "123456789012",
        region: "eu-west-1",
      }),
    ).toEqual({
      registry: "ecr",
      registryId: "123456789012",
      region: "eu-west-1",
      repository: "team-a/api",
      digest: DIGEST,
    });
    // Without --registry-id the account is left for STS to fill in.
    expect(parseImageReference(`team-a/api@${DIGEST}`).registryId).toBeUndefined();
  });

  it("reads image keys and ECR image URIs", () => {
    expect(parseImageReference(`ecr:123456789012/team-a/api@${DIGEST}`)).toEqual({
      registry: "ecr",
      registryId: "123456789012",
      repository: "team-a/api",
      digest: DIGEST,
    });
    expect(
      parseImageReference(`123456789012.dkr.ecr.us-east-2.amazonaws.com/team-a/api@${DIGEST}`),
    ).toEqual({
      registry: "ecr",
      registryId: "123456789012",
      region: "us-east-2",
      repository: "team-a/api",
      digest: DIGEST,
    });
    expect(parseImageReference(`oci:registry.local:5000/lib/app@${DIGEST}`)).toMatchObject({
      registry: "oci",
      registryId: "registry.local:5000",
      repository: "lib/app",
    });
  });

  it("rejects options that contradict the reference", () => {
    expect(
      usageCode(() =>
        parseImageReference(`ecr:123456789012/team-a/api@${DIGEST}`, {
          registryId: "210987654321",
        }),
      ),
    ).toBe("CLI_CONFLICT");
    expect(
      usageCode(() =>
        parseImageReference(`123456789012.dkr.ecr.us-east-2.amazonaws.com/api@${DIGEST}`, {
          region: "eu-west-1",
        }),
      ),
    ).toBe("CLI_CONFLICT");
  });

  it.each([
    ["prod/api", "CLI_REFERENCE"],
    ["prod/api:1.0", "CLI_REFERENCE"],
    [`prod/api@sha256:${"AB".repeat(32)}`, "CLI_DIGEST"],
    ["prod/api@sha256:abc", "CLI_DIGEST"],
    [`prod/api@md5:${"a".repeat(32)}`, "CLI_DIGEST"],
    [`Prod/API@${DIGEST}`, "CLI_REPOSITORY"],
    [`prod//api@${DIGEST}`, "CLI_REPOSITORY"],
    [`ecr:12345/api@${DIGEST}`, "CLI_REGISTRY_ID"],
    [`ecr:123456789012/api@sha256:${"0".repeat(63)}`, "CLI_DIGEST"],
  ])("rejects %s (%s)", (reference, code) => {
    expect(usageCode(() => parseImageReference(reference))).toBe(code);
  });

  it("explains that a tag is not enough", () => {
    expect(() => parseImageReference("prod/api:1.0")).toThrow(/by digest.*a tag can move/);
  });

  it("rejects a malformed --registry-id or --region", () => {
    expect(usageCode(() => parseImageReference(`api@${DIGEST}`, { registryId: "abc" }))).toBe(
      "CLI_REGISTRY_ID",
    );
    expect(usageCode(() => parseImageReference(`api@${DIGEST}`, { region: "Europe" }))).toBe(
      "CLI_REGION",
    );
  });

  it("reads back every image key it could be given", () => {
    fc.assert(
      fc.property(ecrImageArb, (image) => {
        const parsed = parseImageReference(imageKey(image));
        expect(imageKey({ ...parsed, registryId: parsed.registryId ?? "" })).toBe(imageKey(image));
      }),
    );
  });
});

describe("releaseCommand (the alert's hint) and the CLI agree", () => {
  it("prints REPOSITORY@DIGEST with the registry id and the region", () => {
    const image: ImageRef = {
      registry: "ecr",
      registryId: "123456789012",
      region: "eu-west-1",
      repository: "team-a/api",
      digest: DIGEST,
      tags: ["v1"],
    };
    expect(releaseCommand(image)).toBe(
      `registry-guard release team-a/api@${DIGEST} --registry-id 123456789012 --region eu-west-1 --reason "<why it is safe>"`,
    );
    const { region: _, ...noRegion } = image;
    expect(releaseCommand(noRegion)).not.toContain("--region");
  });

  it("names exactly the image it was given, for any ECR image", () => {
    fc.assert(
      fc.property(ecrImageArb, (image) => {
        const argv = shellWords(releaseCommand(image));
        expect(argv.slice(0, 2)).toEqual(["registry-guard", "release"]);
        const parsed = parseImageReference(argv[2] as string, {
          registryId: flag(argv, "--registry-id"),
          region: flag(argv, "--region"),
        });
        expect(parsed).toEqual({
          registry: "ecr",
          registryId: image.registryId,
          ...(image.region ? { region: image.region } : {}),
          repository: image.repository,
          digest: image.digest,
        });
        expect(flag(argv, "--reason")).toBe("<why it is safe>");
      }),
    );
  });

  it("quotes a word the shell would split", () => {
    const cmd = releaseCommand({
      registry: "oci",
      registryId: "registry.local:5000",
      repository: "team a/it's",
      digest: DIGEST,
      tags: [],
    });
    expect(shellWords(cmd)[2]).toBe(`registry.local:5000/team a/it's@${DIGEST}`);
  });

  it("gives an OCI image its registry URL: http on this machine, https elsewhere", () => {
    const oci = (registryId: string): ImageRef => ({
      registry: "oci",
      registryId,
      repository: "team/api",
      digest: DIGEST,
      tags: [],
    });
    expect(releaseCommand(oci("127.0.0.1:5000"))).toBe(
      `registry-guard release 127.0.0.1:5000/team/api@${DIGEST} --registry http://127.0.0.1:5000 --reason "<why it is safe>"`,
    );
    expect(flag(shellWords(releaseCommand(oci("localhost:5000"))), "--registry")).toBe(
      "http://localhost:5000",
    );
    expect(flag(shellWords(releaseCommand(oci("[::1]:5000"))), "--registry")).toBe(
      "http://[::1]:5000",
    );
    expect(flag(shellWords(releaseCommand(oci("registry.example.com"))), "--registry")).toBe(
      "https://registry.example.com",
    );
    // A name that merely starts like a loopback address is not one.
    expect(flag(shellWords(releaseCommand(oci("127.0.0.1.example.com"))), "--registry")).toBe(
      "https://127.0.0.1.example.com",
    );
  });

  it("names exactly the image it was given, for any OCI image", () => {
    fc.assert(
      fc.property(ociImageArb, (image) => {
        const argv = shellWords(releaseCommand(image));
        expect(argv.slice(0, 2)).toEqual(["registry-guard", "release"]);
        const url = flag(argv, "--registry") as string;
        // The URL the hint prints passes the CLI's own checks (http only for loopback).
        const registry = parseRegistryUrl(url);
        expect(registry.host).toBe(image.registryId);
        expect(parseOciImageReference(argv[2] as string, registry)).toEqual({
          registry: "oci",
          registryId: image.registryId,
          repository: image.repository,
          digest: image.digest,
        });
        expect(flag(argv, "--reason")).toBe("<why it is safe>");
      }),
    );
  });
});

describe("parseRepositoryReference", () => {
  it("reads repository keys and plain names", () => {
    expect(parseRepositoryReference("ecr:123456789012/prod/api")).toEqual({
      registry: "ecr",
      registryId: "123456789012",
      repository: "prod/api",
    });
    expect(parseRepositoryReference("prod/api", { registryId: "123456789012" })).toEqual({
      registry: "ecr",
      registryId: "123456789012",
      repository: "prod/api",
    });
    expect(parseRepositoryReference("prod/api")).toEqual({
      registry: "ecr",
      repository: "prod/api",
    });
  });

  it("rejects an image, a bad name and a contradicting --registry-id", () => {
    expect(usageCode(() => parseRepositoryReference(`prod/api@${DIGEST}`))).toBe("CLI_REPOSITORY");
    expect(usageCode(() => parseRepositoryReference("Prod/Api"))).toBe("CLI_REPOSITORY");
    expect(
      usageCode(() =>
        parseRepositoryReference("ecr:123456789012/prod/api", { registryId: "999999999999" }),
      ),
    ).toBe("CLI_CONFLICT");
  });
});
