// Bundles an entry the way SST's deploy build does for a Node function, so the benchmarks
// measure what Lambda loads. SST's Node runtime builds with esbuild: ESM, platform node, every
// dependency bundled (only sharp and pg-native are forced external, and we use neither),
// mainFields module-then-main, keepNames, minified when deployed (its default), no source map,
// and a banner that gives ESM code a CommonJS `require`, `__filename` and `__dirname`.
// SST's own target is esnext; node22 is our Lambda runtime and produces the same code for it.
import { statSync } from "node:fs";
import { type BuildOptions, build, type Metafile } from "esbuild";

export const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  "const require = topLevelCreateRequire(import.meta.url);",
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  "const __filename = topLevelFileUrlToPath(import.meta.url)",
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

export function sstBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    mainFields: ["module", "main"],
    external: ["sharp", "pg-native"],
    keepNames: true,
    minify: true,
    sourcemap: false,
    banner: { js: SST_BANNER },
    metafile: true,
    logLevel: "error",
  };
}

export interface Bundle {
  file: string;
  bytes: number;
  metafile: Metafile;
}

export async function bundleLikeSst(
  entry: string,
  outfile: string,
  extra: Partial<BuildOptions> = {},
): Promise<Bundle> {
  const result = await build({ ...sstBuildOptions(entry, outfile), ...extra });
  if (!result.metafile) throw new Error(`esbuild returned no metafile for ${entry}`);
  return { file: outfile, bytes: statSync(outfile).size, metafile: result.metafile };
}

/** The npm package (or project folder) a bundled input path belongs to. */
export function packageOf(inputPath: string): string {
  const m = inputPath.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m?.[1]) return m[1];
  return inputPath
    .replace(/^(\.\.\/)+/, "")
    .split("/")
    .slice(0, 2)
    .join("/");
}

/** Bytes each package contributes to the output, largest first. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg = packageOf(path);
      totals.set(pkg, (totals.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/** Bytes under one path prefix inside a package (e.g. zod's locales). */
export function bytesUnder(metafile: Metafile, fragment: string): number {
  let total = 0;
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      if (path.includes(fragment)) total += input.bytesInOutput;
    }
  }
  return total;
}
