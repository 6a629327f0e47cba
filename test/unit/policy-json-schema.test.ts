import { describe, expect, it } from "vitest";
import { POLICY_SCHEMA_ID, policyJsonSchema } from "../../shared/domain/policy-json-schema.ts";

type Schema = {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: string;
  required?: string[];
  additionalProperties?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  pattern?: string;
};

const schema = policyJsonSchema() as Schema;
const gate = schema.properties?.defaults?.properties?.gate;

describe("policyJsonSchema", () => {
  it("is draft 2020-12 with an id, a title and a description", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(POLICY_SCHEMA_ID);
    expect(schema.title).toBeTruthy();
    expect(schema.description).toBeTruthy();
  });

  it("survives a JSON round trip unchanged", () => {
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
  });

  it("describes every gate field, with the enums", () => {
    expect(Object.keys(gate?.properties ?? {}).sort()).toEqual(
      [
        "blockAt",
        "ignoreUnfixed",
        "maxCounts",
        "minScore",
        "onFail",
        "requireScan",
        "scanTimeout",
      ].sort(),
    );
    expect(gate?.properties?.onFail?.enum).toEqual(["alert", "quarantine"]);
    const blockAt = gate?.properties?.blockAt?.anyOf?.find((s) => s.type === "string");
    expect(blockAt?.enum).toEqual(["CRITICAL", "HIGH", "MEDIUM", "LOW"]);
    expect(gate?.properties?.scanTimeout?.pattern).toBeDefined();
  });

  it("keeps optional fields optional (input side) and refuses unknown keys", () => {
    expect(schema.required).toEqual(["version"]);
    expect(gate?.required ?? []).toEqual([]);
    expect(gate?.additionalProperties).toBe(false);
    expect(schema.additionalProperties).toBe(false);
    const allowItem = schema.properties?.allowlist?.items;
    expect(allowItem?.required?.sort()).toEqual(["expires", "id", "reason"]);
  });

  it("its scanTimeout pattern agrees with the examples it gives", () => {
    const pattern = new RegExp(gate?.properties?.scanTimeout?.pattern ?? "^$");
    for (const ok of ["90s", "30m", "2h", "1d", "1h30m"]) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ["30", "30min", "30m1h"]) expect(pattern.test(bad), bad).toBe(false);
  });
});
