import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FUNCTION_SDK_CALLS } from "../../infra/data/function-sdk-calls.ts";
import { FUNCTION_NAMES } from "../../infra/data/function-specs.ts";
import { PULL_TIME_EXCLUDED_FUNCTIONS } from "../../infra/data/pull-time-exclusions.ts";

describe("ECR pull-time update exclusions", () => {
  it("cover exactly the functions whose code reads manifests (BatchGetImage)", () => {
    const readers = FUNCTION_NAMES.filter((fn) =>
      FUNCTION_SDK_CALLS[fn].includes("ecr:BatchGetImage"),
    );
    expect([...PULL_TIME_EXCLUDED_FUNCTIONS]).toEqual(readers);
    // Retention reads index manifests; without the exclusion its own reads would count as pulls.
    expect(PULL_TIME_EXCLUDED_FUNCTIONS).toContain("retention-run");
    expect(PULL_TIME_EXCLUDED_FUNCTIONS).toContain("on-scan-complete");
  });

  it("are registered by the deployment for each such function's role", () => {
    const index = readFileSync(new URL("../../infra/index.ts", import.meta.url), "utf8");
    expect(index).toMatch(
      /for \(const fn of PULL_TIME_EXCLUDED_FUNCTIONS\)[\s\S]*new aws\.ecr\.PullTimeUpdateExclusion\([\s\S]*principalArn: fns\[fn\]\.nodes\.role\.arn/,
    );
  });
});
