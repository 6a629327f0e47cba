import type { KmsPublicKey, KmsPublicKeySource } from "../../signatures/kms-public-key-source.ts";

/**
 * The GetPublicKey request and response as @aws-sdk/client-kms types them (KMS API reference,
 * GetPublicKey), reduced to the fields used. Written out here so the adapter stays free of the
 * SDK package (cli/kms-keys.ts loads it only when a KMS key is given).
 */
export interface GetPublicKeyInput {
  /** Key id, key ARN, alias name or alias ARN. */
  KeyId: string;
  GrantTokens?: string[];
}

export interface GetPublicKeyOutput {
  /** The key ARN (also when asked by alias). */
  KeyId?: string;
  /** DER SubjectPublicKeyInfo; the SDK hands raw bytes (only the HTTP API base64-encodes it). */
  PublicKey?: Uint8Array;
  KeySpec?: string;
  /** Deprecated twin of KeySpec, still sent. */
  CustomerMasterKeySpec?: string;
  /** SIGN_VERIFY, ENCRYPT_DECRYPT, KEY_AGREEMENT (GENERATE_VERIFY_MAC keys have no public key). */
  KeyUsage?: string;
  SigningAlgorithms?: string[];
}

/**
 * One GetPublicKey call. With the SDK:
 * `(input) => client.send(new GetPublicKeyCommand(input))` on a KMSClient.
 */
export type SendGetPublicKey = (input: GetPublicKeyInput) => Promise<GetPublicKeyOutput>;

export type KmsKeyErrorCode =
  /** The key cannot verify signatures: missing, disabled, pending deletion, not a signing key. */
  | "KMS_KEY_UNUSABLE"
  /** The call failed (access denied, throttling, a KMS fault): worth retrying or fixing IAM. */
  | "KMS_REQUEST_FAILED";

/** A KMS key's public key could not be had; names the key and what to check. */
export class KmsKeyError extends Error {
  readonly code: KmsKeyErrorCode;
  readonly arn: string;
  /** The AWS error name when the SDK threw one. */
  readonly awsError?: string;

  constructor(
    code: KmsKeyErrorCode,
    arn: string,
    detail: string,
    opts: { cause?: unknown; awsError?: string } = {},
  ) {
    super(
      `KMS key ${arn}: ${detail}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = "KmsKeyError";
    this.code = code;
    this.arn = arn;
    if (opts.awsError) this.awsError = opts.awsError;
  }
}

/** GetPublicKey errors that say the key itself is the problem, not the call. */
const UNUSABLE: Record<string, string> = {
  NotFoundException: "no such key or alias in that account and region",
  InvalidArnException: "KMS says the ARN is not valid",
  DisabledException: "the key is disabled; enable it, or trust another key",
  KMSInvalidStateException: "the key is not usable in its state (pending deletion or import?)",
  InvalidKeyUsageException: "the key is not an asymmetric signing key",
  UnsupportedOperationException: "the key has no public key to export (a symmetric or HMAC key?)",
};

/**
 * KmsPublicKeySource over AWS KMS GetPublicKey (IAM: kms:GetPublicKey on the key). Signatures are
 * then verified locally with the public key, never with KMS Verify. The answer is checked before
 * it is trusted: a SIGN_VERIFY key, with its public key and key spec. Wrap it in
 * cachedKmsPublicKeySource to call KMS once per key per process.
 */
export class KmsPublicKeys implements KmsPublicKeySource {
  private readonly send: SendGetPublicKey;

  constructor(send: SendGetPublicKey) {
    this.send = send;
  }

  async getPublicKey(arn: string): Promise<KmsPublicKey> {
    let out: GetPublicKeyOutput;
    try {
      out = await this.send({ KeyId: arn });
    } catch (err) {
      const name = err instanceof Error ? err.name : undefined;
      const unusable = name !== undefined ? UNUSABLE[name] : undefined;
      const opts = { cause: err, ...(name ? { awsError: name } : {}) };
      if (unusable) throw new KmsKeyError("KMS_KEY_UNUSABLE", arn, `${name}: ${unusable}`, opts);
      throw new KmsKeyError(
        "KMS_REQUEST_FAILED",
        arn,
        `GetPublicKey failed (${name ?? "error"}: ${err instanceof Error ? err.message : String(err)}); ${
          name === "AccessDeniedException"
            ? "allow kms:GetPublicKey on this key to the caller"
            : "retry, or check the region and network"
        }`,
        opts,
      );
    }
    if (out.KeyUsage !== undefined && out.KeyUsage !== "SIGN_VERIFY") {
      throw new KmsKeyError(
        "KMS_KEY_UNUSABLE",
        arn,
        `its KeyUsage is ${out.KeyUsage}; only SIGN_VERIFY keys make signatures`,
      );
    }
    const keySpec = out.KeySpec ?? out.CustomerMasterKeySpec;
    if (!out.PublicKey || out.PublicKey.length === 0 || !keySpec) {
      throw new KmsKeyError(
        "KMS_REQUEST_FAILED",
        arn,
        "GetPublicKey answered without PublicKey or KeySpec",
      );
    }
    return {
      spkiDer: new Uint8Array(out.PublicKey),
      keySpec,
      ...(out.SigningAlgorithms ? { signingAlgorithms: [...out.SigningAlgorithms] } : {}),
    };
  }
}
