import { DIGEST_RE, parseImageKey, type RegistryKind } from "../shared/domain/image.ts";
import { CliUsageError } from "./cli-error.ts";

/**
 * How the CLI names images and repositories: `REPO@sha256:…` with --registry-id/--region, an
 * image key as the audit trail and alerts print it (`ecr:123456789012/REPO@sha256:…`), or an
 * ECR image URI (`123456789012.dkr.ecr.us-east-1.amazonaws.com/REPO@sha256:…`).
 * Pure: the registry id, when missing, is filled in later from the caller's AWS account.
 */

export interface ImageTarget {
  registry: RegistryKind;
  /** Undefined when neither the reference nor --registry-id gave one. */
  registryId?: string;
  region?: string;
  repository: string;
  digest: string;
}

export interface RepositoryTarget {
  registry: RegistryKind;
  registryId?: string;
  repository: string;
}

export interface TargetOptions {
  registryId?: string;
  region?: string;
}

/** Amazon ECR's repository name rule (CreateRepository: 2-256 characters). */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_REGISTRY_ID = /^\d{12}$/;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ECR_URI = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/;
const REPOSITORY_KEY = /^(ecr|oci):([^/]+)\/(.+)$/;

function usage(code: string, message: string): never {
  throw new CliUsageError(code, message);
}

export function checkRegistryId(id: string, where = "--registry-id"): string {
  if (!ECR_REGISTRY_ID.test(id)) {
    usage("CLI_REGISTRY_ID", `${where} ${id}: an ECR registry id is the 12-digit account id`);
  }
  return id;
}

export function checkRegion(region: string): string {
  if (!AWS_REGION.test(region)) {
    usage("CLI_REGION", `--region ${region}: expected an AWS region such as us-east-1`);
  }
  return region;
}

function checkEcrRepository(name: string, what: string): string {
  if (name.length < 2 || name.length > 256 || !ECR_REPOSITORY.test(name)) {
    usage(
      "CLI_REPOSITORY",
      `${what}: "${name}" is not an ECR repository name (lowercase letters, digits, . _ - separated, / between namespaces, 2-256 characters)`,
    );
  }
  return name;
}

export function checkDigest(digest: string, reference: string): string {
  if (!DIGEST_RE.test(digest)) {
    usage(
      "CLI_DIGEST",
      `${reference}: bad digest "${digest}"; expected sha256: followed by 64 lowercase hex characters (see \`aws ecr describe-images\`)`,
    );
  }
  return digest;
}

/** An explicit option must agree with what the reference itself says. */
function agree(flag: string, given: string | undefined, fromReference: string): string {
  if (given !== undefined && given !== fromReference) {
    usage(
      "CLI_CONFLICT",
      `${flag} ${given} contradicts the reference, which says ${fromReference}; drop ${flag}`,
    );
  }
  return fromReference;
}

const ECR_TAG_HINT = "a tag can move; look up its digest with `aws ecr describe-images`";

/** Splits REPO@DIGEST, explaining the usual mistakes (a tag, no digest). */
export function splitAtDigest(
  reference: string,
  what: string,
  tagHint = ECR_TAG_HINT,
): { repository: string; digest: string } {
  const at = reference.lastIndexOf("@");
  if (at < 0) {
    const tagged = /:[\w][\w.-]{0,127}$/.test(reference);
    usage(
      "CLI_REFERENCE",
      `${what} ${reference}: name the image by digest, REPOSITORY@sha256:<64 hex>${tagged ? ` (${tagHint})` : ""}`,
    );
  }
  return {
    repository: reference.slice(0, at),
    digest: checkDigest(reference.slice(at + 1), `${what} ${reference}`),
  };
}

/** Parses an image reference in any of the three forms, checked against the options. */
export function parseImageReference(
  reference: string,
  opts: TargetOptions = {},
  what = "image",
): ImageTarget {
  const region = opts.region === undefined ? undefined : checkRegion(opts.region);
  const registryId = opts.registryId;

  if (/^(ecr|oci):/.test(reference)) {
    const key = parseImageKey(reference);
    if (!key) {
      const { digest } = splitAtDigest(reference, what);
      checkDigest(digest, `${what} ${reference}`);
      usage(
        "CLI_REFERENCE",
        `${what} ${reference}: not an image key; expected ecr:<registry id>/<repository>@sha256:<64 hex>`,
      );
    }
    if (key.registry === "ecr") {
      checkRegistryId(key.registryId, `${what} ${reference}: registry id`);
      checkEcrRepository(key.repository, `${what} ${reference}`);
    }
    return {
      registry: key.registry,
      registryId: agree("--registry-id", registryId, key.registryId),
      ...(region ? { region } : {}),
      repository: key.repository,
      digest: key.digest,
    };
  }

  const uri = ECR_URI.exec(reference);
  if (uri) {
    const [, id, uriRegion, rest] = uri as unknown as [string, string, string, string];
    const { repository, digest } = splitAtDigest(rest, what);
    return {
      registry: "ecr",
      registryId: agree("--registry-id", registryId, id),
      region: agree("--region", region, checkRegion(uriRegion)),
      repository: checkEcrRepository(repository, `${what} ${reference}`),
      digest,
    };
  }

  const { repository, digest } = splitAtDigest(reference, what);
  const host = repository.split("/", 1)[0] as string;
  if (repository.includes("/") && (host.includes(":") || host === "localhost")) {
    usage(
      "CLI_REFERENCE",
      `${what} ${reference}: ${host} is a registry host, not part of an ECR repository name; name an OCI image with --registry <url> where the command takes it, or by its key oci:${host}/…@sha256:…`,
    );
  }
  return {
    registry: "ecr",
    ...(registryId !== undefined ? { registryId: checkRegistryId(registryId) } : {}),
    ...(region ? { region } : {}),
    repository: checkEcrRepository(repository, `${what} ${reference}`),
    digest,
  };
}

/** A repository: a repository key (`ecr:123456789012/team-a/api`) or a plain ECR name. */
export function parseRepositoryReference(
  reference: string,
  opts: TargetOptions = {},
): RepositoryTarget {
  if (reference.includes("@")) {
    usage(
      "CLI_REPOSITORY",
      `--repository ${reference}: that names an image; use --image for one image`,
    );
  }
  const key = REPOSITORY_KEY.exec(reference);
  if (key) {
    const [, registry, id, repository] = key as unknown as [string, RegistryKind, string, string];
    if (registry === "ecr") {
      checkRegistryId(id, `--repository ${reference}: registry id`);
      checkEcrRepository(repository, `--repository ${reference}`);
    }
    return {
      registry,
      registryId: agree("--registry-id", opts.registryId, id),
      repository,
    };
  }
  return {
    registry: "ecr",
    ...(opts.registryId !== undefined ? { registryId: checkRegistryId(opts.registryId) } : {}),
    repository: checkEcrRepository(reference, `--repository ${reference}`),
  };
}
