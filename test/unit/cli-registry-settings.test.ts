import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CliUsageError } from "../../cli/cli-error.ts";
import { hideOptionValues } from "../../cli/program.ts";
import type { RegistryOptions } from "../../cli/registry-options.ts";
import { isLoopbackHost, parseRegistryUrl, registrySettings } from "../../cli/registry-settings.ts";

const PASSWORD = "s3cr3t-Pa55word!";

function io(env: NodeJS.ProcessEnv = {}, stdin = "") {
  let reads = 0;
  return {
    env,
    readStdin: async () => {
      reads++;
      return stdin;
    },
    get reads() {
      return reads;
    },
  };
}

async function failure(p: Promise<unknown>): Promise<CliUsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof CliUsageError) return err;
  throw new Error(`expected a CliUsageError, got ${String(err)}`);
}

function usageCode(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CliUsageError) return err.code;
    throw err;
  }
  throw new Error("expected a CliUsageError");
}

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
function tempFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "rg-cli-registry-")), "file.pem");
  writeFileSync(path, content);
  return path;
}

describe("parseRegistryUrl", () => {
  it("keeps the origin and takes the host as the images' registry id", () => {
    expect(parseRegistryUrl("https://Registry.Example.com:443/")).toEqual({
      url: "https://registry.example.com",
      host: "registry.example.com",
      secure: true,
    });
    expect(parseRegistryUrl("http://127.0.0.1:5000")).toEqual({
      url: "http://127.0.0.1:5000",
      host: "127.0.0.1:5000",
      secure: false,
    });
    expect(parseRegistryUrl("http://[::1]:5000").host).toBe("[::1]:5000");
    expect(parseRegistryUrl("http://localhost:5000").host).toBe("localhost:5000");
  });

  it.each([
    ["registry.example.com", "CLI_REGISTRY"],
    ["ftp://registry.example.com", "CLI_REGISTRY"],
    ["https://registry.example.com/v2/", "CLI_REGISTRY"],
    ["https://registry.example.com/?x=1", "CLI_REGISTRY"],
    ["https://registry.example.com:99999", "CLI_REGISTRY"],
    ["https://my_registry.example.com", "CLI_REGISTRY"],
    ["https://registry-.example.com", "CLI_REGISTRY"],
    ["http://registry.example.com", "CLI_INSECURE_REGISTRY"],
    ["http://10.0.0.5:5000", "CLI_INSECURE_REGISTRY"],
    ["http://127.0.0.1.example.com:5000", "CLI_INSECURE_REGISTRY"],
  ])("refuses %s (%s)", (url, code) => {
    expect(usageCode(() => parseRegistryUrl(url))).toBe(code);
  });

  it("explains the http rule and the way out", () => {
    expect(() => parseRegistryUrl("http://registry.internal:5000")).toThrow(
      /only used for a registry on this machine.*--insecure-registry/,
    );
  });

  it("allows http elsewhere only with --insecure-registry, which means nothing for https", () => {
    expect(parseRegistryUrl("http://registry.internal:5000", true).secure).toBe(false);
    expect(usageCode(() => parseRegistryUrl("https://registry.internal", true))).toBe(
      "CLI_INSECURE_REGISTRY",
    );
  });

  it("never quotes credentials put in the URL", () => {
    for (const url of [
      `https://guard:${PASSWORD}@registry.example.com`,
      `http://guard:${PASSWORD}@10.0.0.1:5000/v2`,
      `guard:${PASSWORD}@registry`,
    ]) {
      let message = "";
      try {
        parseRegistryUrl(url);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain(PASSWORD);
    }
  });

  it("accepts http for every loopback address and no other IPv4 address", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
        const url = `http://${ip}:${port}`;
        if (ip.startsWith("127.")) expect(parseRegistryUrl(url).secure).toBe(false);
        else expect(usageCode(() => parseRegistryUrl(url))).toBe("CLI_INSECURE_REGISTRY");
      }),
    );
  });
});

