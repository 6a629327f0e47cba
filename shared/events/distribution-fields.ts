import * as z from "zod";
import { DIGEST_RE } from "../domain/image.ts";
import { EventParseError } from "./event-parse-error.ts";
import { preview } from "./validate-event.ts";

/**
 * Field rules shared by the registries that speak the OCI distribution API (CNCF distribution,
 * Harbor): tags, manifest media types, the registry host we are configured with.
 */

/** The OCI distribution-spec tag rule, anchored. */
export const OCI_TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function isOciTag(s: string): boolean {
  return s.length <= 128 && OCI_TAG_RE.test(s);
}

export const ociTag = z
  .string()
  .refine(isOciTag, "must be an OCI tag: up to 128 letters, digits and . _ - (not first)");

/**
 * Media types of manifests and indexes: only these name an image (or an image's referrer).
 * Schema 1 is deprecated but still a manifest; the OCI artifact manifest existed only in
 * image-spec 1.1 release candidates, some clients still push it.
 */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
  "application/vnd.oci.artifact.manifest.v1+json",
]);

/** `Application/JSON; charset=utf-8` → `application/json`. */
export function baseMediaType(value: string): string {
  return (value.split(";", 1)[0] ?? "").trim().toLowerCase();
}

export function isManifestMediaType(value: string): boolean {
  return MANIFEST_MEDIA_TYPES.has(baseMediaType(value));
}

/** A media type as events carry it; parameters allowed, length bounded. */
export const mediaTypeField = z.string().min(1).max(255);

/** host, host:port, or [ipv6]:port, as a registry is addressed in image references. */
const REGISTRY_HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

export function isRegistryHost(s: string): boolean {
  return s.length <= 260 && REGISTRY_HOST_RE.test(s);
}

/**
 * The registry host comes from our configuration, never from the request (a Host header or the
 * event's `request.host` is whatever the sender says). A bad one is a deployment mistake, not bad
 * input, so it is a TypeError rather than an EventParseError.
 */
export function assertRegistryHost(host: unknown): asserts host is string {
  if (typeof host !== "string" || !isRegistryHost(host)) {
    throw new TypeError(
      `registryHost must be the configured registry host[:port] (e.g. registry.example.com:5000); got ${JSON.stringify(String(host).slice(0, 60))}`,
    );
  }
}

/**
 * Tags an event names, as a list: none when absent or empty, and none when the "tag" is really
 * the digest (Harbor puts the digest there for an untagged artifact).
 */
export function tagsOf(tag: string | undefined): string[] {
  if (!tag || DIGEST_RE.test(tag)) return [];
  return [tag];
}

/** A webhook body must be a parsed JSON object; anything else is EVENT_NOT_OBJECT. */
export function requireJsonObject(
  body: unknown,
  eventType: string,
): asserts body is Record<string, unknown> {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) return;
  const hint = typeof body === "string" ? " (a string: parse the JSON first)" : "";
  throw new EventParseError(
    "EVENT_NOT_OBJECT",
    `Expected a ${eventType} body (a JSON object); got ${preview(body)}${hint}`,
    { eventType },
  );
}
