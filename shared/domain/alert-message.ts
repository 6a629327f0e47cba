import type { Alert } from "../ports.ts";
import { ALERT_BUDGET_BYTES } from "./alert-envelope.ts";
import { fitLists } from "./alert-fit.ts";
import { byImportance, clip, countParts, highestSeverity, imageJson } from "./alert-format.ts";
import { formatSubject } from "./alert-subject.ts";
import { type GateTextInput, gateText, type ReleaseTextInput, releaseText } from "./alert-text.ts";
import type { Finding } from "./finding.ts";
import { imageKey } from "./image.ts";
import type { AllowlistUse, GateReason } from "./verdict.ts";

/** Version of the alert JSON; bumped on any incompatible change. */
export const ALERT_SCHEMA_VERSION = 1;

/**
 * `eventType` attribute vocabulary, for SNS filter policies:
 * - gate.failed: the gate failed and the policy only alerts (onFail: alert);
 * - image.quarantined: the gate failed and the image was quarantined;
 * - gate.passed: the gate passed (only sent when a caller chooses to report passes);
 * - image.released: a quarantined image was released after review.
 */
export const ALERT_EVENT_TYPES = [
  "gate.failed",
  "image.quarantined",
  "gate.passed",
  "image.released",
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

/** `verdict` attribute vocabulary; releases carry no verdict ("none"). */
export const ALERT_VERDICTS = ["fail", "pass", "none"] as const;
export type AlertVerdict = (typeof ALERT_VERDICTS)[number];

/** `severity` attribute: the highest severity among the findings that blocked, or NONE. */
export const NO_SEVERITY = "NONE";

export type GateAlertInput = GateTextInput;
export type ReleaseAlertInput = ReleaseTextInput;

export function gateEventType(
  verdict: "pass" | "fail",
  action: GateAlertInput["action"],
): AlertEventType {
  if (verdict === "pass") return "gate.passed";
  return action === "quarantined" ? "image.quarantined" : "gate.failed";
}

/** Free-text finding fields cut so one verbose scanner entry cannot crowd out the others. */
function jsonFinding(f: Finding): Finding {
  const out: Finding = { ...f, id: clip(f.id, 200) };
  if (f.title !== undefined) out.title = clip(f.title, 300);
  if (f.url !== undefined) out.url = clip(f.url, 500);
  if (f.package !== undefined) out.package = clip(f.package, 200);
  if (f.installedVersion !== undefined) out.installedVersion = clip(f.installedVersion, 100);
  if (f.fixedVersion !== undefined) out.fixedVersion = clip(f.fixedVersion, 100);
  return out;
}

function jsonEntry(u: AllowlistUse): Record<string, unknown> {
  const e = u.entry;
  return {
    id: clip(e.id, 200),
    reason: clip(e.reason, 500),
    expires: e.expires,
    ...(e.repositories
      ? { repositories: e.repositories.slice(0, 20).map((r) => clip(r, 200)) }
      : {}),
  };
}

/**
 * The alert for a gate decision. Text for people, JSON for machines, attributes for filter
 * policies; the whole SNS message stays under 256 KB: when the findings do not fit, every
 * finding list keeps its most severe entries and `truncated` says how many were left out (each
 * reason's `findingCount` is always the full count).
 */
export function buildGateAlert(input: GateAlertInput): Alert {
  const { image, verdict: v } = input;
  const key = imageKey(image);
  const eventType = gateEventType(v.verdict, input.action);
  const blocking = v.reasons.flatMap((r) => ("findings" in r ? r.findings : []));
  const severity = highestSeverity(blocking);
  const subjectDetails = countParts(v.counts);
  if (subjectDetails.length === 0 && v.reasons.some((r) => r.rule === "requireScan")) {
    subjectDetails.push("no completed scan");
  }
  const head =
    v.verdict === "fail" ? (input.action === "quarantined" ? "FAIL quarantined" : "FAIL") : "PASS";
  const base = {
    subject: formatSubject(head, image.repository, image.digest, subjectDetails),
    text: gateText(input),
    attributes: { eventType, severity, repository: image.repository, verdict: v.verdict },
  };

  const reasons = v.reasons.map((r) =>
    "findings" in r ? { ...r, findings: [...r.findings].sort(byImportance).map(jsonFinding) } : r,
  );
  const lists: (readonly unknown[])[] = [
    ...reasons.map((r) => ("findings" in r ? r.findings : [])),
    ...v.allowlisted.map((u) => u.findingIds),
    ...v.expiredAllowlist.map((u) => u.findingIds),
  ];
  const common = {
    schemaVersion: ALERT_SCHEMA_VERSION,
    eventType,
    eventId: clip(input.eventId, 256),
    policyVersion: input.policyVersion,
    ...(input.principal ? { principal: clip(input.principal, 2048) } : {}),
    action: v.verdict === "fail" ? input.action : "none",
    image: imageJson(image, key),
    verdict: v.verdict,
    severity,
    evaluatedAt: v.evaluatedAt,
    counts: v.counts,
    totalCounts: v.totalCounts,
    ignored: v.ignored,
  };

  const render = (cap: number): Alert => {
    let omittedFindings = 0;
    let omittedIds = 0;
    const uses = (list: readonly AllowlistUse[]) =>
      list.map((u) => {
        omittedIds += Math.max(0, u.findingIds.length - cap);
        return {
          ...jsonEntry(u),
          findingCount: u.findingIds.length,
          findingIds: u.findingIds.slice(0, cap),
        };
      });
    const json = {
      ...common,
      reasons: reasons.map((r) => reasonJson(r, cap, (n) => (omittedFindings += n))),
      allowlisted: uses(v.allowlisted),
      expiredAllowlist: uses(v.expiredAllowlist),
    };
    return {
      ...base,
      json: withTruncated(json, { omittedFindings, omittedAllowlistFindingIds: omittedIds }),
    };
  };

  const fitted = fitLists(lists, render, ALERT_BUDGET_BYTES);
  if (fitted) return fitted;
  // Only huge allowlists get here: keep counts and the first entries, drop the rest.
  const json = {
    ...common,
    reasons: reasons.map((r) => reasonJson(r, 0, () => {})),
    allowlisted: v.allowlisted.slice(0, 20).map((u) => ({
      id: clip(u.entry.id, 200),
      expires: u.entry.expires,
      findingCount: u.findingIds.length,
    })),
    expiredAllowlist: v.expiredAllowlist.slice(0, 20).map((u) => ({
      id: clip(u.entry.id, 200),
      expires: u.entry.expires,
      findingCount: u.findingIds.length,
    })),
  };
  return {
    ...base,
    json: withTruncated(json, {
      omittedFindings: blocking.length,
      omittedAllowlistFindingIds: [...v.allowlisted, ...v.expiredAllowlist].reduce(
        (n, u) => n + u.findingIds.length,
        0,
      ),
      omittedAllowlistEntries:
        Math.max(0, v.allowlisted.length - 20) + Math.max(0, v.expiredAllowlist.length - 20),
    }),
  };
}

function reasonJson(
  r: GateReason,
  cap: number,
  omitted: (n: number) => void,
): Record<string, unknown> {
  if (!("findings" in r)) return { ...r, detail: clip(r.detail, 2000) };
  omitted(Math.max(0, r.findings.length - cap));
  return { ...r, findingCount: r.findings.length, findings: r.findings.slice(0, cap) };
}

function withTruncated(
  json: Record<string, unknown>,
  counts: Record<string, number>,
): Record<string, unknown> {
  const nonZero = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  if (Object.keys(nonZero).length === 0) return json;
  return { ...json, truncated: { omittedFindings: 0, ...nonZero } };
}

/** The alert for a release after review: who, why, and whether anything changed. */
export function buildReleaseAlert(input: ReleaseAlertInput): Alert {
  const { image } = input;
  return {
    subject: formatSubject(
      input.wasQuarantined ? "RELEASED" : "RELEASE no-op",
      image.repository,
      image.digest,
      input.wasQuarantined ? [] : ["was not quarantined"],
    ),
    text: releaseText(input),
    json: {
      schemaVersion: ALERT_SCHEMA_VERSION,
      eventType: "image.released",
      eventId: clip(input.eventId, 256),
      image: imageJson(image, imageKey(image)),
      principal: clip(input.principal, 2048),
      reason: clip(input.reason, 2000),
      wasQuarantined: input.wasQuarantined,
    },
    attributes: {
      eventType: "image.released",
      severity: NO_SEVERITY,
      repository: image.repository,
      verdict: "none",
    },
  };
}
