import {
  BatchGetImageCommand,
  type BatchGetImageCommandOutput,
  type ECRClient,
} from "@aws-sdk/client-ecr";
import * as z from "zod";
import { mapLimit } from "../../concurrency/map-limit.ts";
import { DigestMismatchError } from "./ecr-errors.ts";
import { nonImageArtifactType, SHA256_DIGEST } from "./ecr-image-detail-artifact.ts";
import { ACCEPTED_MANIFEST_MEDIA_TYPES, manifestDigest } from "./ecr-manifest.ts";
import { ecrRetentionRequestFailed } from "./ecr-retention-errors.ts";

const OPERATION = "BatchGetImage";
/** The API's maximum imageIds per BatchGetImage call. */
export const GET_BATCH_SIZE = 100;

/** What a manifest says about its neighbours: the manifests it lists and the one it refers to. */
export interface ManifestLinks {
  children?: string[];
  subject?: string;
  artifactType?: string;
}

export type ManifestRead =
  | { ok: true; links: ManifestLinks }
  | { ok: false; code: string; reason: string };

// Only the fields retention needs; everything else in a manifest is left unchecked.
const linksSchema = z
  .object({
    artifactType: z.string().optional(),
    config: z.object({ mediaType: z.string() }).loose().optional(),
    manifests: z.array(z.object({ digest: z.string() }).loose()).optional(),
    subject: z.object({ digest: z.string() }).loose().optional(),
  })
  .loose();

/**
 * Reads the manifests of `digests` with BatchGetImage, at most 100 per call and `concurrency`
 * calls at once, and returns what each lists (`manifests[]`) and refers to (`subject`). Every
 * manifest is hashed against the digest it was asked for: bytes that hash otherwise throw
 * DigestMismatchError, since nothing may be decided on them. Images ECR does not serve (archived,
 * deleted meanwhile) come back as failures, never thrown.
 */
export async function readManifestLinks(
  client: ECRClient,
  target: { registryId: string; repository: string },
  digests: readonly string[],
  concurrency: number,
): Promise<Map<string, ManifestRead>> {
  const chunks: string[][] = [];
  for (let i = 0; i < digests.length; i += GET_BATCH_SIZE) {
    chunks.push(digests.slice(i, i + GET_BATCH_SIZE));
  }
  const reads = await mapLimit(chunks, concurrency, (chunk) => readChunk(client, target, chunk));
  return new Map(reads.flatMap((read) => [...read]));
}

async function readChunk(
  client: ECRClient,
  target: { registryId: string; repository: string },
  digests: string[],
): Promise<Map<string, ManifestRead>> {
  let res: BatchGetImageCommandOutput;
  try {
    res = await client.send(
      new BatchGetImageCommand({
        registryId: target.registryId,
        repositoryName: target.repository,
        imageIds: digests.map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      }),
    );
  } catch (err) {
    throw ecrRetentionRequestFailed(OPERATION, target, err);
  }
  const wanted = new Set(digests);
  const out = new Map<string, ManifestRead>();
  for (const image of res.images ?? []) {
    const digest = image.imageId?.imageDigest;
    if (!digest || !wanted.has(digest) || image.imageManifest === undefined) continue;
    const computed = manifestDigest(image.imageManifest);
    if (computed !== digest) {
      throw new DigestMismatchError({ repository: target.repository, digest }, computed);
    }
    out.set(digest, linksOf(image.imageManifest));
  }
  for (const f of res.failures ?? []) {
    const digest = f.imageId?.imageDigest;
    if (!digest || !wanted.has(digest) || out.has(digest)) continue;
    out.set(digest, {
      ok: false,
      code: f.failureCode ?? "UNKNOWN",
      reason: f.failureReason ?? "no reason given",
    });
  }
  for (const digest of digests) {
    if (!out.has(digest)) {
      out.set(digest, {
        ok: false,
        code: "NO_ANSWER",
        reason: "ECR returned neither the manifest nor a failure",
      });
    }
  }
  return out;
}

function linksOf(manifest: string): ManifestRead {
  let json: unknown;
  try {
    json = JSON.parse(manifest);
  } catch {
    return { ok: false, code: "NOT_JSON", reason: "the manifest is not JSON" };
  }
  const parsed = linksSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      code: "MALFORMED",
      reason: `${first?.path.join(".") || "(root)"}: ${first?.message ?? "invalid"}`,
    };
  }
  const m = parsed.data;
  const links: ManifestLinks = {};
  if (m.manifests) {
    links.children = [...new Set(m.manifests.map((d) => d.digest))].filter((d) =>
      SHA256_DIGEST.test(d),
    );
  }
  if (m.subject && SHA256_DIGEST.test(m.subject.digest)) links.subject = m.subject.digest;
  const type = nonImageArtifactType(m.artifactType ?? m.config?.mediaType);
  if (type) links.artifactType = type;
  return { ok: true, links };
}
