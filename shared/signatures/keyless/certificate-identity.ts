import * as z from "zod";
import { KeylessPolicyError } from "./keyless-policy-error.ts";

/**
 * A signer identity the policy trusts, in cosign's vocabulary: the OIDC issuer Fulcio recorded
 * in the certificate and the subject (the certificate's SAN: an email or a URI such as a
 * GitHub workflow ref), each exact or a regular expression. Both are required, as cosign
 * requires them: an issuer alone would trust every account of that issuer.
 */
export const certificateIdentitySchema = z
  .object({
    name: z.string().min(1).optional(),
    issuer: z.string().min(1).optional(),
    issuerRegExp: z.string().min(1).optional(),
    subject: z.string().min(1).optional(),
    subjectRegExp: z.string().min(1).optional(),
  })
  .strict();

export type CertificateIdentitySpec = z.infer<typeof certificateIdentitySchema>;

/** One side of an identity, ready to test: exact text, or a regular expression compiled once. */
export type IdentityMatcher = { exact: string } | { regExp: RegExp; source: string };

/** An identity of the policy, compiled at policy load. */
export interface CertificateIdentity {
  name?: string;
  issuer: IdentityMatcher;
  subject: IdentityMatcher;
}

/**
 * Compiles the policy's identities once. Regular expressions are anchored (`^(?:…)$`): a pattern
 * written `https://github.com/org/.*` must not also match `https://evil.example/?https://github.com/org/x`.
 * (cosign's own `--certificate-identity-regexp` is unanchored; write `.*` where a prefix is meant.)
 * A bad expression, a missing side or both forms for one side is a KeylessPolicyError naming the
 * identity.
 */
export function compileIdentities(specs: readonly unknown[]): CertificateIdentity[] {
  if (specs.length === 0) {
    throw new KeylessPolicyError("IDENTITY_POLICY_INVALID", "no identities: give at least one");
  }
  return specs.map((raw, i) => {
    const parsed = certificateIdentitySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      bad(i, undefined, `${issue?.path.join(".") || "(identity)"}: ${issue?.message ?? "invalid"}`);
    }
    const spec = parsed.data;
    return {
      ...(spec.name ? { name: spec.name } : {}),
      issuer: side(i, spec.name, "issuer", spec.issuer, spec.issuerRegExp),
      subject: side(i, spec.name, "subject", spec.subject, spec.subjectRegExp),
    };
  });
}

function side(
  index: number,
  name: string | undefined,
  what: "issuer" | "subject",
  exact: string | undefined,
  pattern: string | undefined,
): IdentityMatcher {
  if ((exact === undefined) === (pattern === undefined)) {
    bad(index, name, `give exactly one of ${what} and ${what}RegExp`);
  }
  if (exact !== undefined) return { exact };
  try {
    return { regExp: new RegExp(`^(?:${pattern})$`, "u"), source: pattern as string };
  } catch (err) {
    return bad(
      index,
      name,
      `${what}RegExp ${JSON.stringify(pattern)} is not a valid regular expression (${(err as Error).message})`,
    );
  }
}

function bad(index: number, name: string | undefined, message: string): never {
  throw new KeylessPolicyError(
    "IDENTITY_POLICY_INVALID",
    `identities[${index}]${name ? ` (${name})` : ""}: ${message}`,
  );
}

function matches(m: IdentityMatcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  return "exact" in m ? m.exact === value : m.regExp.test(value);
}

/** The first policy identity the certificate's issuer and subject both match, or null. */
export function matchIdentity(
  identities: readonly CertificateIdentity[],
  signer: { issuer: string | undefined; subject: string | undefined },
): CertificateIdentity | null {
  return (
    identities.find(
      (id) => matches(id.issuer, signer.issuer) && matches(id.subject, signer.subject),
    ) ?? null
  );
}

/** How a message shows an identity rule: `issuer "…" / subject ~ /…/`. */
export function describeIdentity(id: CertificateIdentity): string {
  const show = (m: IdentityMatcher) =>
    "exact" in m ? JSON.stringify(m.exact) : `matching /${m.source}/`;
  return `${id.name ? `${id.name}: ` : ""}issuer ${show(id.issuer)}, subject ${show(id.subject)}`;
}
