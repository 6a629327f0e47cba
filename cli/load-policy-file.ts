import { type LoadedPolicy, loadPolicy } from "../shared/domain/policy-load.ts";
import { readTextFile } from "./read-input.ts";

export function loadPolicyFile(path: string): LoadedPolicy {
  return loadPolicy(readTextFile(path, "--policy"), path);
}
