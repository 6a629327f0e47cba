import * as z from "zod";
import { decodeBundleBase64 } from "../base64-strict.ts";

/**
 * Sigstore `trusted_root.json` in its protobuf JSON form (sigstore/protobuf-specs
 * sigstore_trustroot.proto, lowerCamelCase field names): Fulcio CAs, Rekor logs, CT logs and
 * timestamp authorities, each with the period it is trusted for. Only the shape is checked here;
 * keys and certificates are parsed by loadTrustedRoot.
 */
export const TRUSTED_ROOT_MEDIA_TYPES: readonly string[] = [
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "application/vnd.dev.sigstore.trustedroot.v0.1+json",
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

const bytes = z.string().transform((s, ctx) => {
  const b = decodeBundleBase64(s);
  if (!b || b.length === 0) {
    ctx.addIssue({ code: "custom", message: "not base64 bytes" });
    return z.NEVER;
  }
  return b;
});

const timestamp = z.string().transform((s, ctx) => {
  // protobuf JSON Timestamp: RFC 3339 with a Z or an offset.
  const d = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s)
    ? new Date(s)
    : null;
  if (!d || Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(s)} is not an RFC 3339 time` });
    return z.NEVER;
  }
  return d;
});

/**
 * A trust anchor with no start would vouch for signatures made at any time, so `start` is
 * required (the proto marks it REQUIRED; sigstore-js would read a missing start as 1970).
 */
const timeRange = z.object({ start: timestamp, end: timestamp.optional() });

const publicKey = z.object({
  rawBytes: bytes,
  keyDetails: z.string(),
  validFor: timeRange,
});

const logId = z.object({ keyId: bytes });

const logInstance = z.object({
  baseUrl: z.string().default(""),
  hashAlgorithm: z.string().default("SHA2_256"),
  publicKey,
  logId,
  checkpointKeyId: logId.optional(),
  operator: z.string().default(""),
});

const certificateAuthority = z.object({
  subject: z
    .object({ organization: z.string().default(""), commonName: z.string().default("") })
    .optional(),
  uri: z.string().default(""),
  certChain: z.object({ certificates: z.array(z.object({ rawBytes: bytes })).min(1) }),
  validFor: timeRange,
  operator: z.string().default(""),
});

export const trustedRootSchema = z.object({
  mediaType: z.string(),
  tlogs: z.array(logInstance).default([]),
  certificateAuthorities: z.array(certificateAuthority).default([]),
  ctlogs: z.array(logInstance).default([]),
  timestampAuthorities: z.array(certificateAuthority).default([]),
});

export type TrustedRootJson = z.infer<typeof trustedRootSchema>;
export type LogInstanceJson = z.infer<typeof logInstance>;
export type CertificateAuthorityJson = z.infer<typeof certificateAuthority>;
