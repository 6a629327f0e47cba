import { constants } from "node:fs";
import { open } from "node:fs/promises";

export type BoundedFile =
  | { kind: "read"; bytes: Buffer }
  | { kind: "missing" }
  | { kind: "not-a-file" }
  | { kind: "too-large"; size: number };

/**
 * A file's bytes, read only when its size is within `max` (checked on the open handle, so a
 * file swapped after the check is still read through the same handle, and still cut at `max`).
 */
export async function readBoundedFile(path: string, max: number): Promise<BoundedFile> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // Non-blocking: a FIFO planted in the directory must not hang the open.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    if (code === "EISDIR") return { kind: "not-a-file" };
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { kind: "not-a-file" };
    if (stat.size > max) return { kind: "too-large", size: stat.size };
    // One byte more than allowed: a file that grew since the stat shows up as too large.
    const buffer = Buffer.alloc(Math.min(stat.size, max) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > max) return { kind: "too-large", size: filled };
    return { kind: "read", bytes: buffer.subarray(0, filled) };
  } finally {
    await handle.close();
  }
}
