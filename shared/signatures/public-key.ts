import { createPublicKey, type KeyObject } from "node:crypto";
import { decodeStdBase64 } from "./base64-strict.ts";
import { PublicKeyError } from "./public-key-error.ts";
import { type TrustedKey, type TrustedKeyOptions, trustedKeyFrom } from "./trusted-key.ts";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/;

/**
 * Imports a public key given in the policy or a file: PEM (`PUBLIC KEY`, or PKCS#1
 * `RSA PUBLIC KEY`, the two cosign's cryptoutils accepts; the first block is used) or SPKI DER.
 * Certificates and private keys are refused: trust is given to a public key on purpose.
 */
export function loadPublicKey(
  input: string | Uint8Array,
  options: TrustedKeyOptions = {},
): TrustedKey {
  const text = typeof input === "string" ? input : pemText(input);
  if (text !== null) return trustedKeyFrom(fromPem(text), { kind: "pem" }, options);
  return trustedKeyFrom(importDer(input as Uint8Array, "spki"), { kind: "der" }, options);
}

/** The bytes as text when they look like PEM; null for binary DER. */
function pemText(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.subarray(0, 64)).toString("latin1");
  return head.trimStart().startsWith("-----BEGIN ") ? Buffer.from(bytes).toString("utf8") : null;
}

function fromPem(text: string): KeyObject {
  const m = PEM_BLOCK.exec(text);
  if (!m) {
    throw new PublicKeyError(
      "PUBLIC_KEY_INVALID",
      "no PEM block (-----BEGIN PUBLIC KEY-----) found",
    );
  }
  const type = m[1] as string;
  if (type !== "PUBLIC KEY" && type !== "RSA PUBLIC KEY") {
    throw new PublicKeyError(
      "PUBLIC_KEY_INVALID",
      `expected a PUBLIC KEY PEM block, got ${type}: give the public key itself`,
    );
  }
  const der = decodeStdBase64((m[2] as string).replace(/\s+/g, ""));
  if (!der) throw new PublicKeyError("PUBLIC_KEY_INVALID", `the ${type} block is not base64`);
  return importDer(der, type === "PUBLIC KEY" ? "spki" : "pkcs1");
}

function importDer(der: Uint8Array, type: "spki" | "pkcs1"): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(der), format: "der", type });
  } catch (err) {
    throw new PublicKeyError(
      "PUBLIC_KEY_INVALID",
      `not a readable ${type === "spki" ? "SubjectPublicKeyInfo" : "PKCS#1"} public key (${(err as Error).message})`,
    );
  }
}
