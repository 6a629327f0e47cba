import { describe, expect, it } from "vitest";
import { atOrAbove, normalizeSeverity, severityRank } from "../../shared/domain/severity.ts";

describe("severity", () => {
  it("orders CRITICAL above HIGH above MEDIUM above LOW", () => {
    expect(severityRank("CRITICAL")).toBeGreaterThan(severityRank("HIGH"));
    expect(severityRank("HIGH")).toBeGreaterThan(severityRank("MEDIUM"));
    expect(severityRank("MEDIUM")).toBeGreaterThan(severityRank("LOW"));
    expect(atOrAbove("HIGH", "HIGH")).toBe(true);
    expect(atOrAbove("MEDIUM", "HIGH")).toBe(false);
  });

  it("maps every scanner's words, and unknown words to UNKNOWN rather than LOW", () => {
    expect(normalizeSeverity("Negligible")).toBe("INFORMATIONAL");
    expect(normalizeSeverity("UNTRIAGED")).toBe("UNKNOWN");
    expect(normalizeSeverity("UNDEFINED")).toBe("UNKNOWN");
    expect(normalizeSeverity("moderate")).toBe("MEDIUM");
    expect(normalizeSeverity(undefined)).toBe("UNKNOWN");
  });
});
