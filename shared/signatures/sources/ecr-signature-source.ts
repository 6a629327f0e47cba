import type { ECRClient } from "@aws-sdk/client-ecr";
import { EcrRegistryError } from "../../adapters/ecr/ecr-errors.ts";
import { notationDigests, readNotationManifests } from "../notation/read-notation-manifest.ts";
import { sha256Digest } from "../sha256-digest.ts";
import type { SignatureLimits } from "../signature-limits.ts";
import { signatureDigests, signatureTag } from "./cosign-signature-locations.ts";
import { listEcrReferrers } from "./ecr-image-referrers.ts";
import { getEcrManifests, named } from "./ecr-manifests.ts";
import { type EcrBlobOptions, ecrSignatureBlobs } from "./ecr-signature-blob.ts";
import { requireImageDigest } from "./image-digest-input.ts";
import { readSignatureManifests, type SignatureManifestLead } from "./read-signature-manifests.ts";
import type {
  RegistryImage,
  SignatureSourceReader,
  SignedImageSignatures,
} from "./signature-source-reader.ts";

export interface EcrSignatureSourceOptions extends EcrBlobOptions {
  limits?: Partial<SignatureLimits>;
}

/**
 * Amazon ECR's cosign signatures. One BatchGetImage reads the image and its `.sig` tag while
 * ListImageReferrers pages through the referrers; a second BatchGetImage reads the signature
 * referrers (100 per call); blobs come through GetDownloadUrlForLayer. IAM on the repository:
 * ecr:BatchGetImage (also what ListImageReferrers requires) and ecr:GetDownloadUrlForLayer.
 * BatchGetImage counts as a pull (see getEcrManifests): register the verifying role with
 * RegisterPullTimeUpdateExclusion.
 */
export class EcrSignatureSource implements SignatureSourceReader<RegistryImage> {
  private readonly client: ECRClient;
  private readonly opts: EcrSignatureSourceOptions;

  constructor(client: ECRClient, opts: EcrSignatureSourceOptions = {}) {
    this.client = client;
    this.opts = opts;
  }

  async read(ref: RegistryImage): Promise<SignedImageSignatures> {
    const { client } = this;
    requireImageDigest(ref.digest);
    const image = {
      ...(ref.registryId !== undefined ? { registryId: ref.registryId } : {}),
      repository: ref.repository,
      digest: ref.digest,
    };
    if (ref.registry !== undefined && ref.registry !== "ecr") {
      throw new EcrRegistryError(
        "ECR_WRONG_REGISTRY",
        "ReadSignatures",
        named(image),
        `the image belongs to a ${ref.registry} registry, not ECR; read it with that registry's source`,
      );
    }
    const tag = signatureTag(ref.digest);
    const [[manifest, legacy], referrers] = await Promise.all([
      getEcrManifests(client, image, [{ imageDigest: ref.digest }, { imageTag: tag }]),
      listEcrReferrers(client, image),
    ]);
    if (!manifest) {
      throw new EcrRegistryError(
        "ECR_IMAGE_NOT_FOUND",
        "BatchGetImage",
        named(image),
        "ImageNotFound: no such image; check the repository and digest",
      );
    }
    const leads: SignatureManifestLead[] = [
      ...(legacy ? [{ kind: "legacy-tag" as const, tag }] : []),
      ...signatureDigests(referrers).map((d) => ({ kind: "referrer" as const, digest: d })),
    ];
    const candidates = await readSignatureManifests({
      leads,
      load: async (read) => {
        const digests = read.flatMap((l) => (l.kind === "referrer" ? [l.digest] : []));
        const fetched = await getEcrManifests(
          client,
          image,
          digests.map((imageDigest) => ({ imageDigest })),
        );
        const byDigest = new Map(digests.map((d, i) => [d, fetched[i] ?? null]));
        return read.map((l) =>
          l.kind === "referrer" ? (byDigest.get(l.digest) ?? null) : (legacy ?? null),
        );
      },
      fetchBlob: ecrSignatureBlobs(client, image, this.opts),
      ...(this.opts.limits ? { limits: this.opts.limits } : {}),
    });
    // Notation signatures (ECR managed signing, AWS Signer): one more BatchGetImage, only if any.
    const notationCandidates = await readNotationManifests({
      digests: notationDigests(referrers),
      load: (digests) =>
        getEcrManifests(
          client,
          image,
          digests.map((imageDigest) => ({ imageDigest })),
        ),
      fetchBlob: ecrSignatureBlobs(client, image, this.opts),
      ...(this.opts.limits ? { limits: this.opts.limits } : {}),
    });
    // getEcrManifests checked that the bytes hash to the digest asked for.
    return {
      imageDigest: sha256Digest(manifest),
      imageManifest: manifest,
      candidates,
      ...(notationCandidates.length > 0 ? { notationCandidates } : {}),
    };
  }
}
