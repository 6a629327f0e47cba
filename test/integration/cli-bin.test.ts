import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The one test that runs the real binary: the shebang script, tsx and the Node 22 the project pins.
describe("bin/registry-guard.js", () => {
  it("prints its help and exits 0 as a child process", () => {
    const node = resolve("node_modules/.bin/node");
    const run = spawnSync(node, ["bin/registry-guard.js", "--help"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Usage: registry-guard [options] [command]");
    for (const command of ["gate", "policy", "replay", "release", "audit"]) {
      expect(run.stdout).toMatch(new RegExp(`^ {2}${command} `, "m"));
    }
  });
});
