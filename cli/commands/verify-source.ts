import { OciLayoutSignatureSource } from "../../shared/signatures/sources/oci-layout-signature-source.ts";
import type { SignedImageSignatures } from "../../shared/signatures/sources/signature-source-reader.ts";
import type { RegistrySettings } from "../registry-settings.ts";
import type { SignedImageReference } from "../signed-image-reference.ts";

/** An image's signatures as found, with what the verification and the output need to name it. */
export interface FoundSignatures extends SignedImageSignatures {
  /** How the output names the image: `host/REPOSITORY`, `oci-layout:DIR`. */
  name: string;
  /** The tag the image was named by, resolved to `imageDigest`. */
  tag?: string;
  /** Repository path, for --match-reference; "" for a layout, which names none. */
  repository: string;
  /** Registry host a signed reference must name, when known. */
  registryHost?: string;
}

/**
 * Reads the image's signatures from where the reference points: an OCI layout on disk, the OCI
 * registry of --registry, or ECR. The registry clients load only for the registry used.
 */
export async function readSignatures(
  ref: SignedImageReference,
  settings: RegistrySettings,
): Promise<FoundSignatures> {
  if (ref.source === "oci-layout") {
    const found = await new OciLayoutSignatureSource().read(ref.layout);
    return {
      ...found,
      name: `oci-layout:${ref.layout.path}`,
      ...(ref.layout.tag !== undefined ? { tag: ref.layout.tag } : {}),
      repository: "",
    };
  }
  if (settings.kind === "oci") {
    return (await import("./verify-oci.ts")).readOciSignatures(settings, ref.image);
  }
  return (await import("./verify-ecr.ts")).readEcrSignatures(ref.image);
}
