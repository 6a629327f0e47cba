// Minimal DER (X.690) encoders for building X.509 test certificates with node's crypto: just the
// types the signature vectors need. Tests only; production code parses with @sigstore/core.

export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
export const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
export const set = (...p: Uint8Array[]) => tlv(0x31, ...p);
export const octet = (b: Uint8Array) => tlv(0x04, b);
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
export const printable = (s: string) => tlv(0x13, Buffer.from(s, "ascii"));
export const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
export const bits = (b: Uint8Array, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
export const explicit = (n: number, ...p: Uint8Array[]) => tlv(0xa0 | n, ...p);

/** A minimal two's-complement INTEGER from big-endian bytes or a small number. */
export function integer(v: Uint8Array | number): Buffer {
  let b = typeof v === "number" ? Buffer.from([v]) : Buffer.from(v);
  while (b.length > 1 && b[0] === 0 && ((b[1] as number) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] as number) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime after (RFC 5280 4.1.2.5). */
export function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}
