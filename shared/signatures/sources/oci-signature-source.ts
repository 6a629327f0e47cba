import type { OciClient } from "../../adapters/oci/oci-client.ts";
import { OciRegistryError } from "../../adapters/oci/oci-errors.ts";
import { getManifest } from "../../adapters/oci/oci-manifest.ts";
import { mapLimit } from "../../concurrency/map-limit.ts";
import { readNotationManifests } from "../notation/read-notation-manifest.ts";
import type { SignatureLimits } from "../signature-limits.ts";
import { signatureTag } from "./cosign-signature-locations.ts";
import { requireImageDigest } from "./image-digest-input.ts";
import { ociSignatureBlobs } from "./oci-signature-blob.ts";
import { ociSignatureReferrerDigests } from "./oci-signature-referrers.ts";
import { readSignatureManifests, type SignatureManifestLead } from "./read-signature-manifests.ts";
import type {
  RegistryImage,
  SignatureSourceReader,
  SignedImageSignatures,
} from "./signature-source-reader.ts";

const FETCH_CONCURRENCY = 4;

/**
 * An OCI registry's cosign signatures: the `sha256-<hex>.sig` tag and the signature referrers
 * (referrers API, or the tag schema). Manifests fetched by digest must hash to it
 * (DigestMismatchError otherwise); the `.sig` manifest's digest is the hash of its bytes.
 */
export class OciSignatureSource implements SignatureSourceReader<RegistryImage> {
  private readonly client: OciClient;
  private readonly limits: Partial<SignatureLimits> | undefined;

  constructor(client: OciClient, opts: { limits?: Partial<SignatureLimits> } = {}) {
    this.client = client;
    this.limits = opts.limits;
  }

  async read(image: RegistryImage): Promise<SignedImageSignatures> {
    const { client } = this;
    const { repository, digest } = image;
    requireImageDigest(digest);
    const target = client.target({ repository, reference: digest });
    if (
      (image.registry !== undefined && image.registry !== "oci") ||
      (image.registryId !== undefined && image.registryId !== client.registryId)
    ) {
      throw new OciRegistryError(
        "OCI_WRONG_REGISTRY",
        "ReadSignatures",
        target,
        `the image belongs to ${image.registry ?? "the"} registry ${image.registryId ?? ""}, not to ${client.registryId}; read it with that registry's source`,
      );
    }
    const tag = signatureTag(digest);
    const [manifest, legacy, referrers] = await Promise.all([
      getManifest(client, repository, digest),
      getManifest(client, repository, tag),
      ociSignatureReferrerDigests(client, repository, digest),
    ]);
    if (!manifest) {
      throw new OciRegistryError(
        "OCI_IMAGE_NOT_FOUND",
        "GetManifest",
        target,
        "HTTP 404: no such image; check the repository and digest",
        { status: 404 },
      );
    }
    const leads: SignatureManifestLead[] = [
      ...(legacy ? [{ kind: "legacy-tag" as const, tag }] : []),
      ...referrers.cosign.map((d) => ({ kind: "referrer" as const, digest: d })),
    ];
    const candidates = await readSignatureManifests({
      leads,
      load: (read) =>
        mapLimit(read, FETCH_CONCURRENCY, async (lead) =>
          lead.kind === "legacy-tag"
            ? (legacy?.bytes ?? null)
            : ((await getManifest(client, repository, lead.digest))?.bytes ?? null),
        ),
      fetchBlob: ociSignatureBlobs(client, repository),
      ...(this.limits ? { limits: this.limits } : {}),
    });
    const notationCandidates = await readNotationManifests({
      digests: referrers.notation,
      load: (digests) =>
        mapLimit(
          digests,
          FETCH_CONCURRENCY,
          async (d) => (await getManifest(client, repository, d))?.bytes ?? null,
        ),
      fetchBlob: ociSignatureBlobs(client, repository),
      ...(this.limits ? { limits: this.limits } : {}),
    });
    return {
      imageDigest: manifest.digest,
      imageManifest: manifest.bytes,
      candidates,
      ...(notationCandidates.length > 0 ? { notationCandidates } : {}),
    };
  }
}
