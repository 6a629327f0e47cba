import type { Log } from "../../shared/ports.ts";
import type { ImageTarget } from "../image-reference.ts";
import { localPrincipal } from "../local-principal.ts";
import { ociRegistry } from "../oci-targets.ts";
import type { OciSettings } from "../registry-settings.ts";
import type { ReleaseTarget } from "./release-target.ts";

/**
 * An image of an OCI registry. No AWS identity is involved: the principal is --principal or the
 * operating system's user. Nothing is sent until the release runs.
 */
export function ociReleaseTarget(
  settings: OciSettings,
  target: ImageTarget,
  principalFlag: string | undefined,
  log: Log,
): ReleaseTarget {
  const principal = principalFlag ?? localPrincipal();
  const registry = ociRegistry(settings, log);
  const quarantine = registry.quarantineRepositories.forSource(target.repository);
  return {
    image: {
      registry: "oci",
      registryId: settings.host,
      repository: target.repository,
      digest: target.digest,
      tags: [],
    },
    registry,
    principal,
    releasedNote: `It was moved back from ${quarantine} with its tags (a tag that meanwhile names another image is left alone); it can be pulled again now.`,
    close: () => registry.close(),
  };
}
