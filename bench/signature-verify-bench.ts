// Key-based cosign verification throughput on one core, against node's raw crypto.verify on the
// same keys and the same payloads in the same run (goal: at least 0.8x). Keys are imported once
// (KeyObject), as the pipeline does per container, so both sides pay only for verifying.
import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { dssePae } from "../shared/signatures/dsse-pae.ts";
import { loadPublicKey } from "../shared/signatures/public-key.ts";
import type { SignatureCandidate } from "../shared/signatures/signature-candidate.ts";
import type { TrustedKey } from "../shared/signatures/trusted-key.ts";
import { verifyImageSignatures } from "../shared/signatures/verify-image-signatures.ts";
import { type Bench, type Figure, fmt, heading, median, note, table } from "./bench-util.ts";

const VECTORS = 64;
const ROUNDS = 7;
const GOAL = 0.8;
const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const REPO = "team-a/api";
const MANIFEST_DIGEST = `sha256:${"0".repeat(64)}`;

interface Vector {
  imageDigest: string;
  /** What raw crypto.verify checks: the payload, or the PAE for DSSE. */
  signed: Uint8Array;
  signature: Uint8Array;
  candidate: SignatureCandidate;
}

interface Case {
  label: string;
  hash: string | null;
  publicKey: KeyObject;
  trusted: TrustedKey;
  vectors: Vector[];
  iterations: number;
}

function simpleSigningVectors(kind: "ec" | "ed25519"): Case {
  const pair =
    kind === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("ed25519");
  const hash = kind === "ec" ? "sha256" : null;
  const vectors = Array.from({ length: VECTORS }, (_, i): Vector => {
    const imageDigest = `sha256:${createHash("sha256").update(`image ${i}`).digest("hex")}`;
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { "docker-reference": `${REGISTRY}/${REPO}` },
          image: { "docker-manifest-digest": imageDigest },
          type: "cosign container image signature",
        },
        optional: null,
      }),
    );
    const signature = sign(hash, payload, pair.privateKey);
    return {
      imageDigest,
      signed: payload,
      signature,
      candidate: {
        source: { kind: "legacy-tag", manifestDigest: MANIFEST_DIGEST },
        format: "simplesigning",
        mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
        payload,
        signature,
        keyless: {},
      },
    };
  });
  return {
    label: kind === "ec" ? "ECDSA P-256, .sig payload" : "Ed25519, .sig payload",
    hash,
    publicKey: pair.publicKey,
    trusted: loadPublicKey(pair.publicKey.export({ type: "spki", format: "pem" }).toString()),
    vectors,
    iterations: 4000,
  };
}

function dsseVectors(): Case {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const payloadType = "application/vnd.in-toto+json";
  const vectors = Array.from({ length: VECTORS }, (_, i): Vector => {
    const hex = createHash("sha256").update(`image ${i}`).digest("hex");
    const payload = Buffer.from(
      JSON.stringify({
        _type: "https://in-toto.io/Statement/v1",
        subject: [{ name: `${REGISTRY}/${REPO}`, digest: { sha256: hex } }],
        predicateType: "https://sigstore.dev/cosign/sign/v1",
        predicate: {},
      }),
    );
    const signed = dssePae(payloadType, payload);
    const signature = sign("sha256", signed, pair.privateKey);
    return {
      imageDigest: `sha256:${hex}`,
      signed,
      signature,
      candidate: {
        source: { kind: "referrer", manifestDigest: MANIFEST_DIGEST },
        format: "dsse",
        mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        payloadType,
        payload,
        signature,
        bundle: {
          mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
          verificationMaterial: { tlogEntries: [], rfc3161Timestamps: [] },
          content: {
            kind: "dsse",
            envelope: { payloadType, payload, signatures: [{ sig: signature }] },
          },
        },
      },
    };
  });
  return {
    label: "ECDSA P-256, DSSE bundle",
    hash: "sha256",
    publicKey: pair.publicKey,
    trusted: loadPublicKey(pair.publicKey.export({ type: "spki", format: "pem" }).toString()),
    vectors,
    iterations: 4000,
  };
}

/** Verifications per second of `fn` over the vectors, cycling; throws if any does not verify. */
function rate(c: Case, fn: (v: Vector) => boolean, iterations: number): number {
  const t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < iterations; i++) if (fn(c.vectors[i % VECTORS] as Vector)) ok++;
  const ms = performance.now() - t0;
  if (ok !== iterations) throw new Error(`${c.label}: ${iterations - ok} vectors did not verify`);
  return (iterations * 1000) / ms;
}

function measure(c: Case): { raw: number; ours: number; ratio: number } {
  const raw = (v: Vector) => verify(c.hash, v.signed, c.publicKey, v.signature);
  const keys = [c.trusted];
  const ours = (v: Vector) =>
    verifyImageSignatures({
      imageDigest: v.imageDigest,
      repository: REPO,
      registry: REGISTRY,
      candidates: [v.candidate],
      keys,
      options: { matchReference: true },
    }).verified;
  rate(c, raw, 500);
  rate(c, ours, 500);
  const raws: number[] = [];
  const ourss: number[] = [];
  const ratios: number[] = [];
  // Interleaved rounds: drift in CPU frequency or load hits both sides alike.
  for (let round = 0; round < ROUNDS; round++) {
    const r = rate(c, raw, c.iterations);
    const o = rate(c, ours, c.iterations);
    raws.push(r);
    ourss.push(o);
    ratios.push(o / r);
  }
  return { raw: median(raws), ours: median(ourss), ratio: median(ratios) };
}

async function run(): Promise<Figure[]> {
  heading(`Signature verification, key-based, one core (goal: >= ${GOAL}x raw crypto.verify)`);
  note(
    `${VECTORS} distinct payloads per key, ${ROUNDS} interleaved rounds; median rate and median per-round ratio`,
  );
  const cases = [simpleSigningVectors("ec"), simpleSigningVectors("ed25519"), dsseVectors()];
  const results = cases.map((c) => ({ c, ...measure(c) }));
  process.stdout.write(
    table(
      ["case", "crypto.verify /s", "verifyImageSignatures /s", "ratio"],
      results.map(({ c, raw, ours, ratio }) => [
        c.label,
        fmt(raw, 0),
        fmt(ours, 0),
        `${fmt(ratio, 3)}x`,
      ]),
    ),
  );
  return results.map(({ c, ours, ratio }) => ({
    bench: "signatures",
    metric: `${c.label}: ${fmt(ours, 0)}/s, ratio to crypto.verify`,
    value: `${fmt(ratio, 2)}x`,
    goal: `>= ${GOAL}x`,
    met: ratio >= GOAL,
  }));
}

export const signatureVerifyBench: Bench = {
  name: "signatures",
  description: "key-based cosign verifications per second vs raw crypto.verify",
  run,
};
