import type { ImageDetail } from "@aws-sdk/client-ecr";
import * as z from "zod";
import type { Artifact, RepositoryInventory } from "../../domain/retention-inventory.ts";
import {
  artifactOfImageDetail,
  isIndexMediaType,
  mergeArtifacts,
  SHA256_DIGEST,
} from "./ecr-image-detail-artifact.ts";

export const INVENTORY_FILE_ERROR_CODES = [
  /** The file is not JSON at all. */
  "INVENTORY_NOT_JSON",
  /** JSON, but not `aws ecr describe-images --output json` output: a field is missing or wrong. */
  "INVENTORY_INVALID",
  /** No registry id: the records carry none and none was given, or they contradict the one given. */
  "INVENTORY_REGISTRY_ID",
] as const;
export type InventoryFileErrorCode = (typeof INVENTORY_FILE_ERROR_CODES)[number];

/** An inventory file that cannot be read: names the file, the record and the field. */
export class InventoryFileError extends Error {
  readonly code: InventoryFileErrorCode;
  readonly file: string;
  /** Index into imageDetails, when one record is at fault. */
  readonly record?: number;
  /** The field path inside the file, e.g. imageDetails[3].imagePushedAt. */
  readonly field?: string;

  constructor(
    code: InventoryFileErrorCode,
    file: string,
    detail: string,
    at: { record?: number; field?: string } = {},
  ) {
    super(`${file}: ${at.field ? `${at.field}: ` : ""}${detail}`);
    this.name = "InventoryFileError";
    this.code = code;
    this.file = file;
    if (at.record !== undefined) this.record = at.record;
    if (at.field !== undefined) this.field = at.field;
  }
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * AWS CLI v2 prints timestamps as ISO 8601 with an offset ("2024-05-01T12:00:00.123000+02:00");
 * v1, and v2 with cli_timestamp_format=wire, print the wire value: epoch seconds (1565128275.0).
 */
const timestamp = z.unknown().transform((v, ctx) => {
  if (v === undefined || v === null) return undefined;
  const at =
    typeof v === "number" && Number.isFinite(v)
      ? new Date(v * 1000)
      : typeof v === "string" && ISO_DATE_TIME.test(v)
        ? new Date(v)
        : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    ctx.addIssue({ code: "custom", message: "expected an ISO date-time (or epoch seconds)" });
    return z.NEVER;
  }
  return at;
});

const digest = z.string({ error: "expected a sha256 digest" }).regex(SHA256_DIGEST, {
  error: "expected sha256:<64 lowercase hex>",
});

const imageDetailSchema = z
  .object({
    registryId: z
      .string({ error: "expected a 12-digit account id" })
      .regex(/^\d{12}$/, { error: "expected a 12-digit account id" })
      .optional(),
    repositoryName: z.string({ error: "expected the repository name" }).min(1),
    imageDigest: digest,
    imageTags: z.array(z.string().min(1), { error: "expected a list of tags" }).optional(),
    imageSizeInBytes: z
      .number({ error: "expected a size in bytes" })
      .int()
      .nonnegative()
      .optional(),
    imagePushedAt: timestamp.optional(),
    lastRecordedPullTime: timestamp.optional(),
    imageManifestMediaType: z.string().optional(),
    artifactMediaType: z.string().optional(),
    subjectManifestDigest: digest.optional(),
    imageStatus: z
      .enum(["ACTIVE", "ARCHIVED", "ACTIVATING"], {
        error: "expected ACTIVE, ARCHIVED or ACTIVATING",
      })
      .optional(),
    lastArchivedAt: timestamp.optional(),
    lastActivatedAt: timestamp.optional(),
  })
  .loose();

// Extra keys (nextToken / NextToken from a paged or --max-items run) are allowed and ignored.
const documentSchema = z
  .object(
    { imageDetails: z.array(z.unknown(), { error: "expected a list of image details" }) },
    { error: 'expected the output of "aws ecr describe-images --output json"' },
  )
  .loose();

type ParsedDetail = z.output<typeof imageDetailSchema>;

/**
 * Inventories for the offline planner from `aws ecr describe-images --output json` files: one or
 * many repositories, pages split across files in any order. A digest listed more than once (in
 * overlapping pages or files) is one artifact, its tags unioned. The files carry no manifests, so
 * an index's children are unknown: a repository holding an index has manifestsKnown false (the
 * planner keeps what it cannot place); referrers carry their subjectManifestDigest, and legacy
 * cosign tags are left to the planner. Pull times are
 * ECR's (absent means never pulled). describe-images lists archived images only when run with
 * `--filter imageStatus=ANY`; images missing from the files are simply not planned.
 */
