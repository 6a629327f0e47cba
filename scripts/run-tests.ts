// Runs vitest, then prints one plain closing line ("N passed, N failed, N skipped") that any CI
// log reader understands, and exits with vitest's own status.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const report = ".build/vitest-report.json";
rmSync(report, { force: true });
const run = spawnSync(
  "vitest",
  [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit", shell: false },
);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numFailedTestSuites: number;
  };
  // A file that fails to load has no failed test but is a failure all the same.
  const failed = r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
  const skipped = r.numPendingTests + r.numTodoTests;
  process.stdout.write(
    `\ntests: ${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
  );
}
process.exit(run.status ?? 1);
