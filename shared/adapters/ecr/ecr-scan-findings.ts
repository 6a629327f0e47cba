import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from "@aws-sdk/client-ecr";
import type { ScanResult } from "../../domain/finding.ts";
import type { ImageRef } from "../../domain/image.ts";
import { fromEcrScanFindings } from "../../findings/ecr-findings.ts";
import { EcrRegistryError, ecrRequestFailed, isAwsError } from "./ecr-errors.ts";

export type EcrScanner = "basic" | "enhanced";

/** The API's maximum for basic findings. */
export const BASIC_PAGE_SIZE = 1000;
/** Enhanced (Inspector) findings come at most 100 a page whatever maxResults says: ask for that. */
export const ENHANCED_PAGE_SIZE = 100;
/** 100,000 findings or more: a loop, not an image. */
const MAX_PAGES = 1000;

const OPERATION = "DescribeImageScanFindings";

/**
 * Every finding of the image's latest scan, pages followed to the end and merged, then mapped by
 * the shared ECR findings mapping (the same one `gate --findings ecr.json` uses). `scanner` is
 * the caller's best guess of the registry's scan type: it sizes the pages until a response shows
 * which kind it is (`observed`, absent when no response said).
 */
export async function readEcrScanFindings(
  client: ECRClient,
  ref: ImageRef,
  scanner: EcrScanner,
): Promise<{ scan: ScanResult; observed?: EcrScanner }> {
  let first: DescribeImageScanFindingsCommandOutput | undefined;
  let enhanced: EnhancedImageScanFinding[] | undefined;
  let basic: ImageScanFinding[] | undefined;
  let nextToken: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES) {
      throw new EcrRegistryError(
        "ECR_REQUEST_FAILED",
        OPERATION,
        ref,
        `more than ${MAX_PAGES} pages of findings`,
      );
    }
    const kind = observedScanner(first, basic, enhanced) ?? scanner;
    const out = await sendPage(
      client,
      ref,
      kind === "enhanced" ? ENHANCED_PAGE_SIZE : BASIC_PAGE_SIZE,
      nextToken,
    );
    if (out === null) {
      // Only the first page can say "no scan": later it would mean the scan vanished mid-read.
      if (first) {
        throw new EcrRegistryError(
          "ECR_REQUEST_FAILED",
          OPERATION,
          ref,
          "the scan disappeared while its findings were read",
        );
      }
      return {
        scan: {
          status: "NONE",
          scanner,
          findings: [],
          detail: "ECR has no scan for this image (scan on push off, or the scan has not started)",
        },
      };
    }
    first ??= out;
    const f = out.imageScanFindings;
    if (f?.findings) basic = (basic ?? []).concat(f.findings);
    if (f?.enhancedFindings) enhanced = (enhanced ?? []).concat(f.enhancedFindings);
    nextToken = out.nextToken || undefined;
    if (!nextToken) break;
    // A token seen twice would page forever.
    if (seen.has(nextToken)) {
      throw new EcrRegistryError(
        "ECR_REQUEST_FAILED",
        OPERATION,
        ref,
        "ECR returned the same nextToken twice",
      );
    }
    seen.add(nextToken);
  }

  const scan = first.imageScanFindings;
  const result = fromEcrScanFindings({
    ...(first.imageScanStatus ? { imageScanStatus: first.imageScanStatus } : {}),
    ...(scan
      ? {
          imageScanFindings: {
            ...(scan.imageScanCompletedAt
              ? { imageScanCompletedAt: scan.imageScanCompletedAt }
              : {}),
            ...(basic ? { findings: basic } : {}),
            ...(enhanced ? { enhancedFindings: enhanced } : {}),
          },
        }
      : {}),
  });
  const observed = observedScanner(first, basic, enhanced);
  return { scan: { ...result, scanner: observed ?? scanner }, ...(observed ? { observed } : {}) };
}

/**
 * What the responses so far show: Inspector findings or enhanced scanning's ACTIVE status mean
 * enhanced, basic findings mean basic; a bare status (PENDING, IN_PROGRESS …) says nothing.
 */
function observedScanner(
  first: DescribeImageScanFindingsCommandOutput | undefined,
  basic: ImageScanFinding[] | undefined,
  enhanced: EnhancedImageScanFinding[] | undefined,
): EcrScanner | undefined {
  if (enhanced !== undefined || first?.imageScanStatus?.status === "ACTIVE") return "enhanced";
  return basic !== undefined ? "basic" : undefined;
}

/** One page; null when ECR has no scan for the image at all. */
async function sendPage(
  client: ECRClient,
  ref: ImageRef,
  maxResults: number,
  nextToken: string | undefined,
): Promise<DescribeImageScanFindingsCommandOutput | null> {
  try {
    return await client.send(
      new DescribeImageScanFindingsCommand({
        registryId: ref.registryId,
        repositoryName: ref.repository,
        imageId: { imageDigest: ref.digest },
        maxResults,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
  } catch (err) {
    if (isAwsError(err, "ScanNotFoundException")) return null;
    if (isAwsError(err, "ImageNotFoundException", "RepositoryNotFoundException")) {
      throw new EcrRegistryError(
        "ECR_IMAGE_NOT_FOUND",
        OPERATION,
        ref,
        "the image no longer exists",
        {
          cause: err,
          awsError: (err as Error).name,
        },
      );
    }
    throw ecrRequestFailed(OPERATION, ref, err);
  }
}
