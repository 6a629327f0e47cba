/** A repository as a docker reference names it: registry host (normalized) and path. */
export interface RepositoryName {
  registry: string;
  path: string;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * Parses `[host[:port]/]path[:tag][@digest]` (distribution/reference grammar, loosely): the first
 * component is a host when it has a dot or a port or is `localhost`; no host means Docker Hub,
 * where a one-component path lives under `library/`. Null when it is not a reference.
 */
export function parseDockerReference(reference: string): RepositoryName | null {
  let rest = reference.trim();
  const at = rest.indexOf("@");
  if (at >= 0) rest = rest.slice(0, at);
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) rest = rest.slice(0, colon);
  if (!rest) return null;
  const parts = rest.split("/");
  const first = parts[0] as string;
  const hasHost =
    parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = normalizeRegistry(hasHost ? first : DOCKER_HUB);
  let path = (hasHost ? parts.slice(1) : parts).join("/");
  if (!path || parts.some((p) => p === "")) return null;
  if (registry === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return { registry, path };
}

export function normalizeRegistry(host: string): string {
  const h = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}
