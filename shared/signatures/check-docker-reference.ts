import { normalizeRegistry, parseDockerReference } from "./docker-reference.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";

/** The repository a signature must name when the policy sets `matchReference`. */
export interface ExpectedRepository {
  /** Repository path as the registry names it (`team/app`). */
  repository: string;
  /** Registry host (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`); compared when given. */
  registry?: string;
}

/**
 * Step (only when the policy asks): the signed reference names this repository. A signature is
 * over a digest, and the same digest can sit in many repositories; without this check a signature
 * made for `team-a/app` also passes for the same bytes pushed to `prod/app`. The tag or digest in
 * the reference is ignored (cosign writes the bare repository; `--sign-container-identity` may add
 * a tag); the registry host is compared when the caller knows it.
 */
export function checkDockerReference(
  signedReference: string | undefined,
  expected: ExpectedRepository,
): SignatureFailure | null {
  if (!signedReference) {
    return failure(
      "REFERENCE_MISMATCH",
      `the signature names no repository, and the policy requires it to name ${expected.repository}`,
    );
  }
  const ref = parseDockerReference(signedReference);
  const hub = ref?.registry === "docker.io" && !expected.repository.includes("/");
  const pathOk =
    ref !== null && ref.path === (hub ? `library/${expected.repository}` : expected.repository);
  const registryOk =
    ref !== null &&
    (expected.registry === undefined || ref.registry === normalizeRegistry(expected.registry));
  if (pathOk && registryOk) return null;
  const want = expected.registry
    ? `${expected.registry}/${expected.repository}`
    : expected.repository;
  return failure(
    "REFERENCE_MISMATCH",
    `the signature was made for ${JSON.stringify(signedReference)}, not for ${want}`,
  );
}