export function inventoriesFromDescribeImages(
  documents: { name: string; text: string }[],
  opts: { registryId?: string; region?: string } = {},
): RepositoryInventory[] {
  const repositories = new Map<
    string,
    { registryId: string; repository: string; byDigest: Map<string, Artifact> }
  >();
  for (const doc of documents) {
    for (const [index, detail] of readDocument(doc).entries()) {
      const registryId = registryIdOf(doc.name, index, detail, opts.registryId);
      const key = `${registryId}/${detail.repositoryName}`;
      let repo = repositories.get(key);
      if (!repo) {
        repo = { registryId, repository: detail.repositoryName, byDigest: new Map() };
        repositories.set(key, repo);
      }
      const artifact = artifactOfImageDetail(toImageDetail(detail));
      if (!artifact) continue; // unreachable: the schema checked the digest
      const seen = repo.byDigest.get(artifact.digest);
      repo.byDigest.set(artifact.digest, seen ? mergeArtifacts(seen, artifact) : artifact);
    }
  }
  return [...repositories.values()]
    .sort((a, b) => compare(a.registryId, b.registryId) || compare(a.repository, b.repository))
    .map((r) => ({
      registry: "ecr",
      registryId: r.registryId,
      ...(opts.region ? { region: opts.region } : {}),
      repository: r.repository,
      artifacts: [...r.byDigest.values()].sort((a, b) => compare(a.digest, b.digest)),
      manifestsKnown: placementsKnown([...r.byDigest.values()]),
      pullTimesKnown: true,
    }));
}

/**
 * describe-images reports each referrer's subject (subjectManifestDigest) but not an index's
 * children. So every untagged manifest can be placed exactly when the repository holds no index
 * (and every record names its manifest media type, so an index cannot hide): then an untagged
 * image without a subject is an untagged image, nothing's child.
 */
function placementsKnown(artifacts: readonly Artifact[]): boolean {
  return artifacts.every((a) => a.mediaType !== undefined && !isIndexMediaType(a.mediaType));
}

function readDocument(doc: { name: string; text: string }): ParsedDetail[] {
  let json: unknown;
  try {
    json = JSON.parse(doc.text);
  } catch (err) {
    throw new InventoryFileError(
      "INVENTORY_NOT_JSON",
      doc.name,
      `not JSON (${(err as Error).message}); save the output of "aws ecr describe-images --output json"`,
    );
  }
  const top = documentSchema.safeParse(json);
  if (!top.success) throw invalid(doc.name, top.error);
  return top.data.imageDetails.map((record, i) => {
    const parsed = imageDetailSchema.safeParse(record);
    if (!parsed.success) throw invalid(doc.name, parsed.error, i);
    return parsed.data;
  });
}

function invalid(file: string, error: z.ZodError, record?: number): InventoryFileError {
  const issue = error.issues[0];
  const path = [...(record === undefined ? [] : ["imageDetails", record]), ...(issue?.path ?? [])];
  const field = path.reduce<string>(
    (s, p) => (typeof p === "number" ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
    "",
  );
  return new InventoryFileError("INVENTORY_INVALID", file, issue?.message ?? "invalid", {
    ...(record === undefined ? {} : { record }),
    ...(field ? { field } : {}),
  });
}

function registryIdOf(
  file: string,
  record: number,
  detail: ParsedDetail,
  given: string | undefined,
): string {
  const field = `imageDetails[${record}].registryId`;
  if (detail.registryId && given && detail.registryId !== given) {
    throw new InventoryFileError(
      "INVENTORY_REGISTRY_ID",
      file,
      `${detail.registryId} is not the registry id given (${given}); drop the option or the file`,
      { record, field },
    );
  }
  const id = detail.registryId ?? given;
  if (!id) {
    throw new InventoryFileError(
      "INVENTORY_REGISTRY_ID",
      file,
      "missing, and no registry id was given: pass the account id",
      { record, field },
    );
  }
  return id;
}

function toImageDetail(d: ParsedDetail): ImageDetail {
  return {
    imageDigest: d.imageDigest,
    ...(d.imageTags ? { imageTags: d.imageTags } : {}),
    ...(d.imageSizeInBytes !== undefined ? { imageSizeInBytes: d.imageSizeInBytes } : {}),
    ...(d.imagePushedAt ? { imagePushedAt: d.imagePushedAt } : {}),
    ...(d.lastRecordedPullTime ? { lastRecordedPullTime: d.lastRecordedPullTime } : {}),
    ...(d.imageManifestMediaType ? { imageManifestMediaType: d.imageManifestMediaType } : {}),
    ...(d.artifactMediaType ? { artifactMediaType: d.artifactMediaType } : {}),
    ...(d.subjectManifestDigest ? { subjectManifestDigest: d.subjectManifestDigest } : {}),
    ...(d.imageStatus ? { imageStatus: d.imageStatus } : {}),
    ...(d.lastArchivedAt ? { lastArchivedAt: d.lastArchivedAt } : {}),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
