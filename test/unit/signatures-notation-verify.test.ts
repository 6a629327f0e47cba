// Notation (Notary Project) verification: JWS and COSE envelopes made with node's crypto in the
// spec's formats, notary.x509 and notary.x509.signingAuthority, and one refusal per check.
import { describe, expect, it } from "vitest";
import type { NotationCandidate } from "../../shared/signatures/notation/notation-candidate.ts";
import { loadNotationTrust } from "../../shared/signatures/notation/notation-trust.ts";
import { verifyNotation } from "../../shared/signatures/notation/verify-notation.ts";
import {
  coseEnvelope,
  type EnvelopeOptions,
  imageManifest,
  jwsEnvelope,
  type LeafKey,
  makeCa,
  makeLeaf,
  NOW,
  notationPayload,
  type TestCert,
} from "../support/notation-vectors.ts";

const JWS = "application/jose+json";
const COSE = "application/cose";
const IDENTITY = "x509.subject: C=US, ST=WA, O=Acme Rockets";

const image = imageManifest();
const root = makeCa();
const intermediate = makeCa({
  issuer: root,
  subject: [
    ["C", "US"],
    ["ST", "WA"],
    ["O", "registry-guard test"],
    ["CN", "Notation Test Intermediate"],
  ],
});
const leaves = new Map<LeafKey, TestCert>();
function leaf(key: LeafKey): TestCert {
  let l = leaves.get(key);
  if (!l) {
    l = makeLeaf(intermediate, { key });
    leaves.set(key, l);
  }
  return l;
}

const envelopes = { [JWS]: jwsEnvelope, [COSE]: coseEnvelope } as const;

function candidate(mediaType: string, envelope: Uint8Array): NotationCandidate {
  return {
    format: "notation",
    mediaType,
    envelope,
    source: { kind: "referrer", manifestDigest: `sha256:${"a".repeat(64)}` },
  };
}

function trust(
  p: {
    store?: TestCert[];
    identities?: string[];
    scheme?: "notary.x509" | "notary.x509.signingAuthority";
  } = {},
) {
  return loadNotationTrust({
    trustStorePems: (p.store ?? [root]).map((c, i) => ({ name: `store-${i}.pem`, pem: c.pem })),
    trustedIdentities: p.identities ?? [IDENTITY],
    ...(p.scheme ? { signingScheme: p.scheme } : {}),
  });
}

function run(
  mediaType: typeof JWS | typeof COSE,
  o: EnvelopeOptions & {
    key?: LeafKey;
    chain?: TestCert[];
    digest?: string;
    trust?: ReturnType<typeof trust>;
    now?: Date;
    tamper?: (e: Buffer) => Buffer;
  } = {},
) {
  const key = o.key ?? "p256";
  const chain = o.chain ?? [leaf(key), intermediate, root];
  const payload = notationPayload({ digest: o.digest ?? image.digest, size: image.bytes.length });
  let env = envelopes[mediaType](payload, chain, key, o);
  if (o.tamper) env = o.tamper(env);
  return verifyNotation({
    imageDigest: image.digest,
    candidates: [candidate(mediaType, env)],
    trust: o.trust ?? trust(),
    now: o.now ?? NOW,
  });
}

function code(r: ReturnType<typeof run>): string | undefined {
  const t = r.tried[0];
  return t && !t.verified ? t.failure.code : undefined;
}

