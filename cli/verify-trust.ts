import { readFileSync, statSync } from "node:fs";
import { compileIdentities } from "../shared/signatures/keyless/certificate-identity.ts";
import { KeylessPolicyError } from "../shared/signatures/keyless/keyless-policy-error.ts";
import { loadTrustedRoot } from "../shared/signatures/keyless/trusted-root.ts";
import { kmsKeyArn } from "../shared/signatures/kms-public-key-source.ts";
import type { NotationTrust } from "../shared/signatures/notation/notation-trust.ts";
import { loadPublicKey } from "../shared/signatures/public-key.ts";
import { PublicKeyError } from "../shared/signatures/public-key-error.ts";
import type { TrustedKey, TrustedKeyOptions } from "../shared/signatures/trusted-key.ts";
import type { KeylessTrust } from "../shared/signatures/verify-trusted.ts";
import { CliUsageError } from "./cli-error.ts";
import { loadTrustFile, type TrustFileKey } from "./verify-trust-file.ts";
import { loadNotationTrustStore } from "./verify-trust-store.ts";

/** The trust options of `verify`, as commander hands them over. */
export interface TrustOptions {
  key?: string[];
  kmsKey?: string[];
  identity?: string[];
  identityRegexp?: boolean;
  trustedRoot?: string;
  /** registry-guard.yaml: its `signatures` block for the image's repository (verify-policy-trust.ts). */
  policy?: string;
  /** Picks the policy block for an image that names no repository (an OCI layout). */
  repository?: string;
  /** A standalone trust file (docs/signatures.md#trust-file). */
  trustFile?: string;
  /** Notation: a directory of PEM CA / signing-authority certificates. */
  trustStore?: string;
  /** Notation: `x509.subject: C=…, ST=…, O=…` or `*`; repeatable. */
  trustedIdentity?: string[];
}

/** What one verification trusts: keys, keyless identities, or (from a trust file) both. */
export interface VerifyTrust {
  keys: TrustedKey[];
  /** AWS KMS keys, checked but not yet fetched: their public keys come from KMS (cli/kms-keys.ts). */
  kms?: KmsKeyRef[];
  keyless?: KeylessTrust;
  /** Notation trust store and identities (--trust-store, or a trust file's `notation`). */
  notation?: NotationTrust;
}

/** A KMS key to trust: its key or alias ARN, where it was named, and the name to show. */
export interface KmsKeyRef {
  arn: string;
  where: string;
  name: string;
}

/** A public key file is a few hundred bytes; a trusted root some tens of KiB. */
const MAX_KEY_FILE_BYTES = 64 * 1024;
const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

function usage(code: string, message: string): never {
  throw new CliUsageError(code, message);
}

/**
 * Checks which kind of trust was asked for, before any file is read: exactly one of keys
 * (--key, --kms-key), keyless (--identity with --trusted-root), Notation (--trust-store),
 * --trust-file and --policy.
 */
export function checkTrustOptions(opts: TrustOptions): void {
  const keys = (opts.key?.length ?? 0) + (opts.kmsKey?.length ?? 0) > 0;
  const keyless = (opts.identity?.length ?? 0) > 0;
  const notation = opts.trustStore !== undefined || (opts.trustedIdentity?.length ?? 0) > 0;
  const given = [
    keys ? "--key/--kms-key" : null,
    keyless ? "--identity" : null,
    notation ? "--trust-store" : null,
    opts.trustFile !== undefined ? "--trust-file" : null,
    opts.policy !== undefined ? "--policy" : null,
  ].filter((g) => g !== null);
  if (given.length === 0) {
    usage(
      "CLI_TRUST",
      "say what to trust: --key FILE (or --kms-key ARN), --identity ISSUER=SUBJECT with --trusted-root FILE, --trust-store DIR with --trusted-identity (Notation), --trust-file FILE, or --policy registry-guard.yaml (its signatures section)",
    );
  }
  if (given.length > 1) {
    usage(
      "CLI_TRUST",
      `${given.join(" and ")} cannot be combined: give one kind of trust (a --trust-file or the --policy signatures section may list keys, identities and Notation trust together)`,
    );
  }
  if (opts.trustedRoot !== undefined && !keyless) {
    usage(
      "CLI_TRUST",
      "--trusted-root is read for --identity only (a trust file or policy names its own trustedRoot)",
    );
  }
  if (keyless && opts.trustedRoot === undefined) {
    usage(
      "CLI_TRUST",
      "--identity needs --trusted-root FILE: the Sigstore trusted_root.json certificates and log entries are checked against (nothing is fetched)",
    );
  }
  if (notation && (opts.trustStore === undefined || (opts.trustedIdentity?.length ?? 0) === 0)) {
    usage(
      "CLI_TRUST",
      'Notation needs both --trust-store DIR and --trusted-identity "x509.subject: C=…, ST=…, O=…" (or "*")',
    );
  }
  if (opts.repository !== undefined && opts.policy === undefined) {
    usage(
      "CLI_TRUST",
      "--repository picks the --policy signatures block for an OCI layout; give --policy registry-guard.yaml too",
    );
  }
  if (opts.identityRegexp && !keyless) {
    usage("CLI_TRUST", "--identity-regexp applies to --identity, and none was given");
  }
  for (const id of opts.identity ?? []) identityFlag(id, opts.identityRegexp === true);
  for (const arn of opts.kmsKey ?? []) kmsKey(arn, "--kms-key");
}

/**
 * Reads the keys, trusted root or trust file named by checked options (--policy is read per
 * repository by verify-policy-trust.ts).
 */
