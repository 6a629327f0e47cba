import type { VerificationResult } from "../../shared/signatures/verification-result.ts";
import { verifyTrusted } from "../../shared/signatures/verify-trusted.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { formatVerification } from "../format-verification.ts";
import { kmsTrustedKeys } from "../kms-keys.ts";
import { type RegistrySettings, registrySettings } from "../registry-settings.ts";
import { parseSignedImageReference, type SignedImageReference } from "../signed-image-reference.ts";
import { loadPolicyTrust } from "../verify-policy-trust.ts";
import { checkTrustOptions, loadTrust, type VerifyTrust } from "../verify-trust.ts";
import type { VerifyOptions } from "./verify-command.ts";
import { type FoundSignatures, readSignatures } from "./verify-source.ts";

export async function runVerify(image: string, opts: VerifyOptions, io: CliIo): Promise<void> {
  // Everything the user typed is checked, and every file read, before a registry is asked.
  checkTrustOptions(opts);
  const settings = await registrySettings(opts, io);
  const ref = signedImage(image, settings, opts);
  // --policy: the signatures block of the image's repository (named by --repository for a layout).
  const repository = policyRepository(image, ref, opts);
  const policy =
    repository !== undefined ? await loadPolicyTrust(opts.policy as string, repository) : null;
  const trust: VerifyTrust = policy ? policy.trust : loadTrust(opts);
  // KMS keys are fetched before the registry is asked: a key we cannot use ends the run early.
  const keys = [...trust.keys, ...(await kmsTrustedKeys(trust.kms ?? []))];

  const found = await readSignatures(ref, settings);
  const result: VerificationResult = verifyTrusted({
    imageDigest: found.imageDigest,
    imageManifest: found.imageManifest,
    repository: repository ?? found.repository,
    ...(found.registryHost !== undefined ? { registry: found.registryHost } : {}),
    candidates: found.candidates,
    keys,
    ...(trust.keyless ? { keyless: trust.keyless } : {}),
    ...(trust.notation
      ? {
          notation: trust.notation,
          notationCandidates: found.notationCandidates ?? [],
          now: new Date(),
        }
      : {}),
    options: { matchReference: opts.matchReference === true || policy?.matchReference === true },
  });
  io.out(
    opts.json
      ? JSON.stringify(verifyJson(found, result), null, 2)
      : formatVerification(found, result),
  );
  io.exit(result.verified ? EXIT.ok : EXIT.failed);
}

/** The repository whose policy block applies: the image's own, or --repository for a layout. */
function policyRepository(
  image: string,
  ref: SignedImageReference,
  opts: VerifyOptions,
): string | undefined {
  if (opts.policy === undefined) return undefined;
  if (ref.source === "oci-layout") {
    if (opts.repository === undefined || opts.repository.trim() === "") {
      throw new CliUsageError(
        "CLI_REPOSITORY",
        `${image} is an OCI layout, which names no repository: pass --repository NAME to pick the --policy signatures block (as the image would be pushed, e.g. --repository prod/api)`,
      );
    }
    return opts.repository;
  }
  if (opts.repository !== undefined && opts.repository !== ref.image.repository) {
    throw new CliUsageError(
      "CLI_REPOSITORY",
      `--repository ${opts.repository} differs from the image's repository ${ref.image.repository}: the policy block is the image's; drop --repository`,
    );
  }
  return ref.image.repository;
}

/**
 * The VerificationResult as the pipeline has it, its fields at the top level, with the CLI's
 * schemaVersion and how the image was named (docs/signatures.md#json-output).
 */
function verifyJson(found: FoundSignatures, result: VerificationResult) {
  return {
    schemaVersion: 1,
    image: found.name,
    ...(found.tag !== undefined ? { tag: found.tag } : {}),
    ...result,
  };
}

function signedImage(
  image: string,
  settings: RegistrySettings,
  opts: VerifyOptions,
): SignedImageReference {
  const ref = parseSignedImageReference(
    image,
    settings.kind === "oci"
      ? { registry: settings }
      : {
          ...(opts.registryId !== undefined ? { registryId: opts.registryId } : {}),
          ...(opts.region !== undefined ? { region: opts.region } : {}),
        },
  );
  if (ref.source === "oci-layout") {
    const flag =
      opts.registry !== undefined
        ? "--registry"
        : opts.registryId !== undefined
          ? "--registry-id"
          : opts.region !== undefined
            ? "--region"
            : undefined;
    if (flag) {
      throw new CliUsageError(
        "CLI_REGISTRY",
        `${flag} names a registry, but ${image} is an OCI layout on disk; drop ${flag}`,
      );
    }
    if (opts.matchReference && opts.repository === undefined) {
      throw new CliUsageError(
        "CLI_MATCH_REFERENCE",
        "--match-reference compares the repository a signature names with the image's, and an OCI layout has no repository; verify the image in its registry, or name it with --policy and --repository",
      );
    }
    return ref;
  }
  if (settings.kind === "oci" && opts.registryId !== undefined) {
    throw new CliUsageError(
      "CLI_REGISTRY_ID",
      "--registry-id is an ECR account id; an OCI image's registry is the --registry URL",
    );
  }
  if (settings.kind === "ecr" && ref.image.registry !== "ecr") {
    throw new CliUsageError(
      "CLI_REGISTRY",
      `${image} is an image of an OCI registry: pass --registry with that registry's URL (https://${ref.image.registryId}, or http:// for a local one)`,
    );
  }
  return ref;
}