describe("isLoopbackHost", () => {
  it("knows this machine's names", () => {
    for (const h of ["localhost", "LOCALHOST", "127.0.0.1", "127.255.0.9", "[::1]"])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["10.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "[::2]", "0.0.0.0"])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe("registrySettings", () => {
  it("is ECR without --registry, or with --registry ecr", async () => {
    expect(await registrySettings({}, io())).toEqual({ kind: "ecr" });
    expect(await registrySettings({ registry: "ecr" }, io())).toEqual({ kind: "ecr" });
  });

  it("ignores the password variable for ECR, and never reads stdin for it", async () => {
    const input = io({ REGISTRY_GUARD_REGISTRY_PASSWORD: PASSWORD });
    expect(await registrySettings({}, input)).toEqual({ kind: "ecr" });
    expect(input.reads).toBe(0);
  });

  it.each<[string, RegistryOptions]>([
    ["--registry-username", { registryUsername: "guard" }],
    ["--registry-password-stdin", { registryPasswordStdin: true }],
    ["--registry-ca", { registryCa: "ca.pem" }],
    ["--quarantine-repository", { quarantineRepository: "q/{repository}" }],
    ["--insecure-registry", { insecureRegistry: true }],
  ])("refuses %s for ECR", async (flag, opts) => {
    const err = await failure(registrySettings({ registry: "ecr", ...opts }, io()));
    expect(err.message).toContain(`${flag} is for an OCI registry`);
  });

  it("reads an OCI registry anonymously", async () => {
    expect(await registrySettings({ registry: "http://127.0.0.1:5000" }, io())).toEqual({
      kind: "oci",
      url: "http://127.0.0.1:5000",
      host: "127.0.0.1:5000",
    });
  });

  it("takes the password from the environment", async () => {
    const s = await registrySettings(
      { registry: "https://registry.example.com", registryUsername: "guard" },
      io({ REGISTRY_GUARD_REGISTRY_PASSWORD: PASSWORD }),
    );
    expect(s).toMatchObject({
      kind: "oci",
      credentials: { username: "guard", password: PASSWORD },
    });
  });

  it("takes it from stdin, without the terminal's newline, in preference to the environment", async () => {
    const input = io({ REGISTRY_GUARD_REGISTRY_PASSWORD: "from-env" }, `${PASSWORD}\r\n`);
    const s = await registrySettings(
      {
        registry: "https://registry.example.com",
        registryUsername: "guard",
        registryPasswordStdin: true,
      },
      input,
    );
    expect(s).toMatchObject({ credentials: { username: "guard", password: PASSWORD } });
    expect(input.reads).toBe(1);
  });

  it("refuses a password given as a flag value, without repeating it", async () => {
    const err = await failure(
      registrySettings(
        { registry: "https://registry.example.com", registryPassword: PASSWORD },
        io(),
      ),
    );
    expect(err.code).toBe("CLI_PASSWORD_FLAG");
    expect(err.message).toContain("REGISTRY_GUARD_REGISTRY_PASSWORD");
    expect(err.message).not.toContain(PASSWORD);
  });

  it("wants a user and a password together", async () => {
    const url = "https://registry.example.com";
    const noPassword = await failure(
      registrySettings({ registry: url, registryUsername: "guard" }, io()),
    );
    expect(noPassword.code).toBe("CLI_REGISTRY_PASSWORD");
    const noUser = await failure(
      registrySettings({ registry: url }, io({ REGISTRY_GUARD_REGISTRY_PASSWORD: PASSWORD })),
    );
    expect(noUser.code).toBe("CLI_REGISTRY_USERNAME");
    expect(noUser.message).not.toContain(PASSWORD);
    const emptyStdin = await failure(
      registrySettings(
        { registry: url, registryUsername: "guard", registryPasswordStdin: true },
        io({}, "\n"),
      ),
    );
    expect(emptyStdin.message).toContain("standard input was empty");
  });

  it("refuses a user name HTTP Basic cannot carry", async () => {
    for (const registryUsername of ["", "a:b", "a\nb"]) {
      const err = await failure(
        registrySettings(
          { registry: "https://registry.example.com", registryUsername },
          io({ REGISTRY_GUARD_REGISTRY_PASSWORD: PASSWORD }),
        ),
      );
      expect(err.code).toBe("CLI_REGISTRY_USERNAME");
    }
  });

  it("reads the CA file, and refuses one without a certificate or for plain http", async () => {
    const s = await registrySettings(
      { registry: "https://registry.example.com", registryCa: tempFile(PEM) },
      io(),
    );
    expect(s).toMatchObject({ kind: "oci", ca: PEM });
    expect(
      (
        await failure(
          registrySettings(
            { registry: "https://registry.example.com", registryCa: tempFile("not a cert") },
            io(),
          ),
        )
      ).code,
    ).toBe("CLI_REGISTRY_CA");
    expect(
      (
        await failure(
          registrySettings(
            { registry: "https://registry.example.com", registryCa: "no/such/ca.pem" },
            io(),
          ),
        )
      ).message,
    ).toContain("no such file");
    expect(
      (
        await failure(
          registrySettings({ registry: "http://127.0.0.1:5000", registryCa: tempFile(PEM) }, io()),
        )
      ).code,
    ).toBe("CLI_REGISTRY_CA");
  });

  it("checks the quarantine template", async () => {
    const ok = await registrySettings(
      { registry: "http://127.0.0.1:5000", quarantineRepository: "{repository}-held" },
      io(),
    );
    expect(ok).toMatchObject({ quarantineRepository: "{repository}-held" });
    for (const template of [
      "quarantine",
      "{repository}",
      "Q/{repository}",
      "{repository}/{repository}",
    ]) {
      const err = await failure(
        registrySettings(
          { registry: "http://127.0.0.1:5000", quarantineRepository: template },
          io(),
        ),
      );
      expect(err.code, template).toBe("CLI_QUARANTINE_REPOSITORY");
      expect(err.message).toMatch(/^--quarantine-repository: quarantine repository template/);
    }
  });
});

describe("hideOptionValues (commander's unknown-option errors)", () => {
  it("keeps the option's name and drops its value, quotes included", () => {
    expect(hideOptionValues(`error: unknown option '--registry-pasword=${PASSWORD}'`)).toBe(
      "error: unknown option '--registry-pasword=…'",
    );
    expect(hideOptionValues("error: unknown option '--x=it's'\n(Did you mean --y?)")).toBe(
      "error: unknown option '--x=…'\n(Did you mean --y?)",
    );
    expect(hideOptionValues("error: unknown option '--jsn'")).toBe("error: unknown option '--jsn'");
  });
});
