import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  type DescribeImageScanFindingsCommandOutput,
  ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import type { ImageRef } from "../../shared/domain/image.ts";

const ref: ImageRef = {
  registry: "ecr",
  registryId: "123456789012",
  repository: "team-a/api",
  digest: `sha256:${"4b".repeat(32)}`,
  tags: [],
};
const request = {
  registryId: "123456789012",
  repositoryName: "team-a/api",
  imageId: { imageDigest: ref.digest },
};
const completedAt = new Date("2024-03-12T09:14:03.120Z");

const ecr = mockClient(ECRClient);
beforeEach(() => ecr.reset());

// Shaped like the documented basic finding: name, uri, severity and package attributes.
function basic(i: number): ImageScanFinding {
  return {
    name: `CVE-2024-${10000 + i}`,
    uri: `https://security-tracker.debian.org/tracker/CVE-2024-${10000 + i}`,
    severity: i % 2 ? "HIGH" : "MEDIUM",
    attributes: [
      { key: "package_version", value: `1.${i}` },
      { key: "package_name", value: `pkg-${i}` },
      { key: "CVSS3_SCORE", value: "7.5" },
    ],
  };
}

// Shaped like the documented Inspector finding: one finding, two vulnerable packages.
function enhanced(i: number): EnhancedImageScanFinding {
  return {
    awsAccountId: "123456789012",
    findingArn: `arn:aws:inspector2:eu-west-1:123456789012:finding/${i}`,
    title: `CVE-2023-${20000 + i} - openssl, openssl-libs`,
    severity: "HIGH",
    status: "ACTIVE",
    score: 7.5,
    fixAvailable: "YES",
    packageVulnerabilityDetails: {
      vulnerabilityId: `CVE-2023-${20000 + i}`,
      sourceUrl: `https://nvd.nist.gov/vuln/detail/CVE-2023-${20000 + i}`,
      vulnerablePackages: [
        { name: "openssl", version: "1.0.2k", fixedInVersion: "1.0.2k-24" },
        { name: "openssl-libs", version: "1.0.2k", fixedInVersion: "1.0.2k-24" },
      ],
    },
  };
}

/** Serves `pages` keyed by the request's nextToken ("" for the first page), recording every input. */
function servePages(pages: Record<string, DescribeImageScanFindingsCommandOutput>) {
  const inputs: DescribeImageScanFindingsCommandInput[] = [];
  ecr
    .on(DescribeImageScanFindingsCommand)
    .callsFake((input: DescribeImageScanFindingsCommandInput) => {
      inputs.push(input);
      const page = pages[input.nextToken ?? ""];
      if (!page) throw new Error(`unexpected nextToken ${input.nextToken}`);
      return page;
    });
  return inputs;
}

const meta = { $metadata: {} };

