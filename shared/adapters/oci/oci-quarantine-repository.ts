import { OciRegistryError } from "./oci-errors.ts";

/** Where a quarantined image goes: `quarantine/<its repository>` unless configured otherwise. */
export const DEFAULT_QUARANTINE_TEMPLATE = "quarantine/{repository}";
const PLACEHOLDER = "{repository}";

/** The distribution spec's repository name grammar. */
const REPOSITORY_RE =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function isRepositoryName(name: string): boolean {
  return name.length <= 255 && REPOSITORY_RE.test(name);
}

/**
 * The quarantine repository of each source repository, from a template holding `{repository}`
 * once (e.g. `quarantine/{repository}`, `{repository}-quarantined`). It also recognizes its own
 * repositories, so a webhook receiver can ignore the pushes and deletes a quarantine causes.
 */
export class QuarantineRepositories {
  readonly template: string;
  private readonly prefix: string;
  private readonly suffix: string;

  constructor(template: string = DEFAULT_QUARANTINE_TEMPLATE, registry = "(any)") {
    const parts = template.split(PLACEHOLDER);
    const rendered = template.replace(PLACEHOLDER, "app");
    if (parts.length !== 2 || parts.join("") === "" || !isRepositoryName(rendered)) {
      throw new OciRegistryError(
        "OCI_INVALID_CONFIG",
        "Configure",
        { registry },
        `quarantine repository template "${template}" must contain ${PLACEHOLDER} exactly once plus a fixed part, and render a valid repository name (e.g. ${DEFAULT_QUARANTINE_TEMPLATE})`,
      );
    }
    this.template = template;
    this.prefix = parts[0] as string;
    this.suffix = parts[1] as string;
  }

  /** The quarantine repository for `repository`. */
  forSource(repository: string): string {
    return `${this.prefix}${repository}${this.suffix}`;
  }

  /** True when `repository` is some repository's quarantine. */
  isQuarantine(repository: string): boolean {
    return this.sourceOf(repository) !== null;
  }

  /** The source repository of a quarantine repository; null when it is not one. */
  sourceOf(repository: string): string | null {
    if (!repository.startsWith(this.prefix) || !repository.endsWith(this.suffix)) return null;
    const inner = repository.slice(this.prefix.length, repository.length - this.suffix.length);
    return inner !== "" && isRepositoryName(inner) ? inner : null;
  }
}
