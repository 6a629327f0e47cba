import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { FUNCTION_SDK_CALLS } from "../../infra/data/function-sdk-calls.ts";
import { FUNCTION_NAMES, FUNCTION_SPECS } from "../../infra/data/function-specs.ts";
import { DEFAULT_IN_FLIGHT } from "../../shared/pipeline/in-flight.ts";
import { detailOf, eventFixture, HandlerHarness, ociManifest } from "../support/lambda-harness.ts";

const root = new URL("../../", import.meta.url);
const source = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("handler files", () => {
  it.each(FUNCTION_NAMES)("%s is a thin entry point", (fn) => {
    const text = source(`functions/${fn}.ts`);
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    expect(lines.length).toBeLessThan(40);
    // Clients, policy and logic live in functions/runtime and shared/: no SDK client here.
    expect(text).not.toMatch(/@aws-sdk\//);
    // retention-run builds its own adapters (no gate registry): its wiring has its own file.
    expect(text).toMatch(
      fn === "retention-run"
        ? /from "\.\/runtime\/retention-deps\.ts"/
        : /from "\.\/runtime\/aws-pipeline-deps\.ts"/,
    );
    expect(text).toMatch(/from "\.\/runtime\/observability\.ts"/);
    expect(text).toMatch(/export const handler = wrap\(/);
  });

  it.each(FUNCTION_NAMES)("%s is where its deployment spec points", (fn) => {
    const [file, exported] = FUNCTION_SPECS[fn].handler.split(".");
    expect(file).toBe(`functions/${fn}`);
    expect(exported).toBe("handler");
    expect(FUNCTION_SDK_CALLS[fn].length).toBeGreaterThan(0);
  });
});

describe("deployment and runtime agree", () => {
  // retention-run takes no decision lease: it runs retention, not the gate pipeline.
  it.each(FUNCTION_NAMES.filter((fn) => fn !== "retention-run"))(
    "%s: a decision's lease outlasts the function timeout, so a retry never takes over a live run",
    (fn) => {
      expect(DEFAULT_IN_FLIGHT.leaseSeconds).toBeGreaterThanOrEqual(
        FUNCTION_SPECS[fn].timeoutSeconds,
      );
    },
  );
});

describe("container start-up", () => {
  let h: HandlerHarness;
  beforeAll(async () => {
    h = await HandlerHarness.start();
  });
  beforeEach(async () => {
    await h.reset();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it.each(["TABLE_NAME", "TOPIC_ARN"])(
    "fails at load, naming %s, when the deployment did not set it",
    async (name) => {
      vi.stubEnv(name, undefined);
      await expect(h.load("on-scan-complete")).rejects.toThrow(
        `environment variable ${name} is not set`,
      );
    },
  );

  it("fails at load with the file, line and field of an invalid policy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-"));
    const file = join(dir, "registry-guard.yaml");
    writeFileSync(file, "version: 1\ndefaults:\n  gate:\n    blokAt: HIGH\n");
    vi.stubEnv("POLICY_FILE", file);
    await expect(h.load("on-image-push")).rejects.toThrow(/registry-guard\.yaml:4:5 .*blokAt/);
  });

  it("builds its SDK clients once per container, not per invocation", async () => {
    const { manifest, digest } = ociManifest("container");
    h.ecr.add({
      region: "us-east-1",
      registryId: "123456789012",
      repository: "my-repository-name",
      digest,
      manifest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      tags: [],
      pushedAt: new Date(),
      status: "ACTIVE",
    });
    const handler = await h.load("on-image-push");
    for (let i = 0; i < 3; i++) {
      const event = eventFixture("ecr-image-push");
      Object.assign(event, { id: `push-${i}`, region: "us-east-1" });
      detailOf(event)["image-digest"] = digest;
      const run = await h.invoke("on-image-push", handler, event);
      expect(run.result).toMatchObject({ status: "recorded" });
    }
    const calls = h.ecrMock.calls();
    expect(calls).toHaveLength(6);
    expect(new Set(calls.map((c) => c.thisValue)).size).toBe(1);
    // A new container (a fresh module load) builds its own.
    const fresh = await h.load("on-image-push");
    const event = eventFixture("ecr-image-push");
    Object.assign(event, { id: "push-fresh", region: "us-east-1" });
    detailOf(event)["image-digest"] = digest;
    await h.invoke("on-image-push", fresh, event);
    expect(new Set(h.ecrMock.calls().map((c) => c.thisValue)).size).toBe(2);
  });
});
