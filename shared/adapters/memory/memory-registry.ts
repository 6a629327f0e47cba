import { createHash } from "node:crypto";
import { DigestMismatchError } from "../../domain/digest-mismatch-error.ts";
import type { ScanResult } from "../../domain/finding.ts";
import type { ImageRef, RegistryKind } from "../../domain/image.ts";
import { imageKey } from "../../domain/image.ts";
import type { SignatureReader } from "../../pipeline/signature-reader.ts";
import type { Registry, ResolvedImage } from "../../ports.ts";
import type { NotationRead } from "../../signatures/notation/read-notation-manifest.ts";
import type { SignatureCandidate } from "../../signatures/signature-candidate.ts";
import type { SignedImageSignatures } from "../../signatures/sources/signature-source-reader.ts";

interface StoredImage {
  ref: ImageRef;
  scan: ScanResult;
  /** When present, the digest is recomputed from these bytes, as the real adapters do. */
  manifest?: string;
  pushedAt?: string;
  quarantined: boolean;
}

/**
 * A registry held in memory: the offline `replay --findings` simulation and the pipeline's unit
 * tests. Images added without manifest bytes are taken at their stated digest, so output from
 * such a run says it is simulated.
 */
export class MemoryRegistry implements Registry, SignatureReader {
  readonly kind: RegistryKind;
  private readonly images = new Map<string, StoredImage>();
  readonly calls: { op: "quarantine" | "release"; image: string }[] = [];
  /** Signature candidates attached to each image (imageKey), as a signature source reads them. */
  private readonly signatures = new Map<string, SignatureCandidate[]>();
  /** Notation envelopes attached to each image (imageKey), as a source reads its referrers. */
  private readonly notations = new Map<string, NotationRead[]>();

  constructor(kind: RegistryKind = "ecr") {
    this.kind = kind;
  }

  add(ref: ImageRef, scan: ScanResult, opts: { manifest?: string; pushedAt?: string } = {}): void {
    this.images.set(imageKey(ref), { ref, scan, quarantined: false, ...opts });
  }

  /** A new scan of the image completed with these results (a rescan, or a scan finishing). */
  setScan(ref: ImageRef, scan: ScanResult): void {
    const img = this.images.get(imageKey(ref));
    if (!img) throw new Error(`no image ${imageKey(ref)} in the memory registry; add it first`);
    img.scan = scan;
  }

  /** The image was deleted from the registry. */
  remove(ref: ImageRef): boolean {
    return this.images.delete(imageKey(ref));
  }

  /** Attaches signatures to the image (a `.sig` push or a signature referrer), after the others. */
  attachSignatures(ref: ImageRef, candidates: readonly SignatureCandidate[]): void {
    const key = imageKey(ref);
    this.signatures.set(key, [...(this.signatures.get(key) ?? []), ...candidates]);
  }

  /** Attaches Notation signatures to the image (a Notation referrer push), after the others. */
  attachNotation(ref: ImageRef, candidates: readonly NotationRead[]): void {
    const key = imageKey(ref);
    this.notations.set(key, [...(this.notations.get(key) ?? []), ...candidates]);
  }

  /** The image's attached signatures with its manifest; the image must have manifest bytes. */
  async readSignatures(ref: ImageRef): Promise<SignedImageSignatures> {
    const img = this.images.get(imageKey(ref));
    if (!img?.manifest) {
      throw new Error(`no image with manifest bytes ${imageKey(ref)} in the memory registry`);
    }
    const imageManifest = Buffer.from(img.manifest);
    const imageDigest = `sha256:${createHash("sha256").update(imageManifest).digest("hex")}`;
    const notationCandidates = this.notations.get(imageKey(ref)) ?? [];
    return {
      imageDigest,
      imageManifest,
      candidates: [...(this.signatures.get(imageKey(ref)) ?? [])],
      ...(notationCandidates.length > 0 ? { notationCandidates: [...notationCandidates] } : {}),
    };
  }

  isQuarantined(ref: ImageRef): boolean {
    return this.images.get(imageKey(ref))?.quarantined ?? false;
  }

  async resolveImage(ref: ImageRef): Promise<ResolvedImage | null> {
    const img = this.images.get(imageKey(ref));
    if (!img) return null;
    if (img.manifest !== undefined) {
      const computed = `sha256:${createHash("sha256").update(img.manifest).digest("hex")}`;
      if (computed !== ref.digest) throw new DigestMismatchError(ref, computed);
    }
    return {
      ref: { ...img.ref, tags: [...img.ref.tags] },
      quarantined: img.quarantined,
      ...(img.pushedAt ? { pushedAt: img.pushedAt } : {}),
    };
  }

  async getScanResult(ref: ImageRef): Promise<ScanResult> {
    return (
      this.images.get(imageKey(ref))?.scan ?? { status: "NONE", scanner: "memory", findings: [] }
    );
  }

  async quarantine(ref: ImageRef) {
    const img = this.images.get(imageKey(ref));
    this.calls.push({ op: "quarantine", image: imageKey(ref) });
    const alreadyQuarantined = img?.quarantined ?? false;
    if (img) img.quarantined = true;
    return { alreadyQuarantined };
  }

  async release(ref: ImageRef) {
    const img = this.images.get(imageKey(ref));
    this.calls.push({ op: "release", image: imageKey(ref) });
    const wasQuarantined = img?.quarantined ?? false;
    if (img) img.quarantined = false;
    return { wasQuarantined };
  }
}
