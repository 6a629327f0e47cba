import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { auditInput } from "../../shared/pipeline/audit-step.ts";
import { asOwner, awaitOwner, DecisionInProgressError } from "../../shared/pipeline/in-flight.ts";
import { T0, testClock, testImage } from "../support/pipeline-fixtures.ts";

const IMAGE = testImage("prod/api", "in-flight").ref;
const ctx = { eventId: "scan-1", eventType: "scan-completed" };
const EFFECTS = ["quarantined", "alert-sent"] as const;

async function claimed() {
  const time = testClock();
  const audit = new MemoryAuditLog({ clock: time.clock });
  const { record } = await audit.append(auditInput(ctx, IMAGE, "gate-evaluated"));
  const deps = { audit, clock: time.clock, inFlight: { leaseSeconds: 60, waitMs: 80 } };
  return { time, audit, record, deps };
}

/** The same records seen through another object: another process sharing the store. */
function elsewhere(audit: MemoryAuditLog) {
  return {
    append: audit.append.bind(audit),
    find: audit.find.bind(audit),
    byImage: audit.byImage.bind(audit),
    byRepository: audit.byRepository.bind(audit),
    byEventType: audit.byEventType.bind(audit),
  };
}

const finish = (audit: MemoryAuditLog) =>
  Promise.all(EFFECTS.map((a) => audit.append(auditInput(ctx, IMAGE, a))));

describe("waiting for the owner of a decision", () => {
  it("returns at once when the owner's steps are all recorded", async () => {
    const { audit, record, deps } = await claimed();
    await finish(audit);

    await expect(awaitOwner({ ...deps, audit: elsewhere(audit) }, record, EFFECTS)).resolves.toBe(
      undefined,
    );
  });

  it("gives up with DecisionInProgressError while another process's owner holds the lease", async () => {
    const { audit, record, deps, time } = await claimed();
    time.advance(59_000);
    const started = Date.now();

    const error = await awaitOwner({ ...deps, audit: elsewhere(audit) }, record, EFFECTS).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(DecisionInProgressError);
    expect(error).toMatchObject({
      code: "DECISION_IN_PROGRESS",
      imageKey: record.imageKey,
      eventId: "scan-1",
      retryAfter: new Date(Date.parse(T0) + 60_000).toISOString(),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it("lets a delivery take over once the lease has run out", async () => {
    const { audit, record, deps, time } = await claimed();
    time.advance(60_000);

    await expect(awaitOwner({ ...deps, audit: elsewhere(audit) }, record, EFFECTS)).resolves.toBe(
      undefined,
    );
  });

  it("sees another process's owner finish while it polls", async () => {
    const { audit, record, deps } = await claimed();
    setTimeout(() => void finish(audit), 20);

    await awaitOwner(
      { ...deps, audit: elsewhere(audit), inFlight: { waitMs: 2_000 } },
      record,
      EFFECTS,
    );

    expect(await audit.find(record.imageKey, "scan-1", "alert-sent")).not.toBeNull();
  });

  it("in the owner's own process waits for it to finish, however long the lease", async () => {
    const { audit, record, deps } = await claimed();
    let release = () => {};
    const owner = asOwner(audit, record, async () => {
      await new Promise<void>((r) => (release = r));
      await finish(audit);
    });

    const waiter = awaitOwner({ ...deps, inFlight: { waitMs: 0 } }, record, EFFECTS);
    setTimeout(() => release(), 150);
    await waiter;

    expect(await audit.find(record.imageKey, "scan-1", "alert-sent")).not.toBeNull();
    await owner;
  });

  it("in the owner's own process finishes at once after the owner failed", async () => {
    const { audit, record, deps } = await claimed();
    await expect(
      asOwner(audit, record, async () => {
        throw new Error("SNS is unavailable");
      }),
    ).rejects.toThrow("SNS is unavailable");

    await expect(
      awaitOwner({ ...deps, inFlight: { waitMs: 0 } }, record, EFFECTS),
    ).resolves.toBeUndefined();
  });

  it("forgets an owner that succeeded", async () => {
    const { audit, record, deps } = await claimed();
    await asOwner(audit, record, async () => "done");

    // Nothing recorded and no owner at work here: treated as another process's, inside its lease.
    await expect(
      awaitOwner({ ...deps, inFlight: { waitMs: 0 } }, record, EFFECTS),
    ).rejects.toBeInstanceOf(DecisionInProgressError);
  });
});