describe.each([JWS, COSE] as const)("verifyNotation, %s envelope", (mediaType) => {
  it.each(["p256", "p384", "p521", "rsa2048", "rsa3072"] as const)(
    "verifies a notary.x509 signature by a %s leaf and names the leaf subject",
    (key) => {
      const r = run(mediaType, { key });
      expect(r.verified).toBe(true);
      if (!r.verified) return;
      expect(r.identity.subject).toContain("O=Acme Rockets");
      expect(r.identity.subject).toContain("CN=release signer");
      expect(r.identity.issuer).toContain("CN=Notation Test Intermediate");
      expect(r.identity.name).toBe(IDENTITY);
      expect(r.identity.timeSource).toBe("signer-claimed");
      expect(r.identity.signingScheme).toBe("notary.x509");
    },
  );

  it("verifies a notary.x509.signingAuthority signature at its authentic signing time", () => {
    const at = new Date(NOW.getTime() - 24 * 3600_000);
    const r = run(mediaType, {
      scheme: "notary.x509.signingAuthority",
      signingTime: at,
      trust: trust({ scheme: "notary.x509.signingAuthority" }),
    });
    expect(r.verified).toBe(true);
    if (r.verified) {
      expect(r.identity.timeSource).toBe("signing-authority");
      expect(r.identity.signedAt).toBe(at.toISOString());
    }
  });

  it("signingAuthority: a leaf expired now still verifies if valid at authenticSigningTime", () => {
    const shortLived = makeLeaf(intermediate, {
      notBefore: new Date(NOW.getTime() - 10 * 24 * 3600_000),
      notAfter: new Date(NOW.getTime() - 24 * 3600_000),
    });
    const chain = [shortLived, intermediate, root];
    const inside = run(mediaType, {
      chain,
      scheme: "notary.x509.signingAuthority",
      signingTime: new Date(NOW.getTime() - 2 * 24 * 3600_000),
    });
    expect(inside.verified).toBe(true);
    const after = run(mediaType, {
      chain,
      scheme: "notary.x509.signingAuthority",
      signingTime: new Date(NOW.getTime() - 3600_000),
    });
    expect(code(after)).toBe("NOTATION_CERTIFICATE_EXPIRED");
  });

  it("verifies with the identity `*` and a chain sent without its root", () => {
    const r = run(mediaType, {
      chain: [leaf("p256"), intermediate],
      trust: trust({ identities: ["*"] }),
    });
    expect(r.verified).toBe(true);
    if (r.verified) expect(r.identity.name).toBeUndefined();
  });

  it("refuses a chain that does not reach the trust store", () => {
    expect(code(run(mediaType, { trust: trust({ store: [makeCa()] }) }))).toBe(
      "NOTATION_CHAIN_UNTRUSTED",
    );
  });

  it("refuses a leaf subject no trusted identity matches", () => {
    const r = run(mediaType, {
      trust: trust({ identities: ["x509.subject: C=US, ST=WA, O=Wabbit Networks"] }),
    });
    expect(code(r)).toBe("NOTATION_IDENTITY_MISMATCH");
  });

  it("refuses an expired signature (io.cncf.notary.expiry in the past)", () => {
    const r = run(mediaType, { expiry: new Date(NOW.getTime() - 1000) });
    expect(code(r)).toBe("NOTATION_SIGNATURE_EXPIRED");
    expect(run(mediaType, { expiry: new Date(NOW.getTime() + 3600_000) }).verified).toBe(true);
  });

  it("refuses a payload for another digest", () => {
    expect(code(run(mediaType, { digest: `sha256:${"b".repeat(64)}` }))).toBe("DIGEST_MISMATCH");
  });

  it("refuses an unknown critical header, and a known one left out of crit", () => {
    const unknown = run(mediaType, {
      extraHeaders: { "io.cncf.notary.verificationPlugin": "com.example.plugin" },
      extraCrit: ["io.cncf.notary.verificationPlugin"],
    });
    expect(code(unknown)).toBe("NOTATION_CRITICAL_HEADER");
    const notCritical = run(mediaType, {
      crit: ["io.cncf.notary.signingScheme"],
      expiry: new Date(NOW.getTime() + 3600_000),
    });
    expect(code(notCritical)).toBe("NOTATION_CRITICAL_HEADER");
  });

  it("refuses a signing scheme the policy does not accept, or an unknown one", () => {
    expect(code(run(mediaType, { trust: trust({ scheme: "notary.x509.signingAuthority" }) }))).toBe(
      "NOTATION_SIGNING_SCHEME",
    );
    expect(
      code(
        run(mediaType, { extraHeaders: { "io.cncf.notary.signingScheme": "notary.x509.other" } }),
      ),
    ).toBe("NOTATION_SIGNING_SCHEME");
  });

  it("notary.x509: refuses a leaf not valid now (no timestamp countersignature to rely on)", () => {
    const expired = makeLeaf(intermediate, {
      notBefore: new Date(NOW.getTime() - 10 * 24 * 3600_000),
      notAfter: new Date(NOW.getTime() - 24 * 3600_000),
    });
    const r = run(mediaType, {
      chain: [expired, intermediate, root],
      signingTime: new Date(NOW.getTime() - 2 * 24 * 3600_000),
    });
    expect(code(r)).toBe("NOTATION_CERTIFICATE_EXPIRED");
  });

  it("refuses an alg that is not the one the leaf key calls for", () => {
    expect(code(run(mediaType, { key: "p256", alg: "ES384" }))).toBe("NOTATION_ALGORITHM_MISMATCH");
  });

  it("refuses a signature by another key than the leaf's", () => {
    expect(code(run(mediaType, { signer: makeLeaf(root).privateKey }))).toBe("SIGNATURE_INVALID");
  });

  it("refuses a wrong payload content type", () => {
    expect(code(run(mediaType, { contentType: "application/json" }))).toBe("NOTATION_CONTENT_TYPE");
  });

  it("refuses a leaf without the code-signing EKU", () => {
    const serverAuth = makeLeaf(intermediate, { eku: "1.3.6.1.5.5.7.3.1" });
    expect(code(run(mediaType, { chain: [serverAuth, intermediate, root] }))).toBe(
      "NOTATION_CHAIN_INVALID",
    );
  });

  it("refuses a chain out of order", () => {
    expect(code(run(mediaType, { chain: [leaf("p256"), root, intermediate] }))).toBe(
      "NOTATION_CHAIN_INVALID",
    );
  });

  it("refuses garbage as a malformed envelope", () => {
    const r = verifyNotation({
      imageDigest: image.digest,
      candidates: [candidate(mediaType, Buffer.from("not an envelope"))],
      trust: trust(),
      now: NOW,
    });
    expect(code(r)).toBe("NOTATION_ENVELOPE_MALFORMED");
  });
});

