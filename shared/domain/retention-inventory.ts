import type { RegistryKind } from "./image.ts";

/**
 * What the retention planner reads: every manifest of a repository as the registry reports it.
 * Registry adapters (ECR, OCI) and the offline inventory reader (`aws ecr describe-images`
 * output) produce it; the planner never calls a registry.
 */
export interface Artifact {
  /** sha256:<64 hex>. */
  digest: string;
  /** Current tags, any order; empty for an untagged manifest. */
  tags: string[];
  /** ISO push time; undefined when the registry does not tell (then age rules keep it). */
  pushedAt?: string;
  /**
   * ISO time of the last pull; null when the registry records pulls and this one was never
   * pulled; undefined when the registry does not record pulls (see RepositoryInventory).
   */
  lastPulledAt?: string | null;
  /** Bytes the registry attributes to this manifest (ECR imageSizeInBytes; OCI config+layers). */
  sizeBytes?: number;
  mediaType?: string;
  /** OCI artifactType (or the config media type of a non-image artifact). */
  artifactType?: string;
  /** For an image index: the digests of the manifests it lists. */
  children?: string[];
  /**
   * For a referrer: the digest of the manifest it refers to (OCI `subject`, or the digest named
   * by a legacy cosign tag `sha256-<hex>.sig|.att|.sbom`).
   */
  subject?: string;
  /** Quarantined by registry-guard (ECR: archived; OCI: in a quarantine repository). */
  quarantined?: boolean;
  /** ISO time it was quarantined, when the registry tells (ECR lastArchivedAt). */
  quarantinedAt?: string;
}

export interface RepositoryInventory {
  registry: RegistryKind;
  /** ECR account id or OCI registry host. */
  registryId: string;
  region?: string;
  repository: string;
  artifacts: Artifact[];
  /**
   * False when index children and referrer subjects could not be read (an offline inventory):
   * the planner then keeps every untagged manifest it cannot place, and says why.
   */
  manifestsKnown: boolean;
  /** False when the registry records no pull times (OCI distribution): pull rules keep all. */
  pullTimesKnown: boolean;
}
