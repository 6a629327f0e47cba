import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ociPipelineDeps } from "../../functions/runtime/oci-pipeline-deps.ts";
import { parseHarborVulnerabilityReport } from "../../shared/findings/harbor-findings.ts";

// The Harbor artifact in the fixtures (test/fixtures/harbor-api).
const DIGEST = "sha256:2bb501e6173d9d006e56de5bce2720eb06396803300fe1687b58a7ff32bf4c14";
const fixture = (name: string) => readFileSync(`test/fixtures/harbor-api/${name}`, "utf8");
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let server: http.Server;
let host: string;
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? "";
    seen.push(url);
    const root = "/api/v2.0/projects/library/repositories/team%252Fdebian/artifacts/";
    const body = url.startsWith(`${root}${DIGEST}/additions/vulnerabilities`)
      ? fixture("vulnerabilities-trivy.json")
      : url.startsWith(`${root}${DIGEST}?`)
        ? fixture("artifact-scanned.json")
        : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(body ?? '{"errors":[{"code":"NOT_FOUND","message":"no such artifact"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    TABLE_NAME: "audit",
    TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
    POLICY_FILE: "examples/registry-guard.yaml",
    AWS_REGION: "us-east-1",
    REGISTRY_URL: `http://${host}`,
    REGISTRY_USERNAME: "robot$registry-guard",
    REGISTRY_PASSWORD: "robot-secret-value",
    ...extra,
  };
}

describe("the receiver's registry adapter with REGISTRY_SCAN_SOURCE", () => {
  const ref = () => ({
    registry: "oci" as const,
    registryId: host,
    repository: "library/team/debian",
    digest: DIGEST,
    tags: [],
  });

  it("harbor: reads findings from Harbor's scan through its API", async () => {
    const deps = ociPipelineDeps(env({ REGISTRY_SCAN_SOURCE: "harbor" }), silent);
    const scan = await deps.registry.getScanResult(ref());
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toMatch(/^harbor:/);
    expect(scan.findings).toEqual(
      parseHarborVulnerabilityReport(JSON.parse(fixture("vulnerabilities-trivy.json"))).findings,
    );
    expect(seen.some((u) => u.includes("/additions/vulnerabilities"))).toBe(true);
  });

  it("refuses an unknown scan source at load, before any request", () => {
    const before = seen.length;
    expect(() => ociPipelineDeps(env({ REGISTRY_SCAN_SOURCE: "clair" }), silent)).toThrow(
      /REGISTRY_SCAN_SOURCE=clair: expected attached or harbor/,
    );
    expect(seen.length).toBe(before);
  });
});
