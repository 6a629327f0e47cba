import { z } from "zod";
import { OciRegistryError, type OciTarget } from "./oci-errors.ts";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1 = [
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/**
 * Every manifest type asked for when fetching. A registry may convert a manifest whose type the
 * client does not accept (schema 2 down to schema 1), and a converted manifest hashes to another
 * digest, so all are accepted and the bytes come back as pushed.
 */
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  ...DOCKER_SCHEMA1,
].join(", ");

const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);
const IMAGE_TYPES = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);

/** Layers that live outside the registry (Windows base layers): never mounted or copied. */
const FOREIGN_LAYER_TYPES = new Set([
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
]);

/** The OCI descriptor grammar's digest: algorithm ":" encoded. */
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const descriptorSchema = z.object({
  mediaType: z.string().min(1),
  digest: z.string().regex(DIGEST_RE),
  size: z.number().int().nonnegative(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  urls: z.array(z.string()).optional(),
  platform: z
    .object({ architecture: z.string().optional(), os: z.string().optional() })
    .loose()
    .optional(),
});
export type Descriptor = z.output<typeof descriptorSchema>;

const common = {
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
};
const imageSchema = z.object({
  ...common,
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});
const indexSchema = z.object({ ...common, manifests: z.array(descriptorSchema) });

export type ManifestContent =
  | ({ kind: "image"; mediaType: string } & z.output<typeof imageSchema>)
  | ({ kind: "index"; mediaType: string } & z.output<typeof indexSchema>);

/**
 * The manifest's media type: its own `mediaType` field (part of the hashed bytes), else the
 * Content-Type the registry sent, else what its shape says.
 */
export function manifestMediaType(bytes: Buffer, contentType: string | undefined): string {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    json = undefined;
  }
  const own = (json as { mediaType?: unknown } | undefined)?.mediaType;
  if (typeof own === "string" && own !== "") return own;
  const sent = contentType?.split(";")[0]?.trim();
  if (sent && sent !== "application/json" && sent !== "application/octet-stream") return sent;
  if (json && typeof json === "object" && "manifests" in json) return OCI_INDEX;
  return OCI_MANIFEST;
}

/** A manifest's structure, validated: an image (config + layers) or an index (child manifests). */
export function parseManifestContent(
  bytes: Buffer,
  mediaType: string,
  where: OciTarget & { operation: string },
): ManifestContent {
  const fail = (code: "OCI_UNSUPPORTED_MANIFEST" | "OCI_INVALID_RESPONSE", detail: string) =>
    new OciRegistryError(code, where.operation, where, detail);
  if (DOCKER_SCHEMA1.includes(mediaType)) {
    throw fail(
      "OCI_UNSUPPORTED_MANIFEST",
      "Docker schema 1 manifests are signed for their repository and cannot be moved; re-push the image with a current client",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw fail("OCI_INVALID_RESPONSE", "the manifest is not JSON");
  }
  const isIndex = INDEX_TYPES.has(mediaType);
  if (!isIndex && !IMAGE_TYPES.has(mediaType)) {
    throw fail(
      "OCI_UNSUPPORTED_MANIFEST",
      `manifest media type ${mediaType} is not an OCI or Docker v2 image manifest or index`,
    );
  }
  const parsed = (isIndex ? indexSchema : imageSchema).safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const at = first?.path.join(".") || "(root)";
    throw fail("OCI_INVALID_RESPONSE", `malformed ${mediaType}: ${at}: ${first?.message}`);
  }
  return isIndex
    ? ({ kind: "index", ...parsed.data, mediaType } as ManifestContent)
    : ({ kind: "image", ...parsed.data, mediaType } as ManifestContent);
}

/** The blobs an image manifest needs in its repository: config and layers, foreign ones left out. */
export function blobsOf(content: Extract<ManifestContent, { kind: "image" }>): Descriptor[] {
  const all = [content.config, ...content.layers];
  const seen = new Set<string>();
  return all.filter((d) => {
    if (FOREIGN_LAYER_TYPES.has(d.mediaType) || seen.has(d.digest)) return false;
    seen.add(d.digest);
    return true;
  });
}

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}
