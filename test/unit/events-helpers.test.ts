import { describe, expect, it } from "vitest";
import { parseEcrRepositoryArn } from "../../shared/events/ecr-repository-arn.ts";
import {
  isEcrRepositoryName,
  isIsoDateTime,
  isOciRepositoryName,
} from "../../shared/events/field-schemas.ts";
import { subjectDigestFromTag } from "../../shared/events/referrer-subject.ts";
import { formatPath, preview } from "../../shared/events/validate-event.ts";

const HEX = "7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678";

describe("parseEcrRepositoryArn", () => {
  it("splits an ARN in any partition, nested names included", () => {
    expect(
      parseEcrRepositoryArn(
        "arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample",
      ),
    ).toEqual({
      partition: "aws",
      region: "us-east-2",
      registryId: "123456789012",
      repository: "amazon/amazon-ecs-sample",
    });
    expect(
      parseEcrRepositoryArn("arn:aws-cn:ecr:cn-north-1:123456789012:repository/app")?.partition,
    ).toBe("aws-cn");
    expect(
      parseEcrRepositoryArn("arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/app")?.region,
    ).toBe("us-gov-west-1");
  });

  it("refuses other services, short accounts, bad names and image ARNs", () => {
    for (const arn of [
      "arn:aws:s3:::bucket",
      "arn:aws:ecr:us-east-1:1234:repository/app",
      "arn:aws:ecr:us-east-1:123456789012:repository/App",
      `arn:aws:ecr:us-east-1:123456789012:repository/app/sha256:${HEX}`,
      "arn:aws:ecr:us-east-1:123456789012:repository/",
      `arn:aws:ecr:us-east-1:123456789012:repository/${"a".repeat(500)}`,
    ]) {
      expect(parseEcrRepositoryArn(arn), arn).toBeNull();
    }
  });
});

describe("subjectDigestFromTag", () => {
  it("reads cosign's sha256-<hex>.sig/.att/.sbom tags", () => {
    for (const suffix of ["sig", "att", "sbom"]) {
      expect(subjectDigestFromTag(`sha256-${HEX}.${suffix}`)).toBe(`sha256:${HEX}`);
    }
  });

  it("returns nothing for other tags, including the bare referrers-index tag", () => {
    for (const tag of [
      undefined,
      "latest",
      `sha256-${HEX}`,
      `sha256-${HEX}.tar`,
      `sha256-${HEX.slice(1)}.sig`,
    ]) {
      expect(subjectDigestFromTag(tag)).toBeUndefined();
    }
  });
});

describe("naming and time rules", () => {
  it("accepts ECR names AWS accepts and rejects the rest", () => {
    for (const ok of ["ab", "team/api", "a.b_c-d/e", "docker-hub/library/alpine"])
      expect(isEcrRepositoryName(ok), ok).toBe(true);
    for (const bad of ["a", "/api", "api/", "a..b", "A", "a b", "a".repeat(257)])
      expect(isEcrRepositoryName(bad), bad).toBe(false);
  });

  it("accepts OCI names with double underscores and dash runs", () => {
    expect(isOciRepositoryName("library/my__app--x")).toBe(true);
    expect(isOciRepositoryName("Library/app")).toBe(false);
  });

  it("accepts ISO 8601 with Z, offsets and fractions; rejects other formats", () => {
    for (const ok of [
      "2019-11-16T01:54:34Z",
      "2025-10-10T19:13:02.74Z",
      "2024-05-08T20:44:54+02:00",
    ]) {
      expect(isIsoDateTime(ok), ok).toBe(true);
    }
    for (const bad of [
      "2019-11-16",
      "Dec 3, 2021, 6:02:30 PM",
      "1573869274",
      "2019-02-29T00:00:00Z",
    ]) {
      expect(isIsoDateTime(bad), bad).toBe(false);
    }
  });
});

describe("message helpers", () => {
  it("renders paths as a reader writes them", () => {
    expect(formatPath(["detail", "image-tags", 1])).toBe("detail.image-tags[1]");
    expect(formatPath(["detail", "a b"])).toBe('detail["a b"]');
    expect(formatPath([])).toBe("(event)");
  });

  it("previews values without ever rendering a large one whole", () => {
    expect(preview("x".repeat(10_000))).toHaveLength(
      `"${"x".repeat(60)}…" (10000 characters)`.length,
    );
    expect(preview({ big: "x".repeat(10_000) })).toBe("an object");
    expect(preview([1, 2])).toBe("an array of 2");
    expect(preview(null)).toBe("null");
  });
});
