import type { X509Certificate } from "node:crypto";
import { NotationPolicyError } from "./notation-policy-error.ts";

/** A trust policy's trusted identity: any signer the trust store vouches for, or a subject DN. */
export type TrustedIdentity =
  | { kind: "any"; text: "*" }
  | { kind: "subject"; text: string; attributes: ReadonlyMap<string, string> };

const PREFIX = "x509.subject:";
/** The attributes notation requires a trusted identity to pin (trust-store-trust-policy.md). */
const REQUIRED = ["C", "ST", "O"];

/**
 * Parses `x509.subject: C=US, ST=WA, O=Acme, CN=…` (an RFC 4514 distinguished name after the
 * prefix) or `*`. As notation, each attribute appears once and C, ST and O are given.
 */
export function parseTrustedIdentity(text: string): TrustedIdentity {
  const t = text.trim();
  if (t === "*") return { kind: "any", text: "*" };
  const bad = (why: string): never => {
    throw new NotationPolicyError("TRUSTED_IDENTITY_INVALID", `trusted identity "${text}": ${why}`);
  };
  if (!t.startsWith(PREFIX)) bad(`expected "*" or "${PREFIX} C=…, ST=…, O=…"`);
  const attributes = new Map<string, string>();
  for (const ava of splitUnescaped(t.slice(PREFIX.length), /[,+]/)) {
    const eq = ava.indexOf("=");
    const type = eq < 0 ? "" : ava.slice(0, eq).trim().toUpperCase();
    const value = eq < 0 ? "" : unescapeDn(ava.slice(eq + 1).trim());
    if (!type || !value) bad(`"${ava.trim()}" is not TYPE=value`);
    if (attributes.has(type)) bad(`${type} is given twice`);
    attributes.set(type, value);
  }
  const missing = REQUIRED.filter((r) => !attributes.has(r));
  if (missing.length > 0)
    bad(`a subject must give at least C, ST and O (missing ${missing.join(", ")})`);
  return { kind: "subject", text: t, attributes };
}

/**
 * Whether the leaf's subject holds every attribute of the identity with the same value, in any
 * order (notation's IsSubsetDN): `C=US, ST=WA, O=Acme` matches `CN=signer, O=Acme, ST=WA, C=US`.
 * An attribute the leaf repeats never matches: it would be ambiguous.
 */
export function matchesTrustedIdentity(id: TrustedIdentity, leaf: X509Certificate): boolean {
  if (id.kind === "any") return true;
  const subject = leafSubject(leaf);
  for (const [type, value] of id.attributes) {
    if (subject.get(type) !== value) return false;
  }
  return true;
}

function leafSubject(leaf: X509Certificate): Map<string, string> {
  const out = new Map<string, string>();
  const legacy = leaf.toLegacyObject().subject as unknown as Record<string, string | string[]>;
  for (const [type, value] of Object.entries(legacy ?? {})) {
    if (typeof value === "string") out.set(type.toUpperCase(), value);
  }
  return out;
}

function splitUnescaped(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\" && i + 1 < text.length) {
      cur += ch + (text[++i] as string);
    } else if (sep.test(ch)) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/** RFC 4514 escapes: `\,` and friends, and `\XX` hex pairs. */
function unescapeDn(v: string): string {
  const unquoted = v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  return unquoted.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, e: string) =>
    e.length === 2 ? String.fromCharCode(Number.parseInt(e, 16)) : e,
  );
}
