import { ECRClient } from "@aws-sdk/client-ecr";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EcrRegistryError } from "../../shared/adapters/ecr/ecr-errors.ts";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { AWS_MAX_ATTEMPTS, ecrClientConfig } from "../../shared/adapters/retry-config.ts";
import type { ImageRef } from "../../shared/domain/image.ts";

/*
 * aws-sdk-client-mock replaces client.send, so the SDK's retry middleware never runs under it.
 * These tests keep the real middleware stack and the production config (ecrClientConfig) and fake
 * only the HTTP layer, answering in ECR's JSON 1.1 protocol. Fake timers make the backoff instant.
 */

const ref: ImageRef = {
  registry: "ecr",
  registryId: "123456789012",
  repository: "team-a/api",
  digest: `sha256:${"ab".repeat(32)}`,
  tags: [],
};

interface Reply {
  status: number;
  body: unknown;
}

const scanPage = {
  imageScanStatus: { status: "COMPLETE" },
  imageScanFindings: {
    findings: [
      {
        name: "CVE-2024-1",
        severity: "HIGH",
        attributes: [{ key: "package_name", value: "zlib" }],
      },
    ],
  },
};

function awsError(type: string, message: string, status = 400): Reply {
  return { status, body: { __type: type, message } };
}

/** A real ECRClient whose HTTP handler answers from `replies` in order and counts the requests. */
function clientAnswering(replies: Reply[]) {
  const targets: string[] = [];
  const requestHandler = {
    async handle(req: { headers: Record<string, string> }) {
      targets.push(req.headers["x-amz-target"] ?? "");
      const reply = replies.shift();
      if (!reply) throw new Error("no reply left");
      return {
        response: {
          statusCode: reply.status,
          headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-1" },
          body: new TextEncoder().encode(JSON.stringify(reply.body)),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
  const client = new ECRClient({
    ...ecrClientConfig({ region: "eu-west-1" }),
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-secret" },
    requestHandler,
  });
  return { client, targets };
}

/** Advances fake time until the promise settles (the SDK sleeps between attempts). */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10_000 && !done; i++) await vi.advanceTimersByTimeAsync(250);
  return p;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("ECR calls under throttling", () => {
  it.each(["ThrottlingException", "TooManyRequestsException"])(
    "retries a %s and then succeeds",
    async (type) => {
      const { client, targets } = clientAnswering([
        awsError(type, "Rate exceeded"),
        awsError(type, "Rate exceeded"),
        { status: 200, body: scanPage },
      ]);

      const scan = await settle(new EcrRegistry(client).getScanResult(ref));

      expect(targets).toEqual([
        "AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings",
        "AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings",
        "AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings",
      ]);
      expect(scan.findings).toEqual([{ id: "CVE-2024-1", severity: "HIGH", package: "zlib" }]);
    },
  );

  it(`gives up after ${AWS_MAX_ATTEMPTS} attempts with an error naming the image`, async () => {
    const { client, targets } = clientAnswering(
      Array.from({ length: AWS_MAX_ATTEMPTS + 2 }, () =>
        awsError("ThrottlingException", "Rate exceeded"),
      ),
    );

    const err = await settle(new EcrRegistry(client).getScanResult(ref)).catch((e: unknown) => e);

    expect(targets).toHaveLength(AWS_MAX_ATTEMPTS);
    expect(err).toBeInstanceOf(EcrRegistryError);
    expect((err as Error).message).toContain(`team-a/api@${ref.digest}`);
    expect((err as Error).message).toContain("still throttled");
  });

  it("does not retry a non-retryable error, and names repository and digest", async () => {
    const { client, targets } = clientAnswering([
      awsError("AccessDeniedException", "not authorized to perform: ecr:DescribeImageScanFindings"),
      { status: 200, body: scanPage },
    ]);

    const err = await settle(new EcrRegistry(client).getScanResult(ref)).catch((e: unknown) => e);

    expect(targets).toHaveLength(1);
    expect(err).toMatchObject({
      code: "ECR_REQUEST_FAILED",
      awsError: "AccessDeniedException",
      repository: "team-a/api",
      digest: ref.digest,
    });
    expect((err as Error).message).toMatch(
      /DescribeImageScanFindings failed for team-a\/api@sha256:ab/,
    );
  });

  it("uses adaptive retries with the documented number of attempts", () => {
    expect(ecrClientConfig()).toEqual({ maxAttempts: AWS_MAX_ATTEMPTS, retryMode: "adaptive" });
    expect(ecrClientConfig({ maxAttempts: 3, region: "us-east-1" })).toEqual({
      region: "us-east-1",
      maxAttempts: 3,
      retryMode: "adaptive",
    });
  });
});
