import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InvalidPatternError,
  matchesPattern,
  validatePattern,
} from "../support/event-pattern-matcher.ts";

// The EC2 state-change sample the EventBridge user guide uses for its pattern examples.
const ec2Event = {
  version: "0",
  id: "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "012345679012",
  time: "2017-10-02T16:24:49Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  detail: { "c-count": 5, "instance-id": "i-000000aaaaaa00000", state: "running" },
};

describe("event pattern matcher: exact values", () => {
  it("matches when every named field has one of its values, ignoring other fields", () => {
    expect(
      matchesPattern(
        {
          "detail-type": ["EC2 Instance State-change Notification"],
          detail: { state: ["initializing", "running"] },
        },
        ec2Event,
      ),
    ).toBe(true);
    expect(matchesPattern({ source: ["aws.ec2"], detail: { state: ["stopped"] } }, ec2Event)).toBe(
      false,
    );
  });

  it("is case-sensitive and type-strict", () => {
    expect(matchesPattern({ source: ["AWS.EC2"] }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { "c-count": ["5"] } }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { "c-count": [5] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ a: [true] }, { a: "true" })).toBe(false);
    expect(matchesPattern({ a: [null] }, { a: null })).toBe(true);
    expect(matchesPattern({ a: [null] }, {})).toBe(false);
    expect(matchesPattern({ a: [""] }, { a: "" })).toBe(true);
  });

  it("requires a named field to exist with the same nesting", () => {
    expect(matchesPattern({ detail: { state: ["running"] } }, { state: "running" })).toBe(false);
    expect(matchesPattern({ state: ["running"] }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { state: ["running"] } }, { detail: "running" })).toBe(false);
    // A leaf pattern does not match an object value.
    expect(matchesPattern({ detail: ["running"] }, ec2Event)).toBe(false);
  });

  it("matches an event array when it intersects the pattern's list (user guide example)", () => {
    const pattern = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
      ],
    };
    const event = {
      resources: [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      ],
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { resources: [] })).toBe(false);
    expect(
      matchesPattern(pattern, {
        resources: ["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"],
      }),
    ).toBe(false);
  });

  it("matches arrays of objects element by element (array-consistent)", () => {
    const event = {
      employees: [
        { firstName: "John", lastName: "Doe" },
        { firstName: "Anna", lastName: "Smith" },
      ],
    };
    expect(matchesPattern({ employees: { firstName: ["Anna"] } }, event)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ["Anna"], lastName: ["Smith"] } }, event)).toBe(
      true,
    );
    expect(matchesPattern({ employees: { firstName: ["Anna"], lastName: ["Doe"] } }, event)).toBe(
      false,
    );
  });
});

describe("event pattern matcher: operators", () => {
  it("prefix matches strings that start with it, and nothing else", () => {
    expect(matchesPattern({ time: [{ prefix: "2017-10-02" }] }, ec2Event)).toBe(true);
    expect(matchesPattern({ time: [{ prefix: "2017-10-03" }] }, ec2Event)).toBe(false);
    expect(matchesPattern({ n: [{ prefix: "5" }] }, { n: 5 })).toBe(false);
    expect(matchesPattern({ n: [{ prefix: "x" }] }, {})).toBe(false);
    expect(matchesPattern({ r: [{ prefix: "team-a/" }] }, { r: ["other", "team-a/api"] })).toBe(
      true,
    );
  });

  it("anything-but excludes values, lists and prefixes, but needs the field present", () => {
    const pattern = { detail: { state: [{ "anything-but": "initializing" }] } };
    expect(matchesPattern(pattern, ec2Event)).toBe(true);
    expect(matchesPattern(pattern, { detail: { state: "initializing" } })).toBe(false);
    expect(matchesPattern(pattern, { detail: {} })).toBe(false);
    // A present null is "anything but" the excluded value.
    expect(matchesPattern(pattern, { detail: { state: null } })).toBe(true);

    const list = { s: [{ "anything-but": ["stopped", "overloaded"] }] };
    expect(matchesPattern(list, { s: "running" })).toBe(true);
    expect(matchesPattern(list, { s: "stopped" })).toBe(false);
    expect(matchesPattern({ x: [{ "anything-but": [100, 200] }] }, { x: 200 })).toBe(false);
    expect(matchesPattern({ x: [{ "anything-but": [100, 200] }] }, { x: 201 })).toBe(true);

    const notPrefix = { s: [{ "anything-but": { prefix: "init" } }] };
    expect(matchesPattern(notPrefix, { s: "initializing" })).toBe(false);
    expect(matchesPattern(notPrefix, { s: "running" })).toBe(true);
    expect(matchesPattern(notPrefix, {})).toBe(false);
  });

  it("exists looks at leaves only: objects and empty arrays count as absent", () => {
    const present = { detail: { "c-count": [{ exists: true }] } };
    const absent = { detail: { "c-count": [{ exists: false }] } };
    expect(matchesPattern(present, ec2Event)).toBe(true);
    expect(matchesPattern(absent, ec2Event)).toBe(false);
    expect(matchesPattern(absent, { detail: { state: "running" } })).toBe(true);
    // The Event Ruler documentation's own example: an intermediate node is not a leaf.
    expect(matchesPattern(absent, { detail: { "c-count": { c1: 100 } } })).toBe(true);
    expect(matchesPattern(present, { detail: { "c-count": { c1: 100 } } })).toBe(false);
    expect(matchesPattern(present, { detail: { "c-count": null } })).toBe(true);
    expect(matchesPattern(present, { detail: { "c-count": [] } })).toBe(false);
    expect(matchesPattern(absent, {})).toBe(true);
    expect(
      matchesPattern({ detail: { errorCode: [{ exists: false }] } }, { detail: "scalar" }),
    ).toBe(true);
  });

  it("a list mixes literals and operators as alternatives", () => {
    const pattern = { s: ["running", { prefix: "stop" }] };
    expect(matchesPattern(pattern, { s: "running" })).toBe(true);
    expect(matchesPattern(pattern, { s: "stopping" })).toBe(true);
    expect(matchesPattern(pattern, { s: "pending" })).toBe(false);
  });
});

