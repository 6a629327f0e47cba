import { processIo } from "./cli-io.ts";
import { buildProgram, runCli } from "./program.ts";

await runCli(buildProgram(processIo), process.argv, processIo);
