import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { NotationSigningScheme } from "../shared/signatures/notation/notation-formats.ts";
import { NotationPolicyError } from "../shared/signatures/notation/notation-policy-error.ts";
import {
  loadNotationTrust,
  type NotationTrust,
} from "../shared/signatures/notation/notation-trust.ts";
import { CliUsageError } from "./cli-error.ts";

/** A trust store is a handful of certificates; these bounds only stop a wrong directory. */
const MAX_FILES = 100;
const MAX_FILE_BYTES = 1024 * 1024;
/** notation's trust store file names (x509/<type>/<name>/*.crt|*.cer|*.pem). */
const CERT_FILE = /\.(pem|crt|cer)$/i;

/**
 * A Notation trust store directory (PEM CA or signing-authority certificates, one or more per
 * `.pem`/`.crt`/`.cer` file, as notation keeps them) and the trusted identities, read and parsed;
 * every problem is bad input naming `where`.
 */
export function loadNotationTrustStore(
  dir: string,
  identities: readonly string[],
  where: string,
  signingScheme?: NotationSigningScheme,
): NotationTrust {
  const usage = (message: string): never => {
    throw new CliUsageError("CLI_TRUST_STORE", `${where} ${dir}: ${message}`);
  };
  let names: string[] = [];
  try {
    if (!statSync(dir).isDirectory()) usage("not a directory of PEM certificates");
    names = readdirSync(dir)
      .filter((n) => CERT_FILE.test(n))
      .sort();
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    usage(
      (err as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such directory"
        : (err as Error).message,
    );
  }
  if (names.length > MAX_FILES) usage(`${names.length} certificate files, more than ${MAX_FILES}`);
  const pems = names.map((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    if (!stat.isFile()) usage(`${name} is not a file`);
    if (stat.size > MAX_FILE_BYTES)
      usage(`${name} is ${stat.size} bytes, more than ${MAX_FILE_BYTES}`);
    return { name, pem: readFileSync(path, "utf8") };
  });
  try {
    return loadNotationTrust({
      trustStorePems: pems,
      trustedIdentities: identities,
      ...(signingScheme ? { signingScheme } : {}),
    });
  } catch (err) {
    if (err instanceof NotationPolicyError)
      throw new CliUsageError("CLI_TRUST_STORE", `${where} ${dir}: ${err.message}`);
    throw err;
  }
}
