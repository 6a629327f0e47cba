import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  fromHarborScanStatus,
  harborArtifactSchema,
  harborScanDetail,
  isScannable,
  pickScanSummary,
} from "../../shared/adapters/harbor/harbor-scan-status.ts";
import {
  HARBOR_GENERIC_REPORT_MEDIA_TYPE,
  HARBOR_NATIVE_REPORT_MEDIA_TYPE,
} from "../../shared/findings/harbor-findings.ts";

function artifact(name: string) {
  const json = JSON.parse(
    readFileSync(new URL(`../fixtures/harbor-api/${name}.json`, import.meta.url), "utf8"),
  );
  return harborArtifactSchema.parse(json);
}

describe("fromHarborScanStatus", () => {
  it.each([
    ["Success", "COMPLETE"],
    ["Pending", "PENDING"],
    ["Scheduled", "PENDING"],
    ["Running", "IN_PROGRESS"],
    ["Error", "FAILED"],
    ["Stopped", "FAILED"],
    ["success", "COMPLETE"],
    ["Paused", "NONE"],
    ["", "NONE"],
    [undefined, "NONE"],
  ])("%j → %s", (status, ours) => {
    expect(fromHarborScanStatus(status)).toBe(ours);
  });
});

describe("Harbor artifact scan overview", () => {
  it("reads each fixture's status", () => {
    const statuses = [
      "artifact-scanned",
      "artifact-scan-running",
      "artifact-scan-pending",
      "artifact-scan-error",
      "artifact-scan-stopped",
    ].map((n) => fromHarborScanStatus(pickScanSummary(artifact(n))?.scan_status));
    expect(statuses).toEqual(["COMPLETE", "IN_PROGRESS", "PENDING", "FAILED", "FAILED"]);
  });

  it("has no summary for an unscanned artifact; scannable only with a vulnerabilities link", () => {
    const unscanned = artifact("artifact-not-scanned");
    expect(pickScanSummary(unscanned)).toBeUndefined();
    expect(isScannable(unscanned)).toBe(true);
    const signature = artifact("artifact-unsupported");
    expect(pickScanSummary(signature)).toBeUndefined();
    expect(isScannable(signature)).toBe(false);
  });

  it("prefers the 1.1 summary, then the native one, then any", () => {
    const digest = `sha256:${"0".repeat(64)}`;
    const two = harborArtifactSchema.parse({
      digest,
      scan_overview: {
        [HARBOR_NATIVE_REPORT_MEDIA_TYPE]: { scan_status: "Error" },
        [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: { scan_status: "Success" },
      },
    });
    expect(pickScanSummary(two)?.scan_status).toBe("Success");
    const native = harborArtifactSchema.parse({
      digest,
      scan_overview: {
        "application/x-other": { scan_status: "Pending" },
        [HARBOR_NATIVE_REPORT_MEDIA_TYPE]: { scan_status: "Running" },
      },
    });
    expect(pickScanSummary(native)?.scan_status).toBe("Running");
    const other = harborArtifactSchema.parse({
      digest,
      scan_overview: { "application/x-other": { scan_status: "Pending" } },
    });
    expect(pickScanSummary(other)?.scan_status).toBe("Pending");
  });

  it("explains a scan that is not complete", () => {
    expect(harborScanDetail({ scan_status: "Running", complete_percent: 40 })).toBe(
      "Harbor scan status Running (40% complete)",
    );
    expect(harborScanDetail({ scan_status: "Pending" })).toMatch(/waiting for a scan job/);
    expect(harborScanDetail({ scan_status: "Error" })).toMatch(/scan log/);
    expect(harborScanDetail({ scan_status: "Stopped" })).toMatch(/stopped before it finished/);
    expect(harborScanDetail({ scan_status: "Paused" })).toMatch(/not a status/);
    expect(harborScanDetail({})).toMatch(/status missing/);
  });
});
