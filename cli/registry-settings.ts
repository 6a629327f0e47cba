import { QuarantineRepositories } from "../shared/adapters/oci/oci-quarantine-repository.ts";
import { CliUsageError } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { readTextFile } from "./read-input.ts";
import { REGISTRY_PASSWORD_ENV, type RegistryOptions } from "./registry-options.ts";

/**
 * The registry a command talks to, checked before anything is sent anywhere: Amazon ECR, or an
 * OCI registry with its URL, credentials, CA and quarantine template. The password is read from
 * the environment or stdin only, and no message here ever quotes it.
 */
export type RegistrySettings = { kind: "ecr" } | OciSettings;

export interface OciSettings {
  kind: "oci";
  /** The registry's origin, `https://host[:port]`. */
  url: string;
  /** host[:port] as the URL normalizes it: the registryId of this registry's images. */
  host: string;
  credentials?: { username: string; password: string };
  /** PEM of the registry's CA. */
  ca?: string;
  quarantineRepository?: string;
}

/** Flags that only mean something for an OCI registry, as the user types them. */
const OCI_ONLY: [keyof RegistryOptions, string][] = [
  ["registryUsername", "--registry-username"],
  ["registryPasswordStdin", "--registry-password-stdin"],
  ["registryCa", "--registry-ca"],
  ["quarantineRepository", "--quarantine-repository"],
  ["insecureRegistry", "--insecure-registry"],
];

function usage(code: string, message: string): never {
  throw new CliUsageError(code, message);
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/**
 * `--registry` as an OCI registry: `http(s)://host[:port]` and nothing more. Plain http only to
 * this machine unless the user says --insecure-registry: elsewhere it would send the password
 * and accept any image bytes an attacker on the path chooses to serve.
 */
export function parseRegistryUrl(
  value: string,
  insecure = false,
): { url: string; host: string; secure: boolean } {
  // A URL with user:password@ would put the secret in this message: never quote such a value.
  const shown = value.includes("@") ? "(the value given)" : value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    usage(
      "CLI_REGISTRY",
      `--registry ${shown}: expected ecr, or an OCI registry URL such as https://registry.example.com or http://127.0.0.1:5000`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    usage(
      "CLI_REGISTRY",
      `--registry ${shown}: an OCI registry URL starts with https:// (or http:// for a local registry)`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    usage(
      "CLI_REGISTRY",
      `--registry: put no credentials in the URL; use --registry-username with env ${REGISTRY_PASSWORD_ENV} or --registry-password-stdin`,
    );
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    usage(
      "CLI_REGISTRY",
      `--registry ${shown}: give the registry's base URL, scheme://host[:port], without a path (the API's /v2/ is added)`,
    );
  }
  // What an image reference can name (the distribution reference grammar): no `_`, no `%`.
  if (
    !/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/.test(
      url.hostname,
    )
  ) {
    usage(
      "CLI_REGISTRY",
      `--registry ${shown}: "${url.hostname}" is not a registry host name (letters, digits, - and . only)`,
    );
  }
  const secure = url.protocol === "https:";
  if (!secure && !insecure && !isLoopbackHost(url.hostname)) {
    usage(
      "CLI_INSECURE_REGISTRY",
      `--registry ${shown}: plain http:// is only used for a registry on this machine (localhost, 127.0.0.1, [::1]); use https://, or pass --insecure-registry if you accept that credentials and images travel unencrypted`,
    );
  }
  if (secure && insecure) {
    usage(
      "CLI_INSECURE_REGISTRY",
      "--insecure-registry only permits an http:// registry; for https:// with a private CA use --registry-ca",
    );
  }
  return { url: url.origin, host: url.host, secure };
}

/** The checked registry settings; reads --registry-ca and the password (env or stdin). */
export async function registrySettings(
  opts: RegistryOptions,
  io: Pick<CliIo, "env" | "readStdin">,
): Promise<RegistrySettings> {
  if (opts.registryPassword !== undefined) {
    usage(
      "CLI_PASSWORD_FLAG",
      `--registry-password is not accepted: a password on the command line shows in the process list and shell history (treat that one as exposed). Set env ${REGISTRY_PASSWORD_ENV} or pipe it to --registry-password-stdin`,
    );
  }
  if (opts.registry === undefined || opts.registry === "ecr") {
    const stray = OCI_ONLY.find(([key]) => opts[key] !== undefined);
    if (stray) {
      usage(
        "CLI_REGISTRY",
        `${stray[1]} is for an OCI registry; pass --registry <url> (the registry here is Amazon ECR)`,
      );
    }
    return { kind: "ecr" };
  }

  const { url, host, secure } = parseRegistryUrl(opts.registry, opts.insecureRegistry === true);
  if (opts.registryCa !== undefined && !secure) {
    usage("CLI_REGISTRY_CA", "--registry-ca is for an https:// registry; this one is plain http");
  }
  if (opts.quarantineRepository !== undefined) {
    try {
      new QuarantineRepositories(opts.quarantineRepository, host);
    } catch (err) {
      const message = (err as Error).message;
      const prefix = `OCI Configure failed for registry ${host}: `;
      usage(
        "CLI_QUARANTINE_REPOSITORY",
        `--quarantine-repository: ${message.startsWith(prefix) ? message.slice(prefix.length) : message}`,
      );
    }
  }
  const username = opts.registryUsername;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is refused
  if (username !== undefined && (username === "" || /[:\u0000-\u001f\u007f]/.test(username))) {
    usage(
      "CLI_REGISTRY_USERNAME",
      "--registry-username must be non-empty, without ':' or control characters (HTTP Basic cannot carry them)",
    );
  }
  const ca = opts.registryCa === undefined ? undefined : readCa(opts.registryCa);
  const password = await readPassword(opts, io);
  if (password !== undefined && username === undefined) {
    usage(
      "CLI_REGISTRY_USERNAME",
      `a registry password was given (${opts.registryPasswordStdin ? "--registry-password-stdin" : `env ${REGISTRY_PASSWORD_ENV}`}) but no --registry-username; pass the user it belongs to`,
    );
  }
  if (username !== undefined && password === undefined) {
    usage(
      "CLI_REGISTRY_PASSWORD",
      `--registry-username ${username} needs a password: set env ${REGISTRY_PASSWORD_ENV} or pipe it to --registry-password-stdin`,
    );
  }
  return {
    kind: "oci",
    url,
    host,
    ...(username !== undefined && password !== undefined
      ? { credentials: { username, password } }
      : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(opts.quarantineRepository !== undefined
      ? { quarantineRepository: opts.quarantineRepository }
      : {}),
  };
}

/** stdin wins over the environment: it was asked for on this very command line. */
async function readPassword(
  opts: RegistryOptions,
  io: Pick<CliIo, "env" | "readStdin">,
): Promise<string | undefined> {
  if (opts.registryPasswordStdin) {
    // As `docker login --password-stdin`: one trailing newline is the terminal's, not the password's.
    const text = (await io.readStdin()).replace(/\r?\n$/, "");
    if (text === "") {
      usage(
        "CLI_REGISTRY_PASSWORD",
        "--registry-password-stdin: standard input was empty; pipe the password in, e.g. `printenv TOKEN | registry-guard …`",
      );
    }
    return text;
  }
  const fromEnv = io.env[REGISTRY_PASSWORD_ENV];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function readCa(path: string): string {
  const pem = readTextFile(path, "--registry-ca");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    usage(
      "CLI_REGISTRY_CA",
      `--registry-ca ${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`,
    );
  }
  return pem;
}
