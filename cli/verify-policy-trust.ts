import { KmsKeyError } from "../shared/adapters/kms/kms-public-key.ts";
import { sdkKmsPublicKeySource } from "../shared/adapters/kms/sdk-kms-public-key-source.ts";
import { type LoadedPolicy, PolicyError } from "../shared/domain/policy-load.ts";
import { resolveSignaturePolicy, SignaturePolicyError } from "../shared/domain/signature-policy.ts";
import { signatureTrustFor } from "../shared/pipeline/signature-trust.ts";
import type { KmsPublicKeySource } from "../shared/signatures/kms-public-key-source.ts";
import { CliUsageError } from "./cli-error.ts";
import { loadPolicyFile } from "./load-policy-file.ts";
import type { VerifyTrust } from "./verify-trust.ts";

/** What `verify --policy` trusts for one repository, and whether signatures must name it. */
export interface PolicyVerifyTrust {
  trust: VerifyTrust;
  matchReference: boolean;
}

/**
 * The `signatures` block of registry-guard.yaml resolved for `repository` exactly as the pipeline
 * resolves it (defaults, then every matching override): its keys, keyless identities with their
 * trusted root, Notation trust store and identities (files relative to the policy file), and
 * matchReference. Used whether or not the block sets `required`: verify checks on request. A
 * block that trusts nothing, or names what cannot be read, is bad input naming the repository.
 * Keys named by kmsArn are fetched with kms:GetPublicKey (the KMS client loads only for them); a
 * key KMS says is unusable is bad input too, a failed call (access denied, throttled) is not.
 * `kms` replaces the SDK-backed source (tests).
 */
export async function loadPolicyTrust(
  path: string,
  repository: string,
  kms?: KmsPublicKeySource,
): Promise<PolicyVerifyTrust> {
  let loaded: LoadedPolicy;
  try {
    loaded = loadPolicyFile(path);
  } catch (err) {
    policyOrTrustFile(path, err);
  }
  const sdk = kms ? undefined : sdkKmsPublicKeySource();
  try {
    const policy = resolveSignaturePolicy(loaded, repository, { verifying: true });
    const t = await signatureTrustFor(loaded, policy, kms ?? sdk);
    return {
      trust: {
        keys: t.keys,
        ...(t.keyless ? { keyless: t.keyless } : {}),
        ...(t.notation ? { notation: t.notation } : {}),
      },
      matchReference: policy.matchReference,
    };
  } catch (err) {
    if (err instanceof SignaturePolicyError) {
      throw new CliUsageError("CLI_POLICY_SIGNATURES", `--policy ${path}: ${err.message}`);
    }
    if (err instanceof KmsKeyError && err.code === "KMS_KEY_UNUSABLE") {
      throw new CliUsageError("CLI_KMS_KEY", `--policy ${path}: ${err.message}`);
    }
    throw err;
  } finally {
    sdk?.destroy();
  }
}

/** A trust file given to --policy fails the policy schema: say which option reads it. */
function policyOrTrustFile(path: string, err: unknown): never {
  if (
    err instanceof PolicyError &&
    err.code === "POLICY_INVALID" &&
    err.issues.some((i) => /^(keys|identities|notation|trustedRoot)$/.test(i.path))
  ) {
    throw new CliUsageError(
      "CLI_POLICY",
      `--policy ${path}: this looks like a signature trust file (keys, identities, notation at the top); pass it with --trust-file, or give registry-guard.yaml to --policy`,
    );
  }
  throw err;
}
