import type { ScanResult } from "../../domain/finding.ts";
import type { ImageRef, RegistryKind } from "../../domain/image.ts";
import type { SignatureReader } from "../../pipeline/signature-reader.ts";
import type { SignedScanReader } from "../../pipeline/signed-scan-reader.ts";
import type { ReferrerInfo, ReferrerLookup } from "../../pipeline/subject-of.ts";
import type { Log, Registry, ResolvedImage } from "../../ports.ts";
import { OciSignatureSource } from "../../signatures/sources/oci-signature-source.ts";
import type { SignedImageSignatures } from "../../signatures/sources/signature-source-reader.ts";
import { OciClient, type OciClientOptions } from "./oci-client.ts";
import { OciRegistryError } from "./oci-errors.ts";
import { DEFAULT_MAX_TAG_LOOKUPS, tagsPointingAt } from "./oci-image-tags.ts";
import { getManifest, type Manifest, tagDigest } from "./oci-manifest.ts";
import { type ManifestContent, parseManifestContent } from "./oci-manifest-content.ts";
import { moveImage } from "./oci-move-image.ts";
import {
  DEFAULT_QUARANTINE_TEMPLATE,
  QuarantineRepositories,
} from "./oci-quarantine-repository.ts";
import { ociReferrerOf } from "./oci-referrer-of.ts";
import { type AttestationSignatureCheck, readAttachedScan } from "./oci-scan-report.ts";

export interface OciRegistryOptions extends OciClientOptions {
  /** Where quarantined images go; `{repository}` is the source repository. */
  quarantineRepository?: string;
  /** Tags looked up per image (one HEAD each); see DEFAULT_MAX_TAG_LOOKUPS. */
  maxTagLookups?: number;
  log?: Log;
  /**
   * Where findings come from when the registry scans images itself (Harbor: HarborScanClient's
   * getImageScanResult). Unset: scan reports attached to the image as OCI artifacts.
   */
  scanSource?: (ref: ImageRef) => Promise<ScanResult>;
}

/**
 * Any OCI distribution registry (CNCF distribution, Harbor, zot, GHCR …) behind the Registry
 * port. Quarantine moves the image into a quarantine repository (cross-repository blob mounts,
 * so no layer is copied) and deletes it from its repository by digest: it can no longer be
 * pulled there by tag or by digest, stays intact for forensics, and `release` moves it back with
 * its tags. Scan results are the reports attached to the image as referrers; a pushed referrer
 * (scan report, signature) is traced to its subject (referrerOf) so the subject is decided.
 */
export class OciRegistry implements Registry, ReferrerLookup, SignatureReader, SignedScanReader {
  readonly kind: RegistryKind = "oci";
  readonly client: OciClient;
  readonly quarantineRepositories: QuarantineRepositories;
  private readonly maxTagLookups: number;
  private readonly scanSource?: (ref: ImageRef) => Promise<ScanResult>;
  private readonly log: Log | undefined;

  constructor(opts: OciRegistryOptions) {
    this.client = new OciClient(opts);
    this.quarantineRepositories = new QuarantineRepositories(
      opts.quarantineRepository ?? DEFAULT_QUARANTINE_TEMPLATE,
      this.client.registryId,
    );
    this.maxTagLookups = opts.maxTagLookups ?? DEFAULT_MAX_TAG_LOOKUPS;
    if (opts.scanSource) this.scanSource = opts.scanSource;
    this.log = opts.log;
  }

  /** host[:port]: what an ImageRef of this registry carries as registryId. */
  get registryId(): string {
    return this.client.registryId;
  }

  /**
   * The image in its repository (quarantined: false) or, failing that, in its quarantine
   * repository (quarantined: true, with the tags it will get back). Either way the digest is
   * computed from the fetched bytes. The registry has no push time, so pushedAt stays unset.
   */
  async resolveImage(ref: ImageRef): Promise<ResolvedImage | null> {
    this.assertOurs(ref, "ResolveImage");
    // An image inside a quarantine repository is quarantined by definition.
    const inQuarantine = this.quarantineRepositories.isQuarantine(ref.repository);
    const first = await getManifest(this.client, ref.repository, ref.digest);
    const quarantine = inQuarantine ? ref.repository : this.quarantineFor(ref);
    const live = inQuarantine ? null : first;
    const found = first ?? (await getManifest(this.client, quarantine, ref.digest));
    if (!found) return null;
    const where = first ? ref.repository : quarantine;
    const { tags, complete } = await tagsPointingAt(this.client, where, ref.digest, {
      expected: ref.tags,
      maxLookups: this.maxTagLookups,
    });
    if (!complete) {
      this.log?.warn("tag list truncated: the repository has more tags than maxTagLookups", {
        repository: where,
        maxTagLookups: this.maxTagLookups,
      });
    }
    const size = this.sizeOf(found, where);
    return {
      ref: { ...ref, tags },
      quarantined: live === null,
      mediaType: found.mediaType,
      ...(size !== undefined ? { sizeBytes: size } : {}),
    };
  }

  /** The subject a pushed manifest refers to, if any; see ociReferrerOf. */
  async referrerOf(ref: ImageRef): Promise<ReferrerInfo | null> {
    if (ref.registry !== "oci" || ref.registryId !== this.registryId) return null;
    if (this.quarantineRepositories.isQuarantine(ref.repository)) return null;
    return ociReferrerOf(this.client, ref);
  }

