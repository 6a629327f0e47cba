import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { OverlayAuditLog } from "../../shared/adapters/memory/overlay-audit-log.ts";
import { verifyChain } from "../../shared/domain/audit-chain.ts";
import type { AuditAction } from "../../shared/domain/audit-record.ts";
import { imageKey } from "../../shared/domain/image.ts";
import { auditInput } from "../../shared/pipeline/audit-step.ts";
import { minutesAfter, T0, testClock, testImage } from "../support/pipeline-fixtures.ts";

const A = testImage("prod/api", "overlay-a").ref;
const B = testImage("prod/web", "overlay-b").ref;
const input = (
  image: typeof A,
  eventId: string,
  action: AuditAction,
  eventType = "scan-completed",
) => auditInput({ eventId, eventType }, image, action);

async function setup() {
  const time = testClock();
  const base = new MemoryAuditLog({ clock: time.clock });
  await base.append(input(A, "push-1", "event-received", "image-pushed"));
  time.advance(60_000);
  await base.append(input(A, "scan-1", "event-received"));
  await base.append(input(A, "scan-1", "gate-evaluated"));
  const overlay = new OverlayAuditLog(base, { clock: time.clock });
  return { time, base, overlay };
}

describe("OverlayAuditLog (what a dry run writes to)", () => {
  it("reports records of the real trail as duplicates and writes nothing for them", async () => {
    const { base, overlay } = await setup();
    const real = await base.find(imageKey(A), "scan-1", "gate-evaluated");

    const r = await overlay.append(input(A, "scan-1", "gate-evaluated"));

    expect(r).toEqual({ record: real, duplicate: true });
    expect(overlay.all()).toEqual([]);
  });

  it("continues each image's real chain in memory, leaving the real trail alone", async () => {
    const { time, base, overlay } = await setup();
    const before = await base.byImage(imageKey(A));
    time.advance(60_000);

    const q = await overlay.append(input(A, "scan-1", "quarantined"));
    const first = await overlay.append(input(B, "scan-2", "event-received"));

    expect(q.duplicate).toBe(false);
    expect(q.record.seq).toBe(4);
    expect(q.record.prevHash).toBe(before.at(-1)?.hash);
    expect(first.record.seq).toBe(1);
    expect(await base.byImage(imageKey(A))).toEqual(before);
    expect(await base.byImage(imageKey(B))).toEqual([]);
    const merged = await overlay.byImage(imageKey(A));
    expect(merged.map((r) => r.action)).toEqual([
      "event-received",
      "event-received",
      "gate-evaluated",
      "quarantined",
    ]);
    expect(verifyChain(merged, time.clock()).ok).toBe(true);
    expect(await overlay.find(imageKey(A), "scan-1", "quarantined")).toEqual(q.record);
    expect(await overlay.find(imageKey(A), "push-1", "event-received")).toEqual(before[0]);
  });

  it("answers queries over both, in time order, within the range and limit", async () => {
    const { time, overlay } = await setup();
    time.advance(60_000);
    await overlay.append(input(B, "push-2", "event-received", "image-pushed"));

    const pushes = await overlay.byEventType("image-pushed", {});
    const late = await overlay.byEventType("image-pushed", { from: minutesAfter(T0, 1) });
    const one = await overlay.byEventType("image-pushed", { limit: 1 });
    const repo = await overlay.byRepository("ecr:123456789012/prod/api", { to: T0 });

    expect(pushes.map((r) => r.eventId)).toEqual(["push-1", "push-2"]);
    expect(late.map((r) => r.eventId)).toEqual(["push-2"]);
    expect(one.map((r) => r.eventId)).toEqual(["push-1"]);
    expect(repo.map((r) => r.eventId)).toEqual(["push-1"]);
  });

  it("appends of the same step at once write it once", async () => {
    const { overlay } = await setup();

    const results = await Promise.all(
      Array.from({ length: 4 }, () => overlay.append(input(A, "scan-1", "alert-sent"))),
    );

    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(overlay.all()).toHaveLength(1);
  });
});
