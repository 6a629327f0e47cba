/**
 * The Notation part of a policy cannot be used: a trust store without certificates, a trusted
 * identity that is not `x509.subject: DN` or `*`. Raised when the policy is loaded, never while
 * verifying an image.
 */
export class NotationPolicyError extends Error {
  readonly code: "TRUST_STORE_INVALID" | "TRUSTED_IDENTITY_INVALID";

  constructor(code: NotationPolicyError["code"], message: string) {
    super(message);
    this.name = "NotationPolicyError";
    this.code = code;
  }
}
