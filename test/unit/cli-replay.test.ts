import { readdirSync, readFileSync } from "node:fs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";

const EVENTS = readdirSync("examples/events")
  .filter((f) => f.endsWith(".json"))
  .map((f) => `examples/events/${f}`);
const FINDINGS = "examples/findings/ecr-enhanced-fail.json";
const POLICY = "examples/registry-guard.yaml";

// Nothing may reach AWS in a dry run; the mocks answer nothing and record every call.
const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
beforeEach(() => {
  ecr.reset();
  sns.reset();
});
afterAll(() => {
  ecr.restore();
  sns.restore();
});

function replay(event: string, ...extra: string[]) {
  return runCaptured([
    ...["replay", "--event", event, "--findings", FINDINGS, "--policy", POLICY],
    ...["--now", "2026-06-15T09:05:00Z", ...extra],
  ]);
}

describe("replay --dry-run with --findings", () => {
  it("has example events to replay", () => {
    expect(EVENTS.length).toBeGreaterThanOrEqual(4);
  });

  it.each(EVENTS)("%s: exit 0, the stable JSON shape, nothing sent to AWS", async (event) => {
    const r = await replay(event, "--dry-run", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json).sort()).toEqual(
      ["dryRun", "outcome", "outcomes", "planned", "schemaVersion", "simulated"].sort(),
    );
    // One EventBridge event, one outcome.
    expect(json.outcomes).toEqual([json.outcome]);
    expect(json).toMatchObject({ schemaVersion: 1, dryRun: true, simulated: true });
    const raw = JSON.parse(readFileSync(event, "utf8"));
    expect(json.outcome.eventId).toBe(raw.id);
    expect(Array.isArray(json.planned)).toBe(true);

    const detailType: string = raw["detail-type"];
    if (detailType === "Inspector2 Finding") {
      expect(json.outcome.status).toBe("ignored");
      expect(json.planned).toEqual([]);
    } else if (/Scan/.test(detailType)) {
      // The findings have CRITICAL and HIGH: every scanned image fails the example policy,
      // and the failure is alerted (never really sent).
      expect(json.outcome.verdict).toBe("fail");
      expect(json.planned.some((p: { effect: string }) => p.effect === "alert")).toBe(true);
    } else {
      expect(json.outcome.kind).toBe("image-pushed");
      expect(json.outcome.steps.map((s: { action: string }) => s.action)).toContain(
        "event-received",
      );
    }
    expect(ecr.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it("explains the decision in text", async () => {
    const r = await replay("examples/events/ecr-basic-scan-complete.json", "--dry-run");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("DRY RUN, nothing written");
    expect(r.stdout).toContain("FAIL  my-repository-name");
    expect(r.stdout).toContain("would alert:");
  });

  it("rejects a file that is not an event, and an unknown findings format, with exit 2", async () => {
    const notEvent = await replay(FINDINGS, "--dry-run");
    expect(notEvent.code).toBe(2);
    expect(notEvent.stdout).toBe("");

    const format = await replay(EVENTS[0] as string, "--dry-run", "--format", "csv");
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("--format csv");
  });

  it("without --dry-run and --findings, refuses to start without an audit table", async () => {
    const r = await runCaptured([
      ...["replay", "--event", "examples/events/ecr-image-push.json", "--policy", POLICY],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no audit table");
    expect(ecr.calls()).toHaveLength(0);
  });
});
