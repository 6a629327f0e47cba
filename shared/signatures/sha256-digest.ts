import { createHash } from "node:crypto";

/** `sha256:<hex>` of the bytes: the OCI digest of a blob or manifest. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
