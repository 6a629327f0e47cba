import { isRepositoryName } from "../shared/adapters/oci/oci-quarantine-repository.ts";
import { parseImageKey } from "../shared/domain/image.ts";
import { CliUsageError } from "./cli-error.ts";
import { checkDigest, type ImageTarget, splitAtDigest } from "./image-reference.ts";

/**
 * How the CLI names an image of the OCI registry given with --registry: `REPOSITORY@sha256:…`,
 * `host[:port]/REPOSITORY@sha256:…` (as a pull would name it), or an image key as the audit trail
 * and alerts print it (`oci:host[:port]/REPOSITORY@sha256:…`). A host in the reference must be
 * the --registry's own: the CLI never talks to a registry the user did not name with its scheme.
 * Pure.
 */

const TAG_HINT = "a tag can move; name the digest it points to now";

function usage(code: string, message: string): never {
  throw new CliUsageError(code, message);
}

/** Docker's rule: a first path component with a dot or a port, or `localhost`, is a host. */
function leadingHost(reference: string): string | undefined {
  const slash = reference.indexOf("/");
  if (slash < 0) return undefined;
  const first = reference.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : undefined;
}

/** The host as the registry URL would normalize it (case, default port). */
function normalizedHost(host: string, protocol: string): string | undefined {
  // Only host characters: `user@host` would otherwise parse as host.
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) return undefined;
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return undefined;
  }
}

function sameRegistry(
  named: string,
  registry: { host: string; url: string },
  reference: string,
  what: string,
  repository?: string,
): void {
  const protocol = new URL(registry.url).protocol;
  if (normalizedHost(named, protocol) !== registry.host) {
    // "my.team/app@…" reads as host my.team, as it would for a pull.
    const bare =
      repository === undefined
        ? ""
        : `; for the repository ${named}/${repository}, write ${registry.host}/${named}/${repository}@sha256:…`;
    usage(
      "CLI_CONFLICT",
      `${what} ${reference} names registry ${named}, but --registry is ${registry.url}; name an image of that registry, or pass --registry with its URL${bare}`,
    );
  }
}

function checkRepository(name: string, reference: string, what: string): string {
  if (!isRepositoryName(name)) {
    usage(
      "CLI_REPOSITORY",
      `${what} ${reference}: "${name}" is not an OCI repository name (lowercase letters and digits, separated by . _ __ or -, / between components, at most 255 characters)`,
    );
  }
  return name;
}

export function parseOciImageReference(
  reference: string,
  registry: { host: string; url: string },
  what = "image",
): ImageTarget {
  if (reference.startsWith("ecr:") || /\.dkr\.ecr(?:-fips)?\./.test(reference)) {
    usage(
      "CLI_REGISTRY",
      `${what} ${reference} is an Amazon ECR image, but --registry is the OCI registry ${registry.url}; leave --registry out (or say --registry ecr)`,
    );
  }
  if (reference.startsWith("oci:")) {
    const key = parseImageKey(reference);
    if (!key) {
      const { digest } = splitAtDigest(reference, what, TAG_HINT);
      checkDigest(digest, `${what} ${reference}`);
      usage(
        "CLI_REFERENCE",
        `${what} ${reference}: not an image key; expected oci:<host[:port]>/<repository>@sha256:<64 hex>`,
      );
    }
    sameRegistry(key.registryId, registry, reference, what);
    return {
      registry: "oci",
      registryId: registry.host,
      repository: checkRepository(key.repository, reference, what),
      digest: key.digest,
    };
  }
  const { repository: path, digest } = splitAtDigest(reference, what, TAG_HINT);
  const host = leadingHost(path);
  const repository = host === undefined ? path : path.slice(host.length + 1);
  if (host !== undefined) sameRegistry(host, registry, reference, what, repository);
  return {
    registry: "oci",
    registryId: registry.host,
    repository: checkRepository(repository, reference, what),
    digest,
  };
}