describe("tampering", () => {
  const swap = (from: string, to: string) => (e: Buffer) => {
    const s = e.toString("latin1");
    expect(s).toContain(from);
    return Buffer.from(s.replace(from, to), "latin1");
  };

  it("JWS: a changed payload or protected header no longer verifies", () => {
    const other = `sha256:${"c".repeat(64)}`;
    const payload = (d: string) =>
      notationPayload({ digest: d, size: image.bytes.length }).toString("base64url");
    const r = run(JWS, { tamper: swap(payload(image.digest), payload(other)) });
    expect(code(r)).toBe("SIGNATURE_INVALID");
    // Same header with a later signingTime: re-encoded, so the signing input differs.
    const r2 = run(JWS, {
      tamper: (e) => {
        const jws = JSON.parse(e.toString());
        const h = JSON.parse(Buffer.from(jws.protected, "base64url").toString());
        h["io.cncf.notary.signingTime"] = "2026-06-15T11:59:00Z";
        jws.protected = Buffer.from(JSON.stringify(h)).toString("base64url");
        return Buffer.from(JSON.stringify(jws));
      },
    });
    expect(code(r2)).toBe("SIGNATURE_INVALID");
  });

  it("COSE: a changed payload or protected header no longer verifies", () => {
    // The payload's digest hex and the protected header's scheme sit in the CBOR bytes as text.
    const hex = image.digest.slice(7);
    expect(
      code(run(COSE, { tamper: swap(hex, hex.replace(/^./, hex[0] === "0" ? "1" : "0")) })),
    ).toBe("SIGNATURE_INVALID");
    expect(
      code(
        run(COSE, {
          tamper: swap(
            "application/vnd.cncf.notary.payload.v1+json",
            "application/vnd.cncf.notary.payload.v1+jsoN",
          ),
        }),
      ),
    ).toBe("NOTATION_CONTENT_TYPE");
    expect(
      code(
        run(COSE, { tamper: swap("io.cncf.notary.signingAgent", "io.cncf.notary.signingAgenT") }),
      ),
    ).toBeUndefined(); // the unprotected header is not signed: changing it changes nothing
  });
});
