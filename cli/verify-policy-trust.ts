import { type LoadedPolicy, PolicyError } from "../shared/domain/policy-load.ts";
import { resolveSignaturePolicy, SignaturePolicyError } from "../shared/domain/signature-policy.ts";
import { signatureTrustFor } from "../shared/pipeline/signature-trust.ts";
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
 */
export function loadPolicyTrust(path: string, repository: string): PolicyVerifyTrust {
  let loaded: LoadedPolicy;
  try {
    loaded = loadPolicyFile(path);
  } catch (err) {
    policyOrTrustFile(path, err);
  }
  try {
    const policy = resolveSignaturePolicy(loaded, repository, { verifying: true });
    const t = signatureTrustFor(loaded, policy);
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
    throw err;
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
