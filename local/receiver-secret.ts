import { randomBytes } from "node:crypto";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";

/** The receiver's secret cannot be read or written. */
export class ReceiverSecretError extends Error {
  readonly code = "LOCAL_SECRET";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ReceiverSecretError";
  }
}

const SECRET_RE = /^[A-Za-z0-9_-]{32,256}$/;

/**
 * The shared secret the registry sends with every notification: read from `path`, or generated
 * (32 random bytes, base64url) and written there with mode 0600 on first start. A file with
 * looser permissions is tightened, since anyone who reads it can forge notifications.
 */
export async function loadOrCreateSecret(
  path: string,
): Promise<{ secret: string; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ReceiverSecretError(
        `cannot read the receiver secret ${path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  if (text !== undefined) {
    const secret = text.trim();
    if (!SECRET_RE.test(secret)) {
      throw new ReceiverSecretError(
        `${path} does not hold a usable secret (32-256 characters of A-Z a-z 0-9 _ -); delete it and a new one is generated`,
      );
    }
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return { secret, created: false };
  }
  const secret = randomBytes(32).toString("base64url");
  await writeFile(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return { secret, created: true };
}

/** How the banner mentions the secret: its length only, no character of it. */
export function maskSecret(secret: string): string {
  return `(${secret.length} characters, not shown)`;
}
