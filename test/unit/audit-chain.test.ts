import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AuditChainError,
  buildRecord,
  canonicalJson,
  hashRecord,
} from "../../shared/domain/audit-chain.ts";
import type { AuditRecordInput } from "../../shared/domain/audit-record.ts";

const DIGEST = `sha256:${"c".repeat(64)}`;
const input = (over: Partial<AuditRecordInput> = {}): AuditRecordInput => ({
  imageKey: `ecr:123456789012/app@${DIGEST}`,
  repositoryKey: "ecr:123456789012/app",
  repository: "app",
  digest: DIGEST,
  tags: ["v1"],
  action: "push-recorded",
  eventId: "evt-1",
  eventType: "image-pushed",
  ...over,
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and leaves out undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, undefined], c: undefined, b: "x" } })).toBe(
      '{"a":{"b":"x","d":[2,null]},"b":1}',
    );
  });

  it("writes Dates as their ISO string and refuses NaN, Infinity and bigint", () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2024, 0, 2)) })).toBe(
      '{"at":"2024-01-02T00:00:00.000Z"}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/\$\.n is NaN/);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
  });

  it("does not depend on key order, and parses back to an equal value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        const reordered = JSON.parse(JSON.stringify(value), (_k, v) =>
          v && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        );
        expect(canonicalJson(reordered)).toBe(text);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });
});

describe("buildRecord", () => {
  const now = new Date("2024-05-01T10:00:00.000Z");

  it("starts a chain at seq 1 with an empty prevHash and the expiry retentionDays later", () => {
    const r = buildRecord(input(), null, now, 30);
    expect(r.seq).toBe(1);
    expect(r.prevHash).toBe("");
    expect(r.recordedAt).toBe("2024-05-01T10:00:00.000Z");
    expect(r.expiresAt).toBe(Date.parse("2024-05-31T10:00:00.000Z") / 1000);
    expect(r.hash).toMatch(/^[a-f0-9]{64}$/);
    expect(r.hash).toBe(hashRecord("", r));
  });

  it("chains onto the previous record", () => {
    const first = buildRecord(input(), null, now, 30);
    const second = buildRecord(input({ action: "gate-evaluated" }), first, now, 30);
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).not.toBe(first.hash);
  });

  it("stores exactly what it hashed: undefined fields dropped, Dates as strings", () => {
    const r = buildRecord(
      input({ principal: undefined, detail: { at: new Date(0), gone: undefined } }),
      null,
      now,
      1,
    );
    expect(Object.hasOwn(r, "principal")).toBe(false);
    expect(r.detail).toEqual({ at: "1970-01-01T00:00:00.000Z" });
  });

  it("refuses a predecessor of another image, a bad retention and an invalid clock", () => {
    const other = buildRecord(input({ imageKey: "ecr:1/other@x" }), null, now, 30);
    expect(() => buildRecord(input(), other, now, 30)).toThrow(AuditChainError);
    expect(() => buildRecord(input(), null, now, 0)).toThrow(/retentionDays/);
    expect(() => buildRecord(input(), null, new Date(Number.NaN), 30)).toThrow(/clock/);
  });
});

describe("hashRecord", () => {
  const r = buildRecord(input(), null, new Date("2024-05-01T10:00:00.000Z"), 30);

  it("ignores the hash field and covers prevHash", () => {
    const { hash, ...body } = r;
    expect(hashRecord(r.prevHash, body)).toBe(hash);
    expect(hashRecord(r.prevHash, { ...r, hash: "forged" })).toBe(hash);
    expect(hashRecord("x", r)).not.toBe(hash);
  });
});