export function loadTrust(opts: TrustOptions): VerifyTrust {
  if (opts.trustFile !== undefined) return trustFromFile(opts.trustFile);
  if (opts.trustStore !== undefined) {
    return {
      keys: [],
      notation: loadNotationTrustStore(
        opts.trustStore,
        opts.trustedIdentity ?? [],
        "--trust-store",
      ),
    };
  }
  if ((opts.identity?.length ?? 0) > 0) {
    // The flags first: a typo is reported before any file is read.
    const ids = identities(
      (opts.identity ?? []).map((i) => identityFlag(i, opts.identityRegexp === true)),
      "--identity",
    );
    return {
      keys: [],
      keyless: {
        trustedRoot: trustedRootFile(opts.trustedRoot as string, "--trusted-root"),
        identities: ids,
      },
    };
  }
  const kms = (opts.kmsKey ?? []).map((arn) => ({
    arn: kmsKey(arn, "--kms-key"),
    where: "--kms-key",
    name: arn,
  }));
  return {
    keys: (opts.key ?? []).map((path) => keyFile(path, "--key", { name: path })),
    ...(kms.length > 0 ? { kms } : {}),
  };
}

function trustFromFile(path: string): VerifyTrust {
  const file = loadTrustFile(path);
  const where = (k: TrustFileKey, i: number) => `${path}: keys[${i}] (${k.name})`;
  const keys: TrustedKey[] = [];
  const kms: KmsKeyRef[] = [];
  file.keys.forEach((k, i) => {
    if (k.kmsArn === undefined) keys.push(trustFileKey(k, where(k, i)));
    else
      kms.push({
        arn: kmsKey(k.kmsArn, `${where(k, i)}: kmsArn`),
        where: where(k, i),
        name: k.name,
      });
  });
  const n = file.notation;
  const withKms = {
    keys,
    ...(kms.length > 0 ? { kms } : {}),
    ...(n
      ? {
          notation: loadNotationTrustStore(
            n.trustStore,
            n.trustedIdentities,
            `${path}: notation.trustStore`,
            n.signingScheme,
          ),
        }
      : {}),
  };
  if (file.identities.length === 0) return withKms;
  const ids = identities(file.identities, path);
  return {
    ...withKms,
    keyless: {
      trustedRoot: trustedRootFile(file.trustedRoot as string, `${path}: trustedRoot`),
      identities: ids,
    },
  };
}

function trustFileKey(k: TrustFileKey, where: string): TrustedKey {
  const options: TrustedKeyOptions = {
    name: k.name,
    ...(k.hash ? { hash: k.hash } : {}),
    ...(k.rsaPadding ? { rsaPadding: k.rsaPadding } : {}),
  };
  if (k.file !== undefined) return keyFile(k.file, where, options);
  return publicKey(k.pem as string, where, options);
}

/** A KMS key or alias ARN, as KMS takes it (cosign's awskms:/// prefix dropped). */
function kmsKey(arn: string, where: string): string {
  const checked = kmsKeyArn(arn);
  if (!checked) {
    usage(
      "CLI_KMS_KEY",
      `${where} ${arn}: not a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>, or awskms:///arn:…)`,
    );
  }
  return checked;
}

function keyFile(path: string, where: string, options: TrustedKeyOptions): TrustedKey {
  return publicKey(readBounded(path, where, MAX_KEY_FILE_BYTES), `${where} ${path}`, options);
}

function publicKey(
  input: string | Uint8Array,
  where: string,
  options: TrustedKeyOptions,
): TrustedKey {
  try {
    return loadPublicKey(input, options);
  } catch (err) {
    if (err instanceof PublicKeyError) usage(err.code, `${where}: ${err.message}`);
    throw err;
  }
}

function trustedRootFile(path: string, where: string) {
  const bytes = readBounded(path, where, MAX_TRUSTED_ROOT_BYTES);
  try {
    return loadTrustedRoot(bytes);
  } catch (err) {
    if (err instanceof KeylessPolicyError) usage(err.code, `${where} ${path}: ${err.message}`);
    throw err;
  }
}

function identities(specs: readonly unknown[], where: string) {
  try {
    return compileIdentities(specs);
  } catch (err) {
    if (err instanceof KeylessPolicyError) usage(err.code, `${where}: ${err.message}`);
    throw err;
  }
}

/**
 * `ISSUER=SUBJECT`, split at the first `=` (an issuer is a URL without one; a subject may hold
 * one). With --identity-regexp the subject is a regular expression, anchored; the issuer stays
 * exact (a trust file can make it a regular expression too).
 */
export function identityFlag(value: string, regexp: boolean): Record<string, string> {
  const eq = value.indexOf("=");
  const issuer = eq < 0 ? "" : value.slice(0, eq);
  const subject = eq < 0 ? "" : value.slice(eq + 1);
  if (!issuer || !subject) {
    usage(
      "CLI_IDENTITY",
      `--identity ${value}: expected ISSUER=SUBJECT, e.g. https://token.actions.githubusercontent.com=https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main`,
    );
  }
  return regexp ? { issuer, subjectRegExp: subject } : { issuer, subject };
}

/** A file's bytes within a bound; every failure is bad input naming the flag and the file. */
function readBounded(path: string, where: string, max: number): Buffer {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) usage("CLI_FILE", `${where} ${path}: not a file`);
    if (stat.size > max) {
      usage("CLI_FILE", `${where} ${path}: ${stat.size} bytes, more than ${max} for this file`);
    }
    return readFileSync(path);
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : (err as Error).message;
    usage("CLI_FILE", `${where} ${path}: ${reason}`);
  }
}
