import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { OciRegistryError } from "../../shared/adapters/oci/oci-errors.ts";
import { getManifest } from "../../shared/adapters/oci/oci-manifest.ts";
import { OciSignatureSource } from "../../shared/signatures/sources/oci-signature-source.ts";
import { CliUsageError } from "../cli-error.ts";
import type { OciSettings } from "../registry-settings.ts";
import type { RegistryImageTarget } from "../signed-image-reference.ts";
import type { FoundSignatures } from "./verify-source.ts";

/**
 * The image's signatures in the OCI registry of --registry. A tag is resolved to the digest of
 * the manifest it serves now (hashed here, never the registry's header); that digest is what is
 * verified and printed.
 */
export async function readOciSignatures(
  settings: OciSettings,
  image: RegistryImageTarget,
): Promise<FoundSignatures> {
  const client = new OciClient({
    url: settings.url,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.ca ? { ca: settings.ca } : {}),
  });
  const name = `${settings.host}/${image.repository}`;
  try {
    const digest =
      image.digest !== undefined
        ? image.digest
        : await tagDigest(client, image.repository, image.tag, name);
    const found = await new OciSignatureSource(client)
      .read({ registry: "oci", registryId: settings.host, repository: image.repository, digest })
      .catch((err: unknown) => {
        if (err instanceof OciRegistryError && err.code === "OCI_IMAGE_NOT_FOUND") {
          notFound(`${name}@${digest}`, "no such image");
        }
        throw err;
      });
    return {
      ...found,
      name,
      ...(image.tag !== undefined ? { tag: image.tag } : {}),
      repository: image.repository,
      registryHost: settings.host,
    };
  } finally {
    client.close();
  }
}

async function tagDigest(
  client: OciClient,
  repository: string,
  tag: string,
  name: string,
): Promise<string> {
  const tagged = await getManifest(client, repository, tag);
  if (!tagged) notFound(`${name}:${tag}`, "no such tag");
  return tagged.digest;
}

function notFound(what: string, why: string): never {
  throw new CliUsageError(
    "CLI_IMAGE_NOT_FOUND",
    `${what}: ${why} in the registry; check the repository and the tag or digest`,
  );
}
