// Generates SST's platform types (.sst/platform) when missing, so `tsc -p tsconfig.infra.json`
// can type-check sst.config.ts and infra/ on a fresh clone without an AWS account or network
// beyond the npm registry.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync(".sst/platform/config.d.ts")) {
  process.stderr.write("registry-guard: generating SST platform types (sst install)…\n");
  execFileSync("npx", ["sst", "install", "--stage", "ci"], {
    stdio: "inherit",
    env: {
      ...process.env,
      SST_SKIP_DEPENDENCY_CHECK: "true",
      SST_NO_BUN: "1",
      SST_TELEMETRY_DISABLED: "1",
    },
  });
}