describe("event pattern matcher: invalid patterns", () => {
  it.each([
    ["an empty pattern", {}],
    ["a scalar field value", { source: "aws.ecr" }],
    ["an empty value list", { source: [] }],
    ["an unsupported operator", { n: [{ numeric: [">", 0] }] }],
    ["an operator with two keys", { s: [{ prefix: "a", exists: true }] }],
    ["a non-string prefix", { s: [{ prefix: 5 }] }],
    ["a non-boolean exists", { s: [{ exists: "yes" }] }],
    ["a mixed anything-but list", { s: [{ "anything-but": ["a", 1] }] }],
    ["an empty anything-but list", { s: [{ "anything-but": [] }] }],
    ["$or", { $or: [{ a: ["x"] }, { b: ["y"] }] }],
    ["a nested array value", { s: [["a"]] }],
  ])("rejects %s", (_label, pattern) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidPatternError);
    expect(() => matchesPattern(pattern, { s: "a" })).toThrow(InvalidPatternError);
  });
});

describe("event pattern matcher: properties", () => {
  const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
  const fieldValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.constant(undefined));
  const withField = (v: unknown) => (v === undefined ? { other: 1 } : { f: v, other: 1 });

  it("a list of alternatives is the OR of its members", () => {
    fc.assert(
      fc.property(scalar, scalar, fieldValue, (a, b, v) => {
        const event = withField(v);
        expect(matchesPattern({ f: [a, b] }, event)).toBe(
          matchesPattern({ f: [a] }, event) || matchesPattern({ f: [b] }, event),
        );
      }),
    );
  });

  it("exists true and exists false partition every event", () => {
    fc.assert(
      fc.property(fieldValue, (v) => {
        const event = withField(v);
        expect(matchesPattern({ f: [{ exists: true }] }, event)).not.toBe(
          matchesPattern({ f: [{ exists: false }] }, event),
        );
      }),
    );
  });

  it("a string always matches its own prefixes", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (p, rest) => {
        expect(matchesPattern({ f: [{ prefix: p }] }, { f: p + rest })).toBe(true);
      }),
    );
  });

  it("anything-but a scalar matches exactly the present, different scalars", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer()),
        fc.oneof(scalar, fc.constant(undefined)),
        (x, v) => {
          expect(matchesPattern({ f: [{ "anything-but": x }] }, withField(v))).toBe(
            v !== undefined && v !== x,
          );
        },
      ),
    );
  });

  it("fields the pattern does not name never change the result", () => {
    fc.assert(
      fc.property(scalar, scalar, fc.string(), fc.jsonValue(), (want, got, key, noise) => {
        fc.pre(key !== "f");
        expect(matchesPattern({ f: [want] }, { f: got, [key]: noise })).toBe(
          matchesPattern({ f: [want] }, { f: got }),
        );
      }),
    );
  });
});
