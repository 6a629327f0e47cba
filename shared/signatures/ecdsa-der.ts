/**
 * Strict DER check of an ECDSA signature, `SEQUENCE { INTEGER r, INTEGER s }`, before it reaches
 * OpenSSL: minimal lengths, minimal positive integers, 0 < r, s < n, nothing after the sequence.
 * Go's ecdsa.VerifyASN1 (what cosign ends in) is this strict; checking it here makes the rule ours
 * rather than whatever the linked OpenSSL tolerates, and gives a precise reason.
 */

/** Curve orders n, big-endian. */
export const CURVE_ORDERS = {
  "P-256": hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
  "P-384": hex(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
  ),
  "P-521": hex(
    "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
  ),
} as const;

export type EcCurve = keyof typeof CURVE_ORDERS;

function hex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, "hex"));
}

/** Null when `sig` is a well-formed DER ECDSA signature for a curve of order `order`; else why not. */
export function ecdsaDerProblem(sig: Uint8Array, order: Uint8Array): string | null {
  if (sig.length < 8 || sig[0] !== 0x30) return "not a DER SEQUENCE";
  const seq = readLength(sig, 1);
  if (typeof seq === "string") return seq;
  const end = seq.start + seq.length;
  if (end > sig.length) return "the SEQUENCE is truncated";
  if (end < sig.length) return `${sig.length - end} trailing byte(s) after the SEQUENCE`;
  const r = readInteger(sig, seq.start, end, "r", order);
  if (typeof r === "string") return r;
  const s = readInteger(sig, r, end, "s", order);
  if (typeof s === "string") return s;
  if (s !== end) return "extra data inside the SEQUENCE after s";
  return null;
}

/** DER definite length at `at` (the byte after the tag): minimal short or long form only. */
function readLength(b: Uint8Array, at: number): { start: number; length: number } | string {
  const first = b[at];
  if (first === undefined) return "truncated length";
  if (first < 0x80) return { start: at + 1, length: first };
  const count = first & 0x7f;
  if (count === 0) return "indefinite length is not DER";
  if (count > 2) return "length too long for a signature";
  let length = 0;
  for (let i = 1; i <= count; i++) {
    const byte = b[at + i];
    if (byte === undefined) return "truncated length";
    length = length * 256 + byte;
  }
  if (length < 0x80 || (count === 2 && length < 0x100)) return "non-minimal length encoding";
  return { start: at + 1 + count, length };
}

/** Reads INTEGER `name` at `at`, checks 0 < value < order; returns the offset after it. */
function readInteger(
  b: Uint8Array,
  at: number,
  end: number,
  name: string,
  order: Uint8Array,
): number | string {
  if (at >= end || b[at] !== 0x02) return `${name} is not an INTEGER`;
  const len = readLength(b, at + 1);
  if (typeof len === "string") return `${name}: ${len}`;
  const stop = len.start + len.length;
  if (len.length === 0) return `${name} is empty`;
  if (stop > end) return `${name} runs past the SEQUENCE`;
  const v = b.subarray(len.start, stop);
  const lead = v[0] as number;
  if (lead & 0x80) return `${name} is negative`;
  if (lead === 0 && v.length > 1 && ((v[1] as number) & 0x80) === 0) {
    return `${name} has a non-minimal encoding`;
  }
  const cmp = compareMagnitude(v, order);
  if (cmp === "zero") return `${name} is zero`;
  if (cmp >= 0) return `${name} is not below the curve order`;
  return stop;
}

/** Compares unsigned big-endian magnitudes (leading zeros ignored); "zero" when `a` is 0. */
function compareMagnitude(a: Uint8Array, b: Uint8Array): number | "zero" {
  let i = 0;
  while (i < a.length && a[i] === 0) i++;
  if (i === a.length) return "zero";
  let j = 0;
  while (j < b.length && b[j] === 0) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la - lb;
  for (; i < a.length; i++, j++) {
    const d = (a[i] as number) - (b[j] as number);
    if (d !== 0) return d;
  }
  return 0;
}
