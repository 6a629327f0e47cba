import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DurationError, formatMinutes, parseDuration } from "../../shared/domain/duration.ts";

describe("parseDuration", () => {
  it("reads each unit as minutes", () => {
    expect(parseDuration("90s")).toBe(1.5);
    expect(parseDuration("30m")).toBe(30);
    expect(parseDuration("2h")).toBe(120);
    expect(parseDuration("1d")).toBe(1440);
    expect(parseDuration(" 45m ")).toBe(45);
  });

  it("adds up combined units written largest first", () => {
    expect(parseDuration("1h30m")).toBe(90);
    expect(parseDuration("1d2h3m30s")).toBe(1440 + 120 + 3 + 0.5);
  });

  it.each([
    ["30", /no unit/],
    ["", /empty/],
    ["0m", /longer than zero/],
    ["0h0m", /longer than zero/],
    ["-5m", /positive/],
    ["1.5h", /whole number/],
    ["30min", /whole number/],
    ["30M", /whole number/],
    ["m30", /whole number/],
    ["30m1h", /largest first/],
    ["1h1h", /largest first/],
    ["99999999999999999999d", /too large/],
  ])("refuses %j with a clear message", (input, reason) => {
    let caught: unknown;
    try {
      parseDuration(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DurationError);
    const error = caught as DurationError;
    expect(error.code).toBe("DURATION_INVALID");
    expect(error.message).toContain(JSON.stringify(input));
    expect(error.message).toMatch(reason);
  });
});

describe("formatMinutes", () => {
  it("writes the shortest canonical form", () => {
    expect(formatMinutes(60)).toBe("1h");
    expect(formatMinutes(90)).toBe("1h30m");
    expect(formatMinutes(1440)).toBe("1d");
    expect(formatMinutes(1.5)).toBe("1m30s");
    expect(formatMinutes(0)).toBe("0m");
  });

  it("refuses negative and non-finite input", () => {
    expect(() => formatMinutes(-1)).toThrow(RangeError);
    expect(() => formatMinutes(Number.NaN)).toThrow(RangeError);
  });

  it("round-trips through parseDuration for any whole number of seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 365 * 86_400 }), (seconds) => {
        const text = formatMinutes(seconds / 60);
        expect(parseDuration(text) * 60).toBeCloseTo(seconds, 6);
        expect(formatMinutes(parseDuration(text))).toBe(text);
      }),
    );
  });
});
