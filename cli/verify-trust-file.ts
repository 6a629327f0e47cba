import { dirname, isAbsolute, join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import * as z from "zod";
import { certificateIdentitySchema } from "../shared/signatures/keyless/certificate-identity.ts";
import { readTextFile } from "./read-input.ts";

/**
 * The standalone trust file `verify --trust-file FILE` reads: which keys, keyless identities and
 * Notation signers are trusted, without a registry-guard policy (docs/signatures.md#trust-file;
 * `verify --policy` reads the policy's `signatures` section instead).
 *
 *   keys:
 *     - { name: release, file: keys/release.pub }
 *     - { name: ci, pem: "-----BEGIN PUBLIC KEY-----\n…" }
 *   identities:
 *     - { issuer: https://token.actions.githubusercontent.com, subjectRegExp: "https://github.com/org/.*" }
 *   trustedRoot: trusted_root.json
 *   notation:
 *     trustStore: notation-ca/          # PEM CA / signing-authority certificates
 *     trustedIdentities: ["x509.subject: C=US, ST=WA, O=Acme"]
 *     signingScheme: notary.x509        # optional: or notary.x509.signingAuthority
 *
 * Relative paths are relative to the trust file's directory, so the file means the same from
 * wherever the command runs.
 */

const keySchema = z
  .object({
    name: z.string().min(1),
    pem: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    kmsArn: z.string().min(1).optional(),
    hash: z.enum(["sha256", "sha384", "sha512"]).optional(),
    rsaPadding: z.enum(["pkcs1v15", "pss"]).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    const given = [k.pem, k.file, k.kmsArn].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `give exactly one of pem, file and kmsArn (${given === 0 ? "none" : "several"} given)`,
      });
    }
  });

const identitySchema = certificateIdentitySchema.superRefine((id, ctx) => {
  for (const side of ["issuer", "subject"] as const) {
    if ((id[side] === undefined) === (id[`${side}RegExp`] === undefined)) {
      ctx.addIssue({ code: "custom", message: `give exactly one of ${side} and ${side}RegExp` });
    }
  }
});

/** Notation (Notary Project) trust: a trust store directory and the identities it vouches for. */
const notationSchema = z
  .object({
    trustStore: z.string().min(1),
    trustedIdentities: z.array(z.string().min(1)).min(1),
    signingScheme: z.enum(["notary.x509", "notary.x509.signingAuthority"]).optional(),
  })
  .strict();

export type TrustFileNotation = z.infer<typeof notationSchema>;

export const trustFileSchema = z
  .object({
    keys: z.array(keySchema).default([]),
    identities: z.array(identitySchema).default([]),
    trustedRoot: z.string().min(1).optional(),
    notation: notationSchema.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.keys.length === 0 && t.identities.length === 0 && t.notation === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "the file trusts nothing: give keys, identities, or both",
      });
    }
    if (t.identities.length > 0 && t.trustedRoot === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["identities"],
        message:
          "identities need trustedRoot: the Sigstore trusted_root.json their certificates and log entries are checked against",
      });
    }
    if (t.identities.length === 0 && t.trustedRoot !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["trustedRoot"],
        message: "trustedRoot is only read for identities, and there are none",
      });
    }
    const seen = new Set<string>();
    t.keys.forEach((k, i) => {
      if (seen.has(k.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["keys", i, "name"],
          message: `two keys are named ${k.name}; results name the key that verified, so names must be unique`,
        });
      }
      seen.add(k.name);
    });
  });

export type TrustFileKey = z.infer<typeof keySchema>;

/** A trust file, validated, with its relative paths resolved. */
export interface TrustFile {
  fileName: string;
  keys: TrustFileKey[];
  identities: unknown[];
  trustedRoot?: string;
  /** Notation trust, its trustStore resolved. */
  notation?: TrustFileNotation;
}

/** The trust file is not YAML or not the trust file format; every issue names its line. */
export class TrustFileError extends Error {
  readonly code: "TRUST_FILE_YAML" | "TRUST_FILE_INVALID";
  readonly fileName: string;

  constructor(code: TrustFileError["code"], fileName: string, issues: string[]) {
    super(
      [
        `${fileName} is not a signature trust file (docs/signatures.md#trust-file):`,
        ...issues.map((i) => `  ${i}`),
      ].join("\n"),
    );
    this.name = "TrustFileError";
    this.code = code;
    this.fileName = fileName;
  }
}

/** Top-level keys of registry-guard.yaml: a policy given where a trust file is expected. */
const POLICY_KEYS = ["version", "defaults", "repositories", "audit", "alerts"];

export function loadTrustFile(path: string): TrustFile {
  return parseTrustFile(readTextFile(path, "--trust-file"), path);
}

/** Parses the text of a trust file named `fileName`. Pure. */
export function parseTrustFile(text: string, fileName: string): TrustFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, schema: "core", prettyErrors: false });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return `${fileName}`;
    const { line, col } = lineCounter.linePos(offset);
    return `${fileName}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new TrustFileError(
      "TRUST_FILE_YAML",
      fileName,
      doc.errors.map((e) => `${where(e.pos[0])} ${e.message.split("\n")[0]}`),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new TrustFileError("TRUST_FILE_YAML", fileName, [(err as Error).message]);
  }
  if (
    data !== null &&
    typeof data === "object" &&
    POLICY_KEYS.some((k) => Object.hasOwn(data, k))
  ) {
    throw new TrustFileError("TRUST_FILE_INVALID", fileName, [
      "this looks like a registry-guard policy: pass it with --policy (its signatures section is used for the image's repository), or give --trust-file a trust file with keys, identities, trustedRoot and notation",
    ]);
  }
  const parsed = trustFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    throw new TrustFileError(
      "TRUST_FILE_INVALID",
      fileName,
      parsed.error.issues.map((issue) => {
        const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
        const dotted = path
          .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${p}`))
          .join("");
        return `${where(offsetOf(doc, path))} ${dotted ? `${dotted}: ` : ""}${issue.message}`;
      }),
    );
  }
  const dir = dirname(fileName);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const t = parsed.data;
  return {
    fileName,
    keys: t.keys.map((k) => (k.file !== undefined ? { ...k, file: resolve(k.file) } : k)),
    identities: t.identities,
    ...(t.trustedRoot !== undefined ? { trustedRoot: resolve(t.trustedRoot) } : {}),
    ...(t.notation
      ? { notation: { ...t.notation, trustStore: resolve(t.notation.trustStore) } }
      : {}),
  };
}

/** Where the node at `path` (or its nearest parent that exists) starts in the text. */
function offsetOf(
  doc: ReturnType<typeof parseDocument>,
  path: (string | number)[],
): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return range[0];
  }
  return undefined;
}
