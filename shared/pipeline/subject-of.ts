import type { ImageRef } from "../domain/image.ts";
import type { ImagePushed, ReferrerPushed } from "../domain/registry-event.ts";
import type { Registry } from "../ports.ts";

/** What a registry can tell about a pushed manifest that refers to another image. */
export interface ReferrerInfo {
  /** The image the manifest refers to. */
  subjectDigest: string;
  artifactType?: string;
  /**
   * Whether this push is the one that makes the manifest findable by a scan read of the subject.
   * For a manifest pushed by digest: the registry's referrers API lists it (under the tag schema
   * the client's `sha256-<hex>` index push comes next and is that push). For one pushed under a
   * tag that names the subject: the tag resolves (a registry may notify a push before its tag
   * is readable).
   */
  listed: boolean;
}

/**
 * A registry that can read a pushed manifest's `subject` (OCI 1.1) and see whether a referrer
 * is findable yet. Optional: without it, referrers are still recognised by their tags.
 */
export interface ReferrerLookup {
  referrerOf(ref: ImageRef): Promise<ReferrerInfo | null>;
}

export function referrerLookupOf(registry: Registry): ReferrerLookup | undefined {
  const r = registry as Registry & Partial<ReferrerLookup>;
  return typeof r.referrerOf === "function" ? (r as Registry & ReferrerLookup) : undefined;
}

/** A pushed manifest that is about another image, and when to decide that image. */
export interface Subject {
  /** The image referred to: same repository, the subject's digest. */
  image: ImageRef;
  /** How the push was recognised as a referrer. */
  via: "cosign-tag" | "referrers-tag" | "manifest-subject";
  /**
   * now: its content is findable as the subject's scan, decide on this event.
   * later: a manifest pushed by digest on a registry without the referrers API; its client
   * pushes the `sha256-<hex>` index next, and that push decides.
   * retry: this push is what makes the report findable, but the registry does not show it yet;
   * the event is to be retried (ReferrerNotVisibleError).
   */
  when: "now" | "later" | "retry";
  artifactType?: string;
}

/** The push that attaches a report is not readable yet: retry the event shortly. */
export class ReferrerNotVisibleError extends Error {
  readonly code = "REFERRER_NOT_VISIBLE";
  constructor(referrer: ImageRef, subjectDigest: string) {
    super(
      `${referrer.repository}@${referrer.digest} (tags ${referrer.tags.join(", ") || "none"}) refers to ${subjectDigest}, ` +
        "but the registry does not show it under its tag yet; the event is retried",
    );
    this.name = "ReferrerNotVisibleError";
  }
}

/** Tags that name their subject: the referrers index `sha256-<hex>`, cosign's `.sig|.att|.sbom`. */
export const SUBJECT_TAG_RE = /^sha256-([a-f0-9]{64})(\.(?:sig|att|sbom))?$/;

/**
 * On an OCI registry the gate is triggered when a scan report is attached: a push that is a
 * referrer of another image is about that SUBJECT image. Recognised, in order:
 * - a referrer event (cosign's `sha256-<hex>.sig|.att|.sbom` tags, as the parsers report them);
 * - a push tagged `sha256-<hex>`: the image index clients keep as the subject's referrer list
 *   on a registry without the referrers API (distribution 2.8);
 * - a manifest whose own `subject` names another image (asked of the registry, when it can).
 * ECR events are never re-read this way: ECR scans images itself, a referrer there is recorded
 * only. Null: the push is an image in its own right.
 */
export async function subjectOf(
  event: ImagePushed | ReferrerPushed,
  registry: Registry,
): Promise<Subject | null> {
  if (event.image.registry !== "oci") return null;
  const about = (digest: string): ImageRef => ({ ...event.image, digest, tags: [] });
  const lookup = referrerLookupOf(registry);

  const tagged = taggedSubject(event);
  if (tagged) {
    // The tag says what it refers to; the registry only confirms the tag is readable.
    const info = lookup ? await lookup.referrerOf(event.image) : null;
    return {
      image: about(tagged.digest),
      via: tagged.via,
      when: info && !info.listed ? "retry" : "now",
      ...(event.kind === "referrer-pushed" && event.artifactType
        ? { artifactType: event.artifactType }
        : {}),
    };
  }
  const info = lookup ? await lookup.referrerOf(event.image) : null;
  if (!info || info.subjectDigest === event.image.digest) return null;
  return {
    image: about(info.subjectDigest),
    via: "manifest-subject",
    when: info.listed ? "now" : "later",
    ...(info.artifactType ? { artifactType: info.artifactType } : {}),
  };
}

function taggedSubject(
  event: ImagePushed | ReferrerPushed,
): { digest: string; via: Subject["via"] } | null {
  if (event.kind === "referrer-pushed" && event.subjectDigest) {
    return { digest: event.subjectDigest, via: "cosign-tag" };
  }
  for (const tag of event.image.tags) {
    const m = SUBJECT_TAG_RE.exec(tag);
    if (m) return { digest: `sha256:${m[1]}`, via: m[2] ? "cosign-tag" : "referrers-tag" };
  }
  return null;
}