describe("EcrRegistry.getScanResult paging", () => {
  it("reads every basic page with maxResults 1000, following nextToken to the last page", async () => {
    const all = Array.from({ length: 2500 }, (_, i) => basic(i));
    const status = {
      status: "COMPLETE" as const,
      description: "The scan was completed successfully.",
    };
    const inputs = servePages({
      "": {
        ...meta,
        imageScanStatus: status,
        imageScanFindings: { imageScanCompletedAt: completedAt, findings: all.slice(0, 1000) },
        nextToken: "t1",
      },
      t1: {
        ...meta,
        imageScanStatus: status,
        imageScanFindings: { imageScanCompletedAt: completedAt, findings: all.slice(1000, 2000) },
        nextToken: "t2",
      },
      t2: {
        ...meta,
        imageScanStatus: status,
        imageScanFindings: { imageScanCompletedAt: completedAt, findings: all.slice(2000) },
      },
    });

    const scan = await new EcrRegistry(new ECRClient({})).getScanResult(ref);

    expect(inputs).toEqual([
      { ...request, maxResults: 1000 },
      { ...request, maxResults: 1000, nextToken: "t1" },
      { ...request, maxResults: 1000, nextToken: "t2" },
    ]);
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("basic");
    expect(scan.completedAt).toBe("2024-03-12T09:14:03.120Z");
    expect(scan.findings).toHaveLength(2500);
    expect(new Set(scan.findings.map((f) => f.id)).size).toBe(2500);
    expect(scan.findings[2499]).toMatchObject({
      id: "CVE-2024-12499",
      severity: "HIGH",
      package: "pkg-2499",
      installedVersion: "1.2499",
      score: 7.5,
    });
  });

  it("switches to enhanced pages of 100 once the response shows Inspector findings", async () => {
    const status = {
      status: "ACTIVE" as const,
      description: "Continuous scan is selected for image.",
    };
    const page = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => enhanced(from + i));
    const inputs = servePages({
      "": {
        ...meta,
        imageScanStatus: status,
        imageScanFindings: { enhancedFindings: page(0, 100) },
        nextToken: "e1",
      },
      e1: {
        ...meta,
        imageScanStatus: status,
        imageScanFindings: { enhancedFindings: page(100, 100) },
        nextToken: "e2",
      },
      e2: {
        ...meta,
        imageScanStatus: status,
        imageScanFindings: { enhancedFindings: page(200, 37) },
      },
    });
    const registry = new EcrRegistry(new ECRClient({}));

    const scan = await registry.getScanResult(ref);

    expect(inputs).toEqual([
      { ...request, maxResults: 1000 },
      { ...request, maxResults: 100, nextToken: "e1" },
      { ...request, maxResults: 100, nextToken: "e2" },
    ]);
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("enhanced");
    // One Finding per vulnerable package.
    expect(scan.findings).toHaveLength(237 * 2);
    expect(scan.findings[0]).toMatchObject({
      id: "CVE-2023-20000",
      package: "openssl",
      installedVersion: "1.0.2k",
      fixedVersion: "1.0.2k-24",
    });

    // The adapter remembers: the next image's first page is already sized for enhanced findings.
    inputs.length = 0;
    await registry.getScanResult(ref);
    expect(inputs[0]?.maxResults).toBe(100);
  });

  it("sizes the first page for enhanced findings when told the registry's scan type", async () => {
    const inputs = servePages({
      "": {
        ...meta,
        imageScanStatus: { status: "ACTIVE" },
        imageScanFindings: { enhancedFindings: [enhanced(1)] },
      },
    });
    await new EcrRegistry(new ECRClient({}), { scanner: "enhanced" }).getScanResult(ref);
    expect(inputs).toEqual([{ ...request, maxResults: 100 }]);
  });

  it("keeps the configured scan type when a response carries no findings to tell", async () => {
    const inputs = servePages({ "": { ...meta, imageScanStatus: { status: "PENDING" } } });
    const registry = new EcrRegistry(new ECRClient({}), { scanner: "enhanced" });
    expect((await registry.getScanResult(ref)).scanner).toBe("enhanced");
    await registry.getScanResult(ref);
    expect(inputs.map((i) => i.maxResults)).toEqual([100, 100]);
  });

  it.each([
    ["IN_PROGRESS", "IN_PROGRESS"],
    ["PENDING", "PENDING"],
    ["FAILED", "FAILED"],
    ["UNSUPPORTED_IMAGE", "UNSUPPORTED"],
    ["SCAN_ELIGIBILITY_EXPIRED", "FAILED"],
  ] as const)("maps ECR status %s to %s, keeping ECR's description", async (ecrStatus, ours) => {
    servePages({
      "": {
        ...meta,
        imageScanStatus: { status: ecrStatus, description: `described ${ecrStatus}` },
      },
    });
    const scan = await new EcrRegistry(new ECRClient({})).getScanResult(ref);
    expect(scan.status).toBe(ours);
    expect(scan.findings).toEqual([]);
    expect(scan.detail).toContain(`described ${ecrStatus}`);
  });

  it("refuses to page forever when ECR repeats a nextToken", async () => {
    servePages({
      "": {
        ...meta,
        imageScanStatus: { status: "COMPLETE" },
        imageScanFindings: { findings: [basic(1)] },
        nextToken: "loop",
      },
      loop: {
        ...meta,
        imageScanStatus: { status: "COMPLETE" },
        imageScanFindings: { findings: [basic(2)] },
        nextToken: "loop",
      },
    });
    await expect(new EcrRegistry(new ECRClient({})).getScanResult(ref)).rejects.toThrow(
      /same nextToken twice/,
    );
  });
});
