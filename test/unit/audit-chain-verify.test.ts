import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildRecord,
  type ChainHead,
  canonicalJson,
  hashRecord,
  verifyChain,
} from "../../shared/domain/audit-chain.ts";
import type {
  AuditAction,
  AuditRecord,
  AuditRecordInput,
} from "../../shared/domain/audit-record.ts";

const DIGEST = `sha256:${"d".repeat(64)}`;
const IMAGE = `oci:registry.example.com/team/api@${DIGEST}`;
const RETENTION_DAYS = 30;
const DAY = 86_400_000;
const START = Date.parse("2024-03-01T00:00:00.000Z");
const ACTIONS: AuditAction[] = [
  "event-received",
  "push-recorded",
  "gate-evaluated",
  "quarantined",
  "released",
  "alert-sent",
  "referrer-recorded",
  "image-deleted",
];

const inputArb: fc.Arbitrary<AuditRecordInput> = fc.record(
  {
    imageKey: fc.constant(IMAGE),
    repositoryKey: fc.constant("oci:registry.example.com/team/api"),
    repository: fc.constant("team/api"),
    digest: fc.constant(DIGEST),
    tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
    action: fc.constantFrom(...ACTIONS),
    eventId: fc.uuid(),
    eventType: fc.constantFrom("image-pushed", "scan-completed", "manual"),
    principal: fc.string({ minLength: 1, maxLength: 12 }),
    verdict: fc.constantFrom("pass" as const, "fail" as const),
    reasons: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
    policyVersion: fc.string({
      unit: fc.constantFrom(..."0123456789abcdef"),
      minLength: 1,
      maxLength: 8,
    }),
    detail: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
  },
  {
    requiredKeys: [
      "imageKey",
      "repositoryKey",
      "repository",
      "digest",
      "tags",
      "action",
      "eventId",
      "eventType",
    ],
  },
);

/** A chain written over at most a few hours, with the head pointing at its last record. */
const chainArb = fc
  .array(fc.tuple(inputArb, fc.integer({ min: 0, max: 3_600_000 })), { minLength: 1, maxLength: 8 })
  .map((steps) => {
    const records: AuditRecord[] = [];
    let at = START;
    for (const [input, gap] of steps) {
      at += gap;
      records.push(buildRecord(input, records.at(-1) ?? null, new Date(at), RETENTION_DAYS));
    }
    return { records, head: headOf(records) };
  });

function headOf(records: AuditRecord[]): ChainHead {
  const last = records.at(-1) as AuditRecord;
  const first = records[0] as AuditRecord;
  return {
    seq: last.seq,
    hash: last.hash,
    expiresAt: last.expiresAt,
    firstExpiresAt: first.expiresAt,
  };
}

/** A moment when every record of the chain is still live. */
const fresh = (records: AuditRecord[]) =>
  new Date(Date.parse((records.at(-1) as AuditRecord).recordedAt) + 60_000);

const chain = (n: number, gapMs = 1000): AuditRecord[] => {
  const records: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const input: AuditRecordInput = {
      imageKey: IMAGE,
      repositoryKey: "oci:registry.example.com/team/api",
      repository: "team/api",
      digest: DIGEST,
      tags: ["v1"],
      action: ACTIONS[i % ACTIONS.length] as AuditAction,
      eventId: `evt-${i}`,
      eventType: "image-pushed",
      verdict: "pass",
    };
    records.push(
      buildRecord(input, records.at(-1) ?? null, new Date(START + i * gapMs), RETENTION_DAYS),
    );
  }
  return records;
};

describe("verifyChain on intact chains", () => {
  it("passes any intact chain, whether its records are live or long expired", () => {
    fc.assert(
      fc.property(chainArb, fc.integer({ min: 0, max: 400 }), ({ records, head }, days) => {
        const now = new Date(START + days * DAY);
        const report = verifyChain(records, now, { head });
        expect(report.issues).toEqual([]);
        expect(report.ok).toBe(true);
        expect(report.records).toBe(records.length);
        expect(report.lastSeq).toBe(records.length);
      }),
    );
  });

  it("accepts records in any order and a head that lags behind (crash between the two writes)", () => {
    const records = chain(5);
    const lagging: ChainHead = { seq: 3, hash: (records[2] as AuditRecord).hash };
    const report = verifyChain([...records].reverse(), fresh(records), { head: lagging });
    expect(report).toMatchObject({ ok: true, firstSeq: 1, lastSeq: 5, headSeq: 3 });
  });

  it("accepts a missing head (the first append's head update never happened)", () => {
    const records = chain(3);
    expect(verifyChain(records, fresh(records), { head: null }).ok).toBe(true);
  });
});

