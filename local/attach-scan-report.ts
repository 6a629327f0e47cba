import { repositoryScope } from "../shared/adapters/oci/oci-auth.ts";
import type { OciClient } from "../shared/adapters/oci/oci-client.ts";
import { OciRegistryError } from "../shared/adapters/oci/oci-errors.ts";
import { getManifest } from "../shared/adapters/oci/oci-manifest.ts";
import {
  type Descriptor,
  OCI_INDEX,
  OCI_MANIFEST,
  parseManifestContent,
} from "../shared/adapters/oci/oci-manifest-content.ts";
import { referrersTag } from "../shared/adapters/oci/oci-referrers.ts";
import {
  GRYPE_REPORT_MEDIA_TYPE,
  TRIVY_REPORT_MEDIA_TYPE,
} from "../shared/adapters/oci/oci-scan-report.ts";
import {
  detectFindingsFormat,
  parseFindingsDocument,
} from "../shared/findings/parse-findings-document.ts";
import { uploadBlob, uploadManifest } from "./oci-upload.ts";

const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
const CREATED = "org.opencontainers.image.created";
const TITLE = "org.opencontainers.image.title";

/** The report is not one the pipeline reads, or its image is not there. */
export class AttachReportError extends Error {
  readonly code: "ATTACH_NOT_A_REPORT" | "ATTACH_NO_IMAGE";
  constructor(code: AttachReportError["code"], message: string) {
    super(message);
    this.name = "AttachReportError";
    this.code = code;
  }
}

export interface AttachRequest {
  repository: string;
  /** The image the report is about. */
  digest: string;
  /** The report's bytes: Trivy (`--format json`) or Grype (`-o json`) JSON. */
  report: Buffer;
  /** Shown as the layer's title. */
  fileName?: string;
  /** The artifact's creation time (ISO); now by default. */
  created?: string;
}

export interface AttachResult {
  /** The artifact manifest's digest. */
  digest: string;
  artifactType: string;
  /** How the subject's referrer list learns of it. */
  listedVia: "referrers-api" | "tag-schema";
  /** The `sha256-<hex>` tag, when the tag schema was used. */
  referrersTag?: string;
}

/**
 * Attaches a scan report to an image as an OCI artifact, as `oras attach` does: the report as
 * the only layer (typed as the report), an empty config, and `subject` naming the image. On a
 * registry without the referrers API (distribution 2.8) the artifact is then added to the image
 * index tagged `sha256-<hex>` (the distribution spec's referrers tag schema), creating it when
 * missing. Two attaches to one image at the same moment can lose one index entry: that schema
 * has no locking.
 */
export async function attachScanReport(
  client: OciClient,
  req: AttachRequest,
): Promise<AttachResult> {
  const artifactType = reportMediaType(req.report);
  const subject = await getManifest(client, req.repository, req.digest);
  if (!subject) {
    throw new AttachReportError(
      "ATTACH_NO_IMAGE",
      `no image ${req.repository}@${req.digest} in ${client.registryId}; push it first (or check the repository and digest)`,
    );
  }
  const config = await uploadBlob(client, req.repository, Buffer.from("{}"), OCI_EMPTY);
  const layer = await uploadBlob(client, req.repository, req.report, artifactType);
  const created = req.created ?? new Date().toISOString();
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config,
      layers: [{ ...layer, annotations: { [TITLE]: req.fileName ?? "report.json" } }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
      annotations: { [CREATED]: created },
    }),
  );
  const pushed = await uploadManifest(client, req.repository, "by-digest", manifest, OCI_MANIFEST);
  const descriptor: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest: pushed.digest,
    size: pushed.size,
    artifactType,
    annotations: { [CREATED]: created },
  };
  if (await hasReferrersApi(client, req.repository, subject.digest)) {
    return { digest: pushed.digest, artifactType, listedVia: "referrers-api" };
  }
  const tag = referrersTag(subject.digest);
  await addToReferrersIndex(client, req.repository, tag, descriptor);
  return { digest: pushed.digest, artifactType, listedVia: "tag-schema", referrersTag: tag };
}

/** The artifact type for a report: Trivy or Grype JSON, checked by parsing it as the gate will. */
export function reportMediaType(report: Buffer): string {
  let json: unknown;
  try {
    json = JSON.parse(report.toString("utf8"));
  } catch {
    throw new AttachReportError(
      "ATTACH_NOT_A_REPORT",
      "the report is not JSON; produce it with `trivy image --format json` (or `grype -o json`)",
    );
  }
  const format = detectFindingsFormat(json);
  if (format !== "trivy" && format !== "grype") {
    throw new AttachReportError(
      "ATTACH_NOT_A_REPORT",
      `the report is ${format ? `a ${format} document` : "no findings format registry-guard knows"}; attach a Trivy JSON report (trivy image --format json) or a Grype JSON document (grype -o json)`,
    );
  }
  try {
    parseFindingsDocument(json, format);
  } catch (err) {
    throw new AttachReportError(
      "ATTACH_NOT_A_REPORT",
      `the ${format} report does not parse: ${(err as Error).message}`,
    );
  }
  return format === "trivy" ? TRIVY_REPORT_MEDIA_TYPE : GRYPE_REPORT_MEDIA_TYPE;
}

async function hasReferrersApi(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<boolean> {
  const res = await client.send({
    operation: "ListReferrers",
    target: { repository, reference: digest },
    method: "GET",
    path: `/v2/${repository}/referrers/${digest}`,
    scopes: [repositoryScope(repository, "pull")],
    headers: { accept: OCI_INDEX },
  });
  return res.status === 200;
}

async function addToReferrersIndex(
  client: OciClient,
  repository: string,
  tag: string,
  descriptor: Descriptor,
): Promise<void> {
  const current = await getManifest(client, repository, tag);
  let manifests: Descriptor[] = [];
  if (current) {
    const content = parseManifestContent(current.bytes, current.mediaType, {
      ...client.target({ repository, reference: tag }),
      operation: "AttachReport",
    });
    if (content.kind !== "index") {
      throw new OciRegistryError(
        "OCI_INVALID_RESPONSE",
        "AttachReport",
        client.target({ repository, reference: tag }),
        `the referrers tag ${tag} holds a ${content.mediaType}, not an image index; remove that tag`,
      );
    }
    manifests = content.manifests;
  }
  if (manifests.some((d) => d.digest === descriptor.digest)) return;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [...manifests, descriptor],
    }),
  );
  await uploadManifest(client, repository, tag, index, OCI_INDEX);
}
