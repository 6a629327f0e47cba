import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../shared/domain/audit-record.ts";
import type { Finding } from "../../shared/domain/finding.ts";
import { imageKey } from "../../shared/domain/image.ts";
import type { RegistryEvent } from "../../shared/domain/registry-event.ts";
import { SEVERITIES } from "../../shared/domain/severity.ts";
import { checkScanTimeouts } from "../../shared/pipeline/check-scan-timeouts.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import {
  type AuditStoreKind,
  chainOk,
  completeScan,
  finding,
  harness,
  IN_PROGRESS,
  pushEvent,
  recordsOf,
  scanEvent,
  T0,
  testImage,
} from "./pipeline-fixtures.ts";

/** Two quarantine repositories and one alert-only: the policy of pipeline-fixtures. */
const IMAGES = [
  testImage("prod/api", "prop-a"),
  testImage("sandbox/tool", "prop-b"),
  testImage("prod/web", "prop-c"),
];

interface ScanSpec {
  image: number;
  findings: Finding[];
}

type Step =
  | { kind: "deliver"; event: number }
  | { kind: "together"; events: number[] }
  | { kind: "sweep" }
  | { kind: "tick"; minutes: number };

const findingArb = fc
  .record({
    n: fc.integer({ min: 1, max: 6 }),
    severity: fc.constantFrom(...SEVERITIES),
    fixed: fc.boolean(),
  })
  .map(({ n, severity, fixed }) =>
    finding(`CVE-2024-${1000 + n}`, severity, fixed ? {} : { fixedVersion: undefined }),
  );

const scansArb = fc.array(
  fc.record({
    image: fc.integer({ min: 0, max: IMAGES.length - 1 }),
    findings: fc.array(findingArb, { maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 5 },
);

/** Indexes into pushes (one per image) followed by the scans. */
function stepsArb(eventCount: number) {
  const event = fc.integer({ min: 0, max: eventCount - 1 });
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: event.map((e): Step => ({ kind: "deliver", event: e })) },
      {
        weight: 2,
        arbitrary: fc
          .array(event, { minLength: 2, maxLength: 4 })
          .map((events): Step => ({ kind: "together", events })),
      },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "sweep" }) },
      {
        weight: 2,
        arbitrary: fc.integer({ min: 1, max: 40 }).map((m): Step => ({ kind: "tick", minutes: m })),
      },
    ),
    { minLength: 1, maxLength: 25 },
  );
}

/**
 * Whatever order, duplication and overlap the deliveries come in, the trail and the side
 * effects keep the pipeline's promises.
 */
export function describePipelineProperties(store: AuditStoreKind, numRuns: number): void {
  beforeAll(() => store.setup());
  afterAll(() => store.teardown());

  describe(`delivery sequences (${store.name})`, () => {
    it("one quarantine and one alert per event at most, chains intact, actions only after a failing gate", async () => {
      const scenario = scansArb.chain((scans) =>
        stepsArb(IMAGES.length + scans.length).map((steps) => ({ scans, steps })),
      );
      await fc.assert(
        fc.asyncProperty(scenario, async ({ scans, steps }) => {
          const h = await harness(store);
          for (const img of IMAGES) h.add(img, IN_PROGRESS, T0);
          const events: RegistryEvent[] = [
            ...IMAGES.map((img, i) => pushEvent(img, { id: `push-${i}`, time: T0 })),
            ...scans.map((s, j) => scanEvent(imageOf(s), { id: `scan-${j}` })),
          ];
          // A scan's findings become what the registry serves when its event is first sent.
          const sent = new Set<number>();
          const send = (e: number) => {
            const scan = scans[e - IMAGES.length];
            if (scan && !sent.has(e))
              h.registry.setScan(imageOf(scan).ref, completeScan(scan.findings));
            sent.add(e);
            return handleEvent(h.deps, structuredClone(events[e] as RegistryEvent));
          };

          for (const step of steps) {
            if (step.kind === "deliver") await send(step.event);
            else if (step.kind === "together") await Promise.all(step.events.map(send));
            else if (step.kind === "sweep") await checkScanTimeouts(h.deps);
            else h.time.advance(step.minutes * 60_000);
          }

          const all: AuditRecord[] = [];
          for (const img of IMAGES) {
            const records = await recordsOf(h.audit, img.ref);
            all.push(...records);
            expect(await chainOk(h.audit, img.ref, h.time.clock())).toBe(true);
            // The registry holds the image quarantined exactly when the trail says so.
            expect(h.registry.isQuarantined(img.ref)).toBe(
              records.some((r) => r.action === "quarantined"),
            );
            for (const r of records) {
              const gate = records.find(
                (g) => g.action === "gate-evaluated" && g.eventId === r.eventId,
              );
              if (r.action === "quarantined" || r.action === "alert-sent") {
                // Every action follows a failing gate of the same event.
                expect(gate?.verdict).toBe("fail");
                expect(gate?.seq).toBeLessThan(r.seq);
              }
              if (r.action === "alert-sent" && img.ref.repository.startsWith("prod/")) {
                const q = records.find(
                  (x) => x.action === "quarantined" && x.eventId === r.eventId,
                );
                expect(q?.seq).toBeLessThan(r.seq);
              }
            }
          }
          // At most one record per (image, event, action).
          const keys = all.map((r) => `${r.imageKey} ${r.eventId} ${r.action}`);
          expect(new Set(keys).size).toBe(keys.length);
          // Each quarantine and each alert is one recorded step: none ran twice, none unrecorded.
          const quarantines = h.registry.calls.filter((c) => c.op === "quarantine");
          expect(quarantines.length).toBe(all.filter((r) => r.action === "quarantined").length);
          expect(h.alerts.attempts).toBe(h.alerts.published.length);
          expect(h.alerts.published.length).toBe(
            all.filter((r) => r.action === "alert-sent").length,
          );
          // A passing gate is never followed by an action for that event.
          for (const pass of all.filter(
            (r) => r.action === "gate-evaluated" && r.verdict === "pass",
          )) {
            expect(
              all.filter(
                (r) =>
                  r.eventId === pass.eventId &&
                  r.imageKey === pass.imageKey &&
                  (r.action === "quarantined" || r.action === "alert-sent"),
              ),
            ).toEqual([]);
          }
          // Every image's quarantine key is one of ours (no stray registry writes).
          expect(quarantines.every((c) => IMAGES.some((i) => imageKey(i.ref) === c.image))).toBe(
            true,
          );
        }),
        { numRuns },
      );
    });
  });
}

function imageOf(s: ScanSpec) {
  return IMAGES[s.image] as (typeof IMAGES)[number];
}