  /** The image's cosign signatures (`.sig` tag, signature referrers), read by digest. */
  async readSignatures(ref: ImageRef): Promise<SignedImageSignatures> {
    this.assertOurs(ref, "ReadSignatures");
    return new OciSignatureSource(this.client).read(ref);
  }

  /**
   * The scan, counting only attached attestations the check accepts. A registry scanner's own
   * results (scanSource) are not attachments, so they are returned as they are.
   */
  async getSignedScanResult(ref: ImageRef, check: AttestationSignatureCheck): Promise<ScanResult> {
    this.assertOurs(ref, "GetScanResult");
    if (this.scanSource) return this.scanSource(ref);
    return readAttachedScan(this.client, ref, { requireSigned: check });
  }

  async getScanResult(ref: ImageRef): Promise<ScanResult> {
    this.assertOurs(ref, "GetScanResult");
    return this.scanSource ? this.scanSource(ref) : readAttachedScan(this.client, ref);
  }

  /**
   * Moves the image to its quarantine repository, tagged there with its current tags, then
   * deletes it from its repository by digest. Resumes an interrupted quarantine.
   */
  async quarantine(ref: ImageRef): Promise<{ alreadyQuarantined: boolean }> {
    this.assertOurs(ref, "Quarantine");
    const to = this.quarantineFor(ref);
    const r = await moveImage(this.client, {
      digest: ref.digest,
      from: ref.repository,
      to,
      expectedTags: ref.tags,
      maxTagLookups: this.maxTagLookups,
      ...(this.log ? { log: this.log } : {}),
    });
    if (r.outcome === "missing") throw this.notFound(ref, "Quarantine", to);
    this.log?.info("image quarantined", {
      repository: ref.repository,
      digest: ref.digest,
      quarantineRepository: to,
      outcome: r.outcome,
      tags: r.tags,
    });
    return { alreadyQuarantined: r.outcome === "already" };
  }

  /**
   * Moves the image back with the tags it had. A tag that meanwhile names another image in the
   * repository (a newer push) is left alone: release never moves a tag someone else moved.
   */
  async release(ref: ImageRef): Promise<{ wasQuarantined: boolean }> {
    this.assertOurs(ref, "Release");
    const from = this.quarantineFor(ref);
    const r = await moveImage(this.client, {
      digest: ref.digest,
      from,
      to: ref.repository,
      maxTagLookups: this.maxTagLookups,
      mayTag: async (tag) => {
        const now = await tagDigest(this.client, ref.repository, tag);
        return now === null || now === ref.digest;
      },
      ...(this.log ? { log: this.log } : {}),
    });
    if (r.outcome === "missing") throw this.notFound(ref, "Release", from);
    if (r.skippedTags.length > 0) {
      this.log?.warn("tags not restored: they now name other images", {
        repository: ref.repository,
        digest: ref.digest,
        skippedTags: r.skippedTags,
      });
    }
    return { wasQuarantined: r.outcome !== "already" };
  }

  close(): void {
    this.client.close();
  }

  private quarantineFor(ref: ImageRef): string {
    const q = this.quarantineRepositories.forSource(ref.repository);
    if (this.quarantineRepositories.isQuarantine(ref.repository)) {
      throw new OciRegistryError(
        "OCI_INVALID_CONFIG",
        "Quarantine",
        this.client.target({ repository: ref.repository, reference: ref.digest }),
        `${ref.repository} is itself a quarantine repository (template ${this.quarantineRepositories.template}); its images are already quarantined`,
      );
    }
    return q;
  }

  /** Config plus layers for an image; unknown for an index (its children would need fetching). */
  private sizeOf(m: Manifest, repository: string): number | undefined {
    let content: ManifestContent;
    try {
      content = parseManifestContent(m.bytes, m.mediaType, {
        ...this.client.target({ repository, reference: m.digest }),
        operation: "ResolveImage",
      });
    } catch (err) {
      // A manifest we cannot move (schema 1) still resolves; it just has no size.
      if (err instanceof OciRegistryError) return undefined;
      throw err;
    }
    if (content.kind !== "image") return undefined;
    return [content.config, ...content.layers].reduce((n, d) => n + d.size, 0);
  }

  private notFound(ref: ImageRef, operation: string, quarantine: string): OciRegistryError {
    return new OciRegistryError(
      "OCI_IMAGE_NOT_FOUND",
      operation,
      this.client.target({ repository: ref.repository, reference: ref.digest }),
      `the image is in neither ${ref.repository} nor ${quarantine} (deleted, or wrong repository or digest)`,
    );
  }

  private assertOurs(ref: ImageRef, operation: string): void {
    if (ref.registry !== "oci" || ref.registryId !== this.client.registryId) {
      throw new OciRegistryError(
        "OCI_WRONG_REGISTRY",
        operation,
        this.client.target({ repository: ref.repository, reference: ref.digest }),
        `the image belongs to ${ref.registry} registry ${ref.registryId}, not to this adapter's ${this.client.registryId}; route it to its own adapter`,
      );
    }
  }
}
