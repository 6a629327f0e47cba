import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import { imageKey } from "../../shared/domain/image.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function deps(): PipelineDeps & { audit: MemoryAuditLog } {
  const clock = () => new Date("2026-11-27T10:00:00Z");
  return {
    registry: new MemoryRegistry("ecr"),
    audit: new MemoryAuditLog({ clock }),
    alerts: {
      publish: async () => {
        throw new Error("a referrer must never alert");
      },
    },
    policy: loadPolicy("version: 1\n", "test.yaml"),
    clock,
    log: silent,
  };
}

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}`, "utf8")) as unknown;

describe("referrer pushes", () => {
  it("records a referrer whose subject is unknown on its own chain, once", async () => {
    const d = deps();
    const event = parseRegistryEvent(fixture("ecr-referrer-push-untagged.json"));
    if (event.kind !== "referrer-pushed") throw new Error(`unexpected ${event.kind}`);
    const first = await handleEvent(d, event);
    const again = await handleEvent(d, event);

    const key = imageKey(event.image);
    expect(first).toMatchObject({ status: "recorded", image: key });
    expect(again.steps).toEqual([expect.objectContaining({ status: "duplicate" })]);
    const records = await d.audit.byImage(key);
    expect(records.map((r) => r.action)).toEqual(["referrer-recorded"]);
    expect(records[0]?.detail).toMatchObject({
      referrerDigest: event.image.digest,
      subjectDigest: null,
    });
  });

  it("records a cosign signature on the chain of the image it signs", async () => {
    const d = deps();
    const event = parseRegistryEvent(fixture("ecr-referrer-push.json"));
    if (event.kind !== "referrer-pushed" || !event.subjectDigest) throw new Error("no subject");
    await handleEvent(d, event);
    const subjectKey = imageKey({ ...event.image, digest: event.subjectDigest });
    expect((await d.audit.byImage(subjectKey)).map((r) => r.action)).toEqual(["referrer-recorded"]);
    expect(await d.audit.byImage(imageKey(event.image))).toEqual([]);
  });
});
