import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
const BEARER_RE = /^bearer[ \t]+(.*)$/is;

/**
 * Whether an Authorization header carries the shared secret: `Bearer <secret>` (what a
 * distribution endpoint's `headers` is configured to send) or the bare secret (what Harbor
 * sends when its Auth Header holds only the secret: Harbor puts that value as-is in
 * `Authorization`). Compared in constant time over SHA-256 digests, so neither the secret's
 * length nor how much of it matched shows in the timing; both forms are always compared.
 */
export function authorizationMatches(header: string, secret: string): boolean {
  if (secret === "") return false;
  const expected = digest(secret);
  const token = BEARER_RE.exec(header)?.[1] ?? "";
  const asBearer = timingSafeEqual(digest(token), expected);
  const asIs = timingSafeEqual(digest(header), expected);
  return asBearer || asIs;
}
