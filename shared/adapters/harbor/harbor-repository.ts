import { DIGEST_RE } from "../../domain/image.ts";

/** One path component of an OCI repository name (distribution spec), anchored. */
const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const MAX_NAME = 255;

/** A Harbor repository name split at its project: `library/team/app` → library + team/app. */
export interface HarborRepositoryName {
  project: string;
  /** The repository inside the project; may itself contain `/`. */
  repository: string;
}

/** A name that cannot be a Harbor repository; `reason` says why, for the caller's error. */
export class HarborRepositoryNameError extends Error {
  readonly code = "HARBOR_INVALID_REPOSITORY";

  constructor(message: string) {
    super(message);
    this.name = "HarborRepositoryNameError";
  }
}

function validComponents(s: string): boolean {
  return s.length > 0 && s.length <= MAX_NAME && s.split("/").every((c) => COMPONENT_RE.test(c));
}

/**
 * Splits a Harbor repository name (`repository.repo_full_name` in Harbor's webhooks, the path
 * of an image reference) into project and repository. Every Harbor repository lives in a
 * project, so a name without `/` is refused, as is anything that is not an OCI repository name.
 */
export function splitHarborRepository(name: string): HarborRepositoryName {
  if (!validComponents(name)) {
    throw new HarborRepositoryNameError(
      `${JSON.stringify(name.slice(0, 100))} is not a repository name: lowercase letters, digits and . _ - separators, / between path parts`,
    );
  }
  const slash = name.indexOf("/");
  if (slash < 0) {
    throw new HarborRepositoryNameError(
      `"${name}" has no project: Harbor repository names are <project>/<repository>, e.g. library/${name}`,
    );
  }
  return { project: name.slice(0, slash), repository: name.slice(slash + 1) };
}

/** Project and repository (inside the project) are each well-formed; undefined when so. */
export function invalidHarborTarget(
  project: string,
  repository: string,
  digest: string,
): string | undefined {
  if (project.includes("/") || !validComponents(project)) {
    return `the project ${JSON.stringify(project.slice(0, 100))} is not a Harbor project name`;
  }
  if (!validComponents(repository) || project.length + 1 + repository.length > MAX_NAME) {
    return `the repository ${JSON.stringify(repository.slice(0, 100))} is not a repository name (give it without the project)`;
  }
  if (!DIGEST_RE.test(digest)) {
    return `${JSON.stringify(digest.slice(0, 100))} is not a digest (sha256:<64 lowercase hex>)`;
  }
  return undefined;
}

/**
 * Harbor's path to an artifact, below `/api/v2.0`. The repository is URL-encoded twice, as
 * Harbor's API requires for names containing `/` (`a/b` → `a%2Fb` → `a%252Fb`): Harbor's router
 * decodes the path once before matching routes, so a single encoding would split the name.
 */
export function harborArtifactPath(project: string, repository: string, reference: string): string {
  const repo = encodeURIComponent(encodeURIComponent(repository));
  // A digest's colon is legal in a path segment; Harbor's own links keep it as is.
  const ref = encodeURIComponent(reference).replace(/%3A/gi, ":");
  return `/projects/${encodeURIComponent(project)}/repositories/${repo}/artifacts/${ref}`;
}
