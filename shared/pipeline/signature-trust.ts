import { readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { LoadedPolicy } from "../domain/policy-load.ts";
import { type SignaturePolicy, SignaturePolicyError } from "../domain/signature-policy.ts";
import { compileIdentities } from "../signatures/keyless/certificate-identity.ts";
import { KeylessPolicyError } from "../signatures/keyless/keyless-policy-error.ts";
import { loadTrustedRoot } from "../signatures/keyless/trusted-root.ts";
import {
  cachedKmsPublicKeySource,
  type KmsPublicKeySource,
  loadKmsPublicKey,
} from "../signatures/kms-public-key-source.ts";
import { NotationPolicyError } from "../signatures/notation/notation-policy-error.ts";
import { loadNotationTrust, type NotationTrust } from "../signatures/notation/notation-trust.ts";
import { loadPublicKey } from "../signatures/public-key.ts";
import { PublicKeyError } from "../signatures/public-key-error.ts";
import type { TrustedKey } from "../signatures/trusted-key.ts";
import type { KeylessTrust } from "../signatures/verify-trusted.ts";

/** What a repository's signatures block trusts, imported and ready for verifyTrusted. */
export interface SignatureTrust {
  keys: TrustedKey[];
  keyless?: KeylessTrust;
  notation?: NotationTrust;
}

/** notation's trust store file names (x509/<type>/<name>/*.crt|*.cer|*.pem). */
const CERT_FILE = /\.(pem|crt|cer)$/i;

/** Imported trust per loaded policy, keyed by the trust settings: keys are read once. */
const cache = new WeakMap<LoadedPolicy, Map<string, Promise<SignatureTrust>>>();

/** Each KMS source remembers its keys, so repositories trusting one key share one fetch. */
const kmsSources = new WeakMap<KmsPublicKeySource, KmsPublicKeySource>();

/**
 * Imports the keys, trusted root and Notation trust store a repository's signatures block names.
 * Files are relative to the policy file (so a bundled policy carries its keys next to it); KMS
 * keys are fetched through `kms` (GetPublicKey, once per key: concurrent callers share the
 * pending import). Imported once per policy load and set of settings; a failure is not
 * remembered, so the next event tries again. A key or root that cannot be used is a
 * SignaturePolicyError naming it; a KMS call that failed is the adapter's KmsKeyError.
 */
export function signatureTrustFor(
  loaded: LoadedPolicy,
  policy: SignaturePolicy,
  kms?: KmsPublicKeySource,
): Promise<SignatureTrust> {
  let perPolicy = cache.get(loaded);
  if (!perPolicy) {
    perPolicy = new Map();
    cache.set(loaded, perPolicy);
  }
  const id = JSON.stringify([
    policy.keys,
    policy.identities,
    policy.trustedRoot ?? null,
    policy.notation ?? null,
  ]);
  const hit = perPolicy.get(id);
  if (hit) return hit;
  const trust = importTrust(loaded.fileName, policy, kms && cachedSource(kms));
  const entries = perPolicy;
  entries.set(id, trust);
  trust.catch(() => {
    if (entries.get(id) === trust) entries.delete(id);
  });
  return trust;
}

function cachedSource(kms: KmsPublicKeySource): KmsPublicKeySource {
  let cached = kmsSources.get(kms);
  if (!cached) {
    cached = cachedKmsPublicKeySource(kms);
    kmsSources.set(kms, cached);
  }
  return cached;
}

async function importTrust(
  fileName: string,
  p: SignaturePolicy,
  kms: KmsPublicKeySource | undefined,
): Promise<SignatureTrust> {
  const dir = dirname(fileName);
  const at = (path: string) => (isAbsolute(path) ? path : join(dir, path));
  const invalid = (message: string): never => {
    throw new SignaturePolicyError("SIGNATURE_POLICY_INVALID", p.repository, message);
  };
  const keys = await Promise.all(
    p.keys.map(async (k): Promise<TrustedKey> => {
      if ("kmsArn" in k) return kmsKey(k.name, k.kmsArn, p, kms);
      try {
        const input = "pem" in k ? k.pem : readFileSync(at(k.file));
        return loadPublicKey(input, {
          name: k.name,
          ...(k.hash ? { hash: k.hash } : {}),
          ...(k.rsaPadding ? { rsaPadding: k.rsaPadding } : {}),
        });
      } catch (err) {
        if (err instanceof PublicKeyError) return invalid(`key ${k.name}: ${err.message}`);
        return invalid(`key ${k.name}: ${"file" in k ? at(k.file) : "pem"}: ${message(err)}`);
      }
    }),
  );
  const notation = p.notation ? { notation: notationTrust(p, at, invalid) } : {};
  if (p.identities.length === 0) return { keys, ...notation };
  try {
    const identities = compileIdentities(p.identities);
    const rootPath = at(p.trustedRoot as string);
    let bytes: Buffer;
    try {
      bytes = readFileSync(rootPath);
    } catch (err) {
      return invalid(`trustedRoot ${rootPath}: ${message(err)}`);
    }
    return { keys, keyless: { trustedRoot: loadTrustedRoot(bytes), identities }, ...notation };
  } catch (err) {
    if (err instanceof KeylessPolicyError) return invalid(err.message);
    throw err;
  }
}

/**
 * A KMS key's public key, verified locally like a PEM key. A key KMS answers with but that
 * cannot verify cosign signatures is a policy error; a failed call (KmsKeyError: access denied,
 * throttled, no such key) propagates as it is, so the event is retried, not decided.
 */
async function kmsKey(
  name: string,
  arn: string,
  p: SignaturePolicy,
  kms: KmsPublicKeySource | undefined,
): Promise<TrustedKey> {
  if (!kms) {
    throw new SignaturePolicyError(
      "SIGNATURE_KMS_UNAVAILABLE",
      p.repository,
      `key ${name}: kmsArn ${arn} needs kms:GetPublicKey, and this pipeline was built without a KMS client (PipelineDeps.kms)`,
    );
  }
  try {
    return await loadKmsPublicKey(kms, arn, { name });
  } catch (err) {
    if (err instanceof PublicKeyError) {
      throw new SignaturePolicyError(
        "SIGNATURE_POLICY_INVALID",
        p.repository,
        `key ${name}: ${err.message}`,
      );
    }
    throw err;
  }
}

/** The Notation trust store (a directory of PEM files, or inline PEMs) and identities. */
function notationTrust(
  p: SignaturePolicy,
  at: (path: string) => string,
  invalid: (message: string) => never,
): NotationTrust {
  const n = p.notation as NonNullable<SignaturePolicy["notation"]>;
  let pems: { name: string; pem: string }[];
  if ("trustStorePems" in n) {
    pems = n.trustStorePems.map((pem, i) => ({ name: `notation.trustStorePems[${i}]`, pem }));
  } else {
    const dir = at(n.trustStore);
    try {
      pems = readdirSync(dir)
        .filter((name) => CERT_FILE.test(name))
        .sort()
        .map((name) => ({ name: `${dir}/${name}`, pem: readFileSync(join(dir, name), "utf8") }));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "no such directory"
          : code === "ENOTDIR"
            ? "not a directory of PEM certificates"
            : message(err);
      return invalid(`notation.trustStore ${dir}: ${why}`);
    }
  }
  try {
    return loadNotationTrust({
      trustStorePems: pems,
      trustedIdentities: n.trustedIdentities,
      ...(n.signingScheme ? { signingScheme: n.signingScheme } : {}),
    });
  } catch (err) {
    if (err instanceof NotationPolicyError) return invalid(`notation: ${err.message}`);
    throw err;
  }
}

function message(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  return err instanceof Error ? err.message : String(err);
}
