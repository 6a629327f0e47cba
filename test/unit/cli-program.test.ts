import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { captureIo } from "../../cli/cli-io.ts";
import { buildProgram } from "../../cli/program.ts";
import { runCaptured } from "../../cli/run-captured.ts";

/** Every command path of the tree, e.g. ["audit", "verify"]. */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path, ...commandPaths(c, path)];
  });
}

const tree = buildProgram(captureIo().io);
const paths = commandPaths(tree);
const leaves = paths.filter((p) => {
  let c: Command | undefined = tree;
  for (const name of p) c = c?.commands.find((x) => x.name() === name);
  return c !== undefined && c.commands.length === 0;
});

describe("the command tree", () => {
  it("has every documented command", () => {
    expect(paths.map((p) => p.join(" ")).sort()).toEqual(
      [
        "audit",
        "audit query",
        "audit verify",
        "gate",
        "gc",
        "policy",
        "policy schema",
        "policy validate",
        "release",
        "replay",
        "retention",
        "retention plan",
        "verify",
      ].sort(),
    );
  });

  it("prints usage, examples and exit codes for --help at the top", async () => {
    const r = await runCaptured(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: registry-guard");
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("Exit status:");
  });

  it.each(paths.map((p) => [p.join(" "), p]))(
    "`%s --help` prints usage with examples and exits 0",
    async (_name, path) => {
      const r = await runCaptured([...(path as string[]), "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: registry-guard ${(path as string[]).join(" ")}`);
      expect(r.stdout).toMatch(/Examples:\n {2}\$ registry-guard /);
      expect(r.stdout).toContain("Exit status:");
      expect(r.stderr).toBe("");
    },
  );

  it.each(leaves.map((p) => [p.join(" "), p]))(
    "`%s --no-such-option` exits 2 with the usage hint",
    async (_name, path) => {
      const r = await runCaptured([...(path as string[]), "--no-such-option"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("(run with --help for usage)");
    },
  );

  it("names the unknown option when nothing else is missing", async () => {
    for (const argv of [
      ["policy", "schema", "--colour"],
      ["audit", "verify", "--imag", "x"],
      ["gate", "--policy", "p", "--findings", "f", "--repository", "r", "--jsn"],
    ]) {
      const r = await runCaptured(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/unknown option '--(colour|imag|jsn)'/);
    }
  });

  it("exits 2 for an unknown command or a command group without its subcommand", async () => {
    const unknown = await runCaptured(["relase"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'relase'");
    const group = await runCaptured(["audit"]);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain("Usage: registry-guard audit");
  });

  it("has a section in docs/cli.md for every command that does something", () => {
    const doc = readFileSync("docs/cli.md", "utf8");
    for (const path of leaves) expect(doc, path.join(" ")).toContain(`### \`${path.join(" ")}\``);
    for (const code of [0, 1, 2, 3]) expect(doc).toMatch(new RegExp(`^\\| ${code} +\\|`, "m"));
  });

  it("prints its version", async () => {
    const r = await runCaptured(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });
});

/**
 * What loading cli/program.ts loads: its static imports, followed through relative files.
 * Type-only imports and dynamic import() are erased or deferred, so they are skipped.
 */
function staticImports(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, "utf8");
    const re = /^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+"([^"]+)"|^import\s+"([^"]+)"/gms;
    for (const m of source.matchAll(re)) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec);
        if (!existsSync(target)) throw new Error(`${file} imports missing ${spec}`);
        visit(target);
      } else packages.add(spec);
    }
  };
  visit(resolve(entry));
  return { files: [...files], packages: [...packages] };
}

describe("startup stays light", () => {
  it("the graph walker sees the SDK behind an action (so an empty result below means something)", () => {
    const action = staticImports("cli/commands/release-action.ts");
    expect(action.packages).toContain("@aws-sdk/client-dynamodb");
    expect(action.files.some((f) => f.includes("/shared/pipeline/"))).toBe(true);
    expect(staticImports("cli/commands/release-ecr.ts").packages).toContain("@aws-sdk/client-ecr");
  });

  it("release, replay and gc load the ECR and STS clients only for an ECR registry", () => {
    for (const action of [
      "cli/commands/release-action.ts",
      "cli/commands/replay-action.ts",
      "cli/commands/gc-action.ts",
    ]) {
      const { packages } = staticImports(action);
      expect(packages, action).not.toContain("@aws-sdk/client-ecr");
      expect(packages, action).not.toContain("@aws-sdk/client-sts");
    }
  });

  it("cli/program.ts loads no AWS SDK, zod, yaml, pipeline or adapter until a command runs", () => {
    const { files, packages } = staticImports("cli/program.ts");
    expect(packages.sort()).toEqual(["commander"]);
    const heavy = files.filter((f) => /\/shared\/(pipeline|adapters|findings|events)\//.test(f));
    expect(heavy).toEqual([]);
  });
});
