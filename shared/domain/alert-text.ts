import { utf8Bytes } from "./alert-envelope.ts";
import {
  clip,
  countParts,
  findingLine,
  imageLines,
  printable,
  topFindings,
} from "./alert-format.ts";
import type { Finding } from "./finding.ts";
import type { ImageRef } from "./image.ts";
import type { AllowlistUse, GateReason, GateVerdict } from "./verdict.ts";

/** The readable text goes to email twice over (default and email): keep it well inside the budget. */
export const TEXT_MAX_BYTES = 16 * 1024;
const FINDINGS_PER_REASON = 10;
const ALLOWLIST_ENTRIES = 10;

/** A registry on this machine is almost always plain http; any other is reached over https. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/**
 * The command that releases an image after review, ready to paste (`registry-guard release
 * --help`): ECR images by REPOSITORY@DIGEST with the registry id and, when known, the region;
 * OCI images by HOST/REPOSITORY@DIGEST with `--registry <url>`. An image key does not say http or
 * https, so the URL is http for a loopback host and https for any other (a registry served over
 * plain http elsewhere needs the URL edited, and --insecure-registry). Words are shell-quoted when
 * they need it, since the repository comes from an event.
 */
export function releaseCommand(image: ImageRef): string {
  const word = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const target =
    image.registry === "ecr"
      ? [
          `${image.repository}@${image.digest}`,
          "--registry-id",
          image.registryId,
          ...(image.region ? ["--region", image.region] : []),
        ]
      : [
          // Host-prefixed, so a repository whose first component has a dot is not read as a host.
          `${image.registryId}/${image.repository}@${image.digest}`,
          "--registry",
          `${LOOPBACK_HOST.test(image.registryId) ? "http" : "https"}://${image.registryId}`,
        ];
  return `registry-guard release ${target.map(word).join(" ")} --reason "<why it is safe>"`;
}

export interface GateTextInput {
  image: ImageRef;
  verdict: GateVerdict;
  action: "quarantined" | "alerted";
  eventId: string;
  policyVersion: string;
  principal?: string;
}

function reasonLines(r: GateReason): string[] {
  if (r.rule === "requireScan") return [`  - requireScan: ${clip(printable(r.detail), 500)}`];
  const head =
    r.rule === "blockAt"
      ? `  - blockAt ${r.threshold}: ${r.findings.length} finding(s) at or above ${r.threshold}`
      : `  - maxCounts ${r.severity}: ${r.count} finding(s), at most ${r.max} allowed`;
  return [head, ...findingLines(r.findings)];
}

function findingLines(findings: readonly Finding[]): string[] {
  const top = topFindings(findings, FINDINGS_PER_REASON);
  const lines = top.map((f) => `      ${findingLine(f)}`);
  const more = findings.length - top.length;
  if (more > 0)
    lines.push(`      ... and ${more} more (all of them in the JSON message and the audit trail)`);
  return lines;
}

function allowlistLines(uses: readonly AllowlistUse[], verb: string): string[] {
  const lines = uses.slice(0, ALLOWLIST_ENTRIES).map((u) => {
    const reason = clip(printable(u.entry.reason), 200);
    return `  - ${clip(u.entry.id, 80)} (expires ${u.entry.expires}): "${reason}" — ${verb} ${u.findingIds.length} finding(s)`;
  });
  if (uses.length > ALLOWLIST_ENTRIES)
    lines.push(`  - ... and ${uses.length - ALLOWLIST_ENTRIES} more entries`);
  return lines;
}

function counted(v: GateVerdict): string {
  const parts = countParts(v.counts);
  const total = Object.values(v.totalCounts).reduce((a, b) => a + b, 0);
  const ignored = [
    v.ignored.unfixed ? `${v.ignored.unfixed} without a fix` : "",
    v.ignored.belowMinScore ? `${v.ignored.belowMinScore} below minScore` : "",
  ].filter(Boolean);
  return `Counted     ${parts.length ? parts.join(", ") : "none"} (of ${total} reported${ignored.length ? `; ignored: ${ignored.join(", ")}` : ""})`;
}

/** The gate alert's text: what happened, why (rule and top findings), the allowlist, what to do. */
export function gateText(input: GateTextInput): string {
  const { image, verdict: v } = input;
  const failed = v.verdict === "fail";
  const quarantined = failed && input.action === "quarantined";
  const lines = [
    failed
      ? `registry-guard: ${image.repository} FAILED the severity gate${quarantined ? " and was quarantined." : "."}`
      : `registry-guard: ${image.repository} passed the severity gate.`,
    ...(quarantined
      ? ["It can no longer be pulled, by tag or by digest; it is kept intact for review."]
      : failed
        ? [
            "The policy says onFail: alert, so the image was NOT quarantined and can still be pulled.",
          ]
        : []),
    "",
    ...imageLines(image),
    `Policy      version ${input.policyVersion}, evaluated ${v.evaluatedAt}`,
    `Event       ${clip(printable(input.eventId), 256)}`,
    ...(input.principal ? [`Principal   ${clip(printable(input.principal), 512)}`] : []),
    counted(v),
  ];
  if (v.reasons.length) lines.push("", "Why it failed", ...v.reasons.flatMap(reasonLines));
  if (v.allowlisted.length)
    lines.push("", "Allowlist entries applied", ...allowlistLines(v.allowlisted, "suppressed"));
  if (v.expiredAllowlist.length) {
    lines.push(
      "",
      "EXPIRED allowlist entries (they no longer apply: renew or remove them)",
      ...allowlistLines(v.expiredAllowlist, "matched"),
    );
  }
  if (failed) {
    lines.push(
      "",
      "What to do",
      "  1. Fix: upgrade the packages above to their fixed versions, rebuild and push a new image.",
      "  2. Or accept a finding for a while: add an allowlist entry (id, reason, expires) to the policy.",
      quarantined
        ? `  3. After review, release this image:\n     ${releaseCommand(image)}`
        : "  3. To block such images automatically, set onFail: quarantine for this repository.",
    );
  }
  return capText(lines.join("\n"));
}

export interface ReleaseTextInput {
  image: ImageRef;
  reason: string;
  principal: string;
  eventId: string;
  wasQuarantined: boolean;
}

export function releaseText(input: ReleaseTextInput): string {
  const { image } = input;
  const lines = [
    input.wasQuarantined
      ? `registry-guard: ${image.repository} was released from quarantine.`
      : `registry-guard: release of ${image.repository} requested, but it was not quarantined; nothing changed.`,
    ...(input.wasQuarantined && image.registry === "ecr"
      ? [
          "ECR restores it from the archive storage class; it can be pulled again once that completes (up to 20 minutes).",
        ]
      : []),
    "",
    ...imageLines(image),
    `Released by ${clip(printable(input.principal), 512)}`,
    `Reason      ${clip(printable(input.reason), 2000)}`,
    `Event       ${clip(printable(input.eventId), 256)}`,
  ];
  return capText(lines.join("\n"));
}

/** Cuts at a line boundary so the text stays under TEXT_MAX_BYTES, saying that it did. */
export function capText(raw: string): string {
  const text = printable(raw);
  if (utf8Bytes(text) <= TEXT_MAX_BYTES) return text;
  const note = "\n... (text shortened; the JSON message has the full details)";
  const lines = text.split("\n");
  let size = utf8Bytes(note);
  const kept: string[] = [];
  for (const line of lines) {
    const add = utf8Bytes(line) + 1;
    if (size + add > TEXT_MAX_BYTES) break;
    kept.push(line);
    size += add;
  }
  return `${kept.join("\n")}${note}`;
}
