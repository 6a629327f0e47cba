import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";

/** The default data directory of the local runtime, relative to where it is started. */
export const DEFAULT_DATA_DIR = ".registry-guard";

/** Where the local runtime keeps its state; everything survives a restart. */
export interface DataDir {
  root: string;
  /** The registry's filesystem storage. */
  registryStorage: string;
  /** The registry's generated config.yml (rewritten on every start; holds the secret: 0600). */
  registryConfig: string;
  /** The registry's own log. */
  registryLog: string;
  /** dynalite's LevelDB. */
  dynamodb: string;
  /** The receiver's shared secret (mode 0600). */
  secret: string;
  /** Every alert as one JSON line. */
  alerts: string;
}

export function dataDir(root = DEFAULT_DATA_DIR): DataDir {
  const abs = resolve(root);
  return {
    root: abs,
    registryStorage: join(abs, "registry"),
    registryConfig: join(abs, "registry-config.yml"),
    registryLog: join(abs, "registry.log"),
    dynamodb: join(abs, "dynamodb"),
    secret: join(abs, "secret"),
    alerts: join(abs, "alerts.jsonl"),
  };
}

/** Creates the directories (private to the user: the secret and the audit data live there). */
export async function ensureDataDir(dir: DataDir): Promise<void> {
  await mkdir(dir.root, { recursive: true, mode: 0o700 });
  await mkdir(dir.registryStorage, { recursive: true });
  await mkdir(dir.dynamodb, { recursive: true });
}
