/** Which policy file gets bundled into the functions at deploy time. */

export const DEFAULT_POLICY_PATHS = [
  "registry-guard.yaml",
  "examples/registry-guard.yaml",
] as const;

export class PolicySourceError extends Error {
  readonly code = "POLICY_SOURCE";
  constructor(message: string) {
    super(message);
    this.name = "PolicySourceError";
  }
}

/**
 * POLICY_FILE when set (it must exist: a typo must not silently deploy the example policy),
 * else registry-guard.yaml in the repository root, else examples/registry-guard.yaml. Paths are
 * relative to the repository root, where sst.config.ts lives.
 */
export function resolvePolicySource(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
): string {
  const configured = env.POLICY_FILE?.trim();
  if (configured) {
    if (!exists(configured)) {
      throw new PolicySourceError(
        `POLICY_FILE=${configured} does not exist; give a path relative to the repository root`,
      );
    }
    return configured;
  }
  const found = DEFAULT_POLICY_PATHS.find((p) => exists(p));
  if (!found) {
    throw new PolicySourceError(
      `no policy file: create ${DEFAULT_POLICY_PATHS[0]} in the repository root or set POLICY_FILE`,
    );
  }
  return found;
}
