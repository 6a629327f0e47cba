import { shortDigest } from "./alert-format.ts";

/** SNS (and email) subjects: under 100 characters, ASCII, no line breaks. */
export const SUBJECT_MAX = 99;
const PREFIX = "[registry-guard] ";

function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}

/**
 * `[registry-guard] <head> <repository>@sha256:abcd1234 (<details…>)`. When that is too long,
 * trailing details go first (replaced by "..."), then the repository keeps only its end (the most
 * specific part), and a last cut guarantees the limit.
 */
export function formatSubject(
  head: string,
  repository: string,
  digest: string,
  details: string[] = [],
): string {
  const image = (repo: string) => `${repo}@${shortDigest(digest)}`;
  const withDetails = (repo: string, parts: string[], elided: boolean) => {
    const list = [...parts, ...(elided ? ["..."] : [])];
    return ascii(`${PREFIX}${head} ${image(repo)}${list.length ? ` (${list.join(", ")})` : ""}`);
  };
  for (let keep = details.length; keep >= 0; keep--) {
    const s = withDetails(repository, details.slice(0, keep), keep < details.length);
    if (s.length <= SUBJECT_MAX) return s;
  }
  const fixed = withDetails("", [], false).length;
  const room = SUBJECT_MAX - fixed - 3;
  const repo = room > 0 ? `...${repository.slice(-room)}` : "";
  return withDetails(repo, [], false).slice(0, SUBJECT_MAX);
}
