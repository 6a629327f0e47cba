import { captureIo } from "./cli-io.ts";
import { buildProgram, runCli } from "./program.ts";

export interface CapturedRun {
  /** The exit status the command set (undefined only if none did, which is a bug). */
  code: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs one command line in-process with captured output: for tests and for embedding. */
export async function runCaptured(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  stdin = "",
): Promise<CapturedRun> {
  const cap = captureIo(env, stdin);
  await runCli(buildProgram(cap.io), ["node", "registry-guard", ...args], cap.io);
  return { code: cap.exitCode, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") };
}