describe("verifyChain detects tampering", () => {
  it("detects any single-field change, addition or removal in any record", () => {
    const valueArb = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
    fc.assert(
      fc.property(chainArb, fc.nat(), fc.nat(), valueArb, ({ records, head }, ri, ki, value) => {
        const index = ri % records.length;
        const target = records[index] as AuditRecord;
        const keys = [...Object.keys(target), "addedField"];
        const key = keys[ki % keys.length] as string;
        const old = (target as unknown as Record<string, unknown>)[key];
        fc.pre(canonicalJson([old]) !== canonicalJson([value]));
        const mutated: Record<string, unknown> = { ...target, [key]: value };
        if (value === undefined) delete mutated[key];
        const tampered = records.map((r, i) =>
          i === index ? (mutated as unknown as AuditRecord) : r,
        );
        const report = verifyChain(tampered, fresh(records), { head });
        expect(report.ok).toBe(false);
      }),
    );
  });

  it("detects removing any record but the first while records are live", () => {
    fc.assert(
      fc.property(
        chainArb.filter((c) => c.records.length >= 2),
        fc.nat(),
        ({ records, head }, n) => {
          const index = 1 + (n % (records.length - 1));
          const seq = (records[index] as AuditRecord).seq;
          const kept = records.filter((_, i) => i !== index);
          const report = verifyChain(kept, fresh(records), { head });
          const expected = index === records.length - 1 ? "TAIL_MISSING" : "RECORD_MISSING";
          expect(report.ok).toBe(false);
          expect(report.issues).toContainEqual(
            expect.objectContaining({ code: expected, seq, imageKey: IMAGE }),
          );
        },
      ),
    );
  });

  it("tolerates any loss of expired records, as TTL may delete them in any order", () => {
    fc.assert(
      fc.property(
        chainArb,
        fc.nat(),
        fc.array(fc.boolean(), { maxLength: 8 }),
        ({ records, head }, pick, drop) => {
          // `now` right after record k expired: records 1..k may be gone, the rest must stay.
          const k = pick % records.length;
          const now = new Date((records[k] as AuditRecord).expiresAt * 1000);
          const kept = records.filter(
            (r, i) => !(i <= k && drop[i]) || r.expiresAt > now.getTime() / 1000,
          );
          const report = verifyChain(kept, now, { head });
          expect(report.issues).toEqual([]);
        },
      ),
    );
  });

  it("reports an edited record whose hash was not recomputed as RECORD_EDITED", () => {
    const records = chain(3);
    const edited = { ...(records[1] as AuditRecord), verdict: "fail" as const };
    const report = verifyChain(
      [records[0] as AuditRecord, edited, records[2] as AuditRecord],
      fresh(records),
    );
    expect(report.issues).toEqual([
      expect.objectContaining({ code: "RECORD_EDITED", seq: 2, imageKey: IMAGE }),
    ]);
  });

  it("reports an edit with a recomputed hash as CHAIN_BROKEN at the next record", () => {
    const records = chain(3);
    const body = { ...(records[1] as AuditRecord), verdict: "fail" as const };
    const rehashed = { ...body, hash: hashRecord(body.prevHash, body) };
    const report = verifyChain(
      [records[0] as AuditRecord, rehashed, records[2] as AuditRecord],
      fresh(records),
    );
    expect(report.issues).toEqual([expect.objectContaining({ code: "CHAIN_BROKEN", seq: 3 })]);
  });

  it("reports a rewritten last record through the hash the head remembers", () => {
    const records = chain(2);
    const body = { ...(records[1] as AuditRecord), verdict: "fail" as const };
    const rehashed = { ...body, hash: hashRecord(body.prevHash, body) };
    const report = verifyChain([records[0] as AuditRecord, rehashed], fresh(records), {
      head: headOf(records),
    });
    expect(report.issues).toEqual([expect.objectContaining({ code: "RECORD_EDITED", seq: 2 })]);
  });

  it("reports a deleted tail, down to a head with no records left", () => {
    const records = chain(3);
    const head = headOf(records);
    expect(verifyChain(records.slice(0, 2), fresh(records), { head }).issues).toEqual([
      expect.objectContaining({ code: "TAIL_MISSING", seq: 3 }),
    ]);
    expect(verifyChain([], fresh(records), { head, imageKey: IMAGE }).issues).toEqual([
      expect.objectContaining({ code: "TAIL_MISSING", seq: 1, imageKey: IMAGE }),
    ]);
  });
});

describe("verifyChain on a leading gap", () => {
  const records = chain(4, DAY);
  const withoutFirstTwo = records.slice(2);

  it("reports truncation once record 1 has expired", () => {
    const now = new Date((records[0] as AuditRecord).expiresAt * 1000 + 1000);
    const report = verifyChain(withoutFirstTwo, now, { head: headOf(records) });
    expect(report).toMatchObject({ ok: true, truncated: { from: 1, to: 2 }, firstSeq: 3 });
  });

  it("reports missing records when record 1 cannot have expired yet", () => {
    const report = verifyChain(withoutFirstTwo, fresh(records), { head: headOf(records) });
    expect(report.ok).toBe(false);
    expect(report.truncated).toBeNull();
    expect(report.issues).toEqual([expect.objectContaining({ code: "RECORD_MISSING", seq: 1 })]);
  });

  it("accepts the gap as truncation when the head does not know record 1's expiry", () => {
    const { firstExpiresAt: _unknown, ...head } = headOf(records);
    const report = verifyChain(withoutFirstTwo, fresh(records), { head });
    expect(report).toMatchObject({ ok: true, truncated: { from: 1, to: 2 } });
  });

  it("refuses a later record that claims to start the chain", () => {
    const body = { ...(records[2] as AuditRecord), prevHash: "" };
    const forged = { ...body, hash: hashRecord("", body) };
    const report = verifyChain([forged], fresh(records));
    expect(report.issues).toContainEqual(expect.objectContaining({ code: "CHAIN_BROKEN", seq: 3 }));
  });
});
