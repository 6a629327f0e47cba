// Loads a bundle in a brand-new Node process, the way Lambda's init phase does, and times it.
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";

export interface InitTiming {
  /** (a) `await import(bundle)` inside the fresh process: module load, compile and top-level code. */
  importMs: number;
  /** (b) spawn of the process until the handler is ready: node startup included, as Lambda's init sees it. */
  readyMs: number;
}

/**
 * A Lambda-like environment and nothing else: no NODE_OPTIONS, no extra CA certificates, no
 * compile cache, nothing of the shell that started the benchmark. `extra` holds what the
 * function itself reads (table name, topic, policy file).
 */
export function lambdaLikeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_FUNCTION_NAME: "bench",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    TZ: ":UTC",
    ...extra,
  };
}

const TIMEOUT_MS = 30_000;

/** Imports `file` in a fresh process (cwd and env as given) and checks it exports a handler. */
export function timeFreshInit(
  file: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<InitTiming> {
  const url = pathToFileURL(file).href;
  const script = [
    "const t0 = performance.now();",
    `const m = await import(${JSON.stringify(url)});`,
    "const importMs = performance.now() - t0;",
    `if (typeof m.handler !== "function") { process.stderr.write("the bundle exports no handler function"); process.exit(2); }`,
    `process.stdout.write(JSON.stringify({ importMs }) + "\\n");`,
  ].join("\n");
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let readyAt = 0;
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      // The first byte is written right after the import resolved: the handler is ready.
      readyAt ||= performance.now();
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || !readyAt) {
        const why = signal ? `was killed (${signal}, over ${TIMEOUT_MS} ms?)` : `exited ${code}`;
        reject(
          new Error(`loading ${file} in a fresh process ${why}: ${err.trim().slice(0, 2000)}`),
        );
        return;
      }
      const { importMs } = JSON.parse(out) as { importMs: number };
      resolve({ importMs, readyMs: readyAt - started });
    });
  });
}
