import type { NotationRead } from "../notation/read-notation-manifest.ts";
import type { SignatureCandidate } from "../signature-candidate.ts";

/** What a source found for one image: its manifest as stored, and every signature candidate. */
export interface SignedImageSignatures {
  /** sha256 of `imageManifest`, computed here, never taken from a registry's header. */
  imageDigest: string;
  /** The image manifest bytes exactly as stored (message-signature bundles sign these). */
  imageManifest: Uint8Array;
  /** The `.sig` tag's layers first, then the signature referrers, in listing order. */
  candidates: SignatureCandidate[];
  /**
   * Notation signature envelopes (referrers of artifactType application/vnd.cncf.notary.signature),
   * in listing order; absent when the image has none (or the source does not read them).
   */
  notationCandidates?: NotationRead[];
}

/**
 * Port: finds an image's cosign signatures where cosign stores them (the `.sig` tag, OCI 1.1
 * referrers) in one kind of store (Amazon ECR, an OCI registry, an OCI layout on disk) and hands
 * them to the verifier as candidates. A store that cannot be read throws (retried by the pipeline,
 * exit 3 in the CLI); "no signatures" is an empty `candidates`, never an error.
 */
export interface SignatureSourceReader<Image> {
  read(image: Image): Promise<SignedImageSignatures>;
}

/** A registry image as the ECR and OCI readers take it (an ImageRef fits). */
export interface RegistryImage {
  /** "ecr" or "oci" when known: a reader refuses the other kind's images. */
  registry?: string;
  /** ECR: the 12-digit registry id (absent: the caller's account); OCI: the registry host. */
  registryId?: string;
  repository: string;
  /** sha256:<64 hex>: images are read by digest only. */
  digest: string;
}
