import { processIo } from "./cli-io.ts";
import { buildProgram, runCli } from "./program.ts";

// `registry-guard audit query --json | head` closes the pipe early: stop quietly, as cat would.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(process.exitCode ?? 0);
});

await runCli(buildProgram(processIo), process.argv, processIo);
