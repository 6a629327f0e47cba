import picomatch from "picomatch";
import { CliUsageError } from "./cli-error.ts";

/**
 * `--repository` globs, checked before anything is read: the policy's glob syntax (`*` within a
 * path segment, `**` across), matched by shared/domain/policy-resolve.ts's repositoryMatcher.
 */
export function checkRepositoryGlobs(globs: readonly string[]): string[] {
  for (const glob of globs) {
    if (glob.trim() === "" || glob.trim() !== glob) {
      throw new CliUsageError(
        "CLI_REPOSITORY_GLOB",
        `--repository ${JSON.stringify(glob)}: a glob must be non-empty, without leading or trailing spaces`,
      );
    }
    try {
      picomatch.makeRe(glob, { dot: true });
    } catch (err) {
      throw new CliUsageError(
        "CLI_REPOSITORY_GLOB",
        `--repository ${glob}: not a glob (${(err as Error).message})`,
      );
    }
  }
  return [...globs];
}
