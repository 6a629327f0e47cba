// Where the benchmarks find the project and put their build output (git-ignored).
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BENCH_OUT = join(REPO_ROOT, ".build", "bench");
