import * as z from "zod";
import { decodeStdBase64 } from "../base64-strict.ts";
import type { TransparencyLogEntry } from "../sigstore-bundle.ts";

/**
 * cosign's `dev.sigstore.cosign/bundle` annotation (cosign pkg/cosign/bundle RekorBundle): the
 * Rekor v1 entry as the log returned it, with its Signed Entry Timestamp. The SET signs the
 * canonical JSON of `Payload` exactly as @sigstore/verify rebuilds it from a log entry
 * (body, integratedTime, logID in hex, logIndex), so the annotation maps one to one.
 */
const b64 = z.string().transform((s, ctx) => {
  const b = decodeStdBase64(s);
  if (!b) {
    ctx.addIssue({ code: "custom", message: "not standard base64" });
    return z.NEVER;
  }
  return b;
});
const int64 = z.number().int().nonnegative().transform(String);

const rekorBundleSchema = z.object({
  SignedEntryTimestamp: b64,
  Payload: z.object({
    body: b64,
    integratedTime: int64,
    logIndex: int64,
    logID: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "not a 32-byte hex log id")
      .transform((h) => new Uint8Array(Buffer.from(h, "hex"))),
  }),
});

const bodyHeadSchema = z.object({ kind: z.string(), apiVersion: z.string() });

/** The annotation as a decoded log entry, or why it cannot be one. */
export function parseRekorBundleAnnotation(text: string): TransparencyLogEntry | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: "the Rekor bundle annotation is not JSON" };
  }
  const parsed = rekorBundleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      error: `the Rekor bundle annotation is malformed: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    };
  }
  const { SignedEntryTimestamp, Payload } = parsed.data;
  let head: z.infer<typeof bodyHeadSchema>;
  try {
    head = bodyHeadSchema.parse(JSON.parse(Buffer.from(Payload.body).toString("utf8")));
  } catch {
    return { error: "the Rekor entry body is not a JSON entry with kind and apiVersion" };
  }
  return {
    logIndex: Payload.logIndex,
    logId: Payload.logID,
    kindVersion: { kind: head.kind, version: head.apiVersion },
    integratedTime: Payload.integratedTime,
    inclusionPromise: { signedEntryTimestamp: SignedEntryTimestamp },
    canonicalizedBody: Payload.body,
  };
}

const timestampSchema = z.object({ SignedRFC3161Timestamp: b64 });

/** cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation: the DER timestamp token. */
export function parseRfc3161Annotation(text: string): Uint8Array | { error: string } {
  try {
    return timestampSchema.parse(JSON.parse(text)).SignedRFC3161Timestamp;
  } catch {
    return { error: 'the RFC 3161 timestamp annotation is not {"SignedRFC3161Timestamp": base64}' };
  }
}
