import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { buildGateAlert } from "../../shared/domain/alert-message.ts";
import type { AuditRecord } from "../../shared/domain/audit-record.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { SEVERITIES } from "../../shared/domain/severity.ts";
import { evaluateGate, summarizeVerdict } from "../../shared/domain/severity-gate.ts";
import type { GateVerdict } from "../../shared/domain/verdict.ts";
import { auditInput } from "../../shared/pipeline/audit-step.ts";
import { recordedDecision, verdictDetail } from "../../shared/pipeline/recorded-verdict.ts";
import { completeScan, finding, T0, testImage, testPolicy } from "../support/pipeline-fixtures.ts";

const POLICY = testPolicy(`version: 1
defaults:
  gate:
    blockAt: HIGH
    maxCounts: { MEDIUM: 2 }
    ignoreUnfixed: true
    minScore: 4.0
    onFail: quarantine
allowlist:
  - id: CVE-2024-1001
    reason: "not reachable: the parser is never fed untrusted input"
    expires: 2030-01-01
  - id: CVE-2024-1002
    reason: "expired acceptance"
    expires: 2020-01-01
`);
const IMAGE = testImage("prod/api", "recorded").ref;

async function recorded(v: GateVerdict): Promise<AuditRecord> {
  const audit = new MemoryAuditLog({ clock: () => new Date(T0) });
  const { record } = await audit.append(
    auditInput({ eventId: "e-1", eventType: "scan-completed" }, IMAGE, "gate-evaluated", {
      verdict: v.verdict,
      reasons: summarizeVerdict(v),
      policyVersion: v.policyVersion,
      detail: verdictDetail(v, { onFail: "quarantine", matchedRules: [] }),
    }),
  );
  return record;
}

const findingArb = fc
  .record({
    n: fc.integer({ min: 1, max: 9 }),
    severity: fc.constantFrom(...SEVERITIES),
    fixed: fc.boolean(),
    score: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }),
  })
  .map(({ n, severity, fixed, score }) =>
    finding(`CVE-2024-${1000 + n}`, severity, {
      ...(fixed ? {} : { fixedVersion: undefined }),
      ...(score !== undefined ? { score } : {}),
    }),
  );

describe("a verdict rebuilt from its gate record", () => {
  it("says what the original said: verdict, reasons, counts, allowlist use, alert attributes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(findingArb, { maxLength: 12 }), async (findings) => {
        const v = evaluateGate({
          scan: completeScan(findings),
          policy: resolvePolicy(POLICY, "prod/api"),
          now: new Date(T0),
        });
        const { verdict: back, onFail } = recordedDecision(await recorded(v));

        expect(onFail).toBe("quarantine");
        expect(back.verdict).toBe(v.verdict);
        expect(back.counts).toEqual(v.counts);
        expect(back.totalCounts).toEqual(v.totalCounts);
        expect(back.ignored).toEqual(v.ignored);
        expect(back.evaluatedAt).toBe(v.evaluatedAt);
        expect(back.policyVersion).toBe(v.policyVersion);
        expect(summarizeVerdict(back)).toEqual(summarizeVerdict(v));
        const uses = (us: GateVerdict["allowlisted"]) =>
          us.map((u) => [u.entry.id, u.entry.expires, u.findingIds]);
        expect(uses(back.allowlisted)).toEqual(uses(v.allowlisted));
        expect(uses(back.expiredAllowlist)).toEqual(uses(v.expiredAllowlist));
        const alert = (x: GateVerdict) =>
          buildGateAlert({
            image: IMAGE,
            verdict: x,
            action: "quarantined",
            eventId: "e-1",
            policyVersion: x.policyVersion,
          });
        expect(alert(back).attributes).toEqual(alert(v).attributes);
        expect(alert(back).subject).toBe(alert(v).subject);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the first 50 findings of a long reason and the exact counts", async () => {
    const many = Array.from({ length: 80 }, (_, i) =>
      finding(`CVE-2023-${10_000 + i}`, "CRITICAL"),
    );
    const v = evaluateGate({
      scan: completeScan(many),
      policy: resolvePolicy(POLICY, "prod/api"),
      now: new Date(T0),
    });

    const record = await recorded(v);
    const back = recordedDecision(record).verdict;

    expect(record.detail).toMatchObject({ blockingTotal: 80 });
    const [reason] = back.reasons;
    expect(reason?.rule === "blockAt" && reason.findings.map((f) => f.id)).toEqual(
      many.slice(0, 50).map((f) => f.id),
    );
    expect(back.counts.CRITICAL).toBe(80);
  });

  it("falls back to the bare recorded verdict when the detail is not ours", () => {
    const record = {
      verdict: "fail",
      policyVersion: "abc123",
      recordedAt: T0,
      detail: { rules: "edited by hand" },
    } as unknown as AuditRecord;

    const { verdict, onFail } = recordedDecision(record);

    expect(onFail).toBeUndefined();
    expect(verdict).toMatchObject({ verdict: "fail", reasons: [], policyVersion: "abc123" });
    expect(Object.values(verdict.counts).every((n) => n === 0)).toBe(true);
  });
});
