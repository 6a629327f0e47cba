/**
 * The keyless part of a policy cannot be used: a trusted root that is not one, an identity with
 * a bad regular expression. Raised when the policy is loaded, never while verifying an image.
 */
export class KeylessPolicyError extends Error {
  readonly code: "TRUSTED_ROOT_INVALID" | "IDENTITY_POLICY_INVALID";

  constructor(code: KeylessPolicyError["code"], message: string) {
    super(message);
    this.name = "KeylessPolicyError";
    this.code = code;
  }
}
