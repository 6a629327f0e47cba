import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dssePae } from "../../shared/signatures/dsse-pae.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { readSignatureManifest } from "../../shared/signatures/read-signature-manifest.ts";
import type { SignatureCandidate } from "../../shared/signatures/signature-candidate.ts";
import { parseSigstoreBundle } from "../../shared/signatures/sigstore-bundle.ts";
import type { TrustedKey } from "../../shared/signatures/trusted-key.ts";
import {
  type VerifyImageSignaturesInput,
  verifyImageSignatures,
} from "../../shared/signatures/verify-image-signatures.ts";
import {
  BlobStore,
  bundleReferrerManifest,
  dsseBundle,
  generateTestKey,
  imageManifest,
  inTotoStatement,
  KEY_KINDS,
  legacySignature,
  legacySignatureManifest,
  messageSignatureBundle,
  pae,
  type TestKey,
} from "../support/cosign-vectors.ts";

const REPO = "team-a/api";
const keys = Object.fromEntries(KEY_KINDS.map((k) => [k, generateTestKey(k)])) as Record<
  (typeof KEY_KINDS)[number],
  TestKey
>;
const trusted = (k: TestKey, name?: string): TrustedKey =>
  loadPublicKey(k.publicPem, name ? { name } : {});

/** Attaches the bundle as a referrer of `subject` and reads it back. */
async function referrerCandidates(
  subject: string,
  bundle: Uint8Array,
  p: Parameters<typeof bundleReferrerManifest>[3] = {},
): Promise<SignatureCandidate[]> {
  const store = new BlobStore();
  const m = bundleReferrerManifest(subject, bundle, store, p);
  return readSignatureManifest({
    manifest: m.bytes,
    source: { kind: "referrer", manifestDigest: m.digest },
    fetchBlob: store.fetchBlob,
  });
}

function verify(
  digest: string,
  candidates: SignatureCandidate[],
  keyList: TrustedKey[],
  extra: Partial<VerifyImageSignaturesInput> = {},
) {
  return verifyImageSignatures({
    imageDigest: digest,
    repository: REPO,
    candidates,
    keys: keyList,
    ...extra,
  });
}

const codes = (r: ReturnType<typeof verify>) =>
  r.tried.map((t) => (t.verified ? "VERIFIED" : t.failure.code));

describe("DSSE bundles attached as referrers (cosign sign --new-bundle-format)", () => {
  it.each(KEY_KINDS)("verifies a %s-key bundle and names the key", async (kind) => {
    const image = imageManifest();
    const bundle = dsseBundle(keys[kind], { payload: inTotoStatement({ digest: image.digest }) });
    const candidates = await referrerCandidates(image.digest, bundle);
    expect(candidates[0]).toMatchObject({
      format: "dsse",
      source: { kind: "referrer", subjectDigest: image.digest },
    });
    const r = verify(image.digest, candidates, [trusted(keys[kind], kind)]);
    expect(r.verified).toBe(true);
    if (r.verified) expect(r.key.name).toBe(kind);
  });

  it("computes PAE exactly as the DSSE spec's test vector", () => {
    const out = dssePae("http://example.com/HelloWorld", Buffer.from("hello world"));
    expect(Buffer.from(out).toString()).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("refuses a signature over the bare payload instead of the PAE", async () => {
    const image = imageManifest();
    const payload = inTotoStatement({ digest: image.digest });
    const bundle = dsseBundle(keys.p256, { payload, signedBytes: payload });
    expect(
      codes(
        verify(image.digest, await referrerCandidates(image.digest, bundle), [trusted(keys.p256)]),
      ),
    ).toEqual(["SIGNATURE_INVALID"]);
  });

  it("refuses an envelope whose payloadType was changed after signing", async () => {
    const image = imageManifest();
    const bundle = dsseBundle(keys.p256, {
      payload: inTotoStatement({ digest: image.digest }),
      signedPayloadType: "application/json",
    });
    expect(
      codes(
        verify(image.digest, await referrerCandidates(image.digest, bundle), [trusted(keys.p256)]),
      ),
    ).toEqual(["SIGNATURE_INVALID"]);
  });

  it("refuses a correctly signed envelope of another payload type", async () => {
    const image = imageManifest();
    const bundle = dsseBundle(keys.p256, {
      payload: inTotoStatement({ digest: image.digest }),
      payloadType: "application/vnd.cyclonedx+json",
    });
    expect(
      codes(
        verify(image.digest, await referrerCandidates(image.digest, bundle), [trusted(keys.p256)]),
      ),
    ).toEqual(["PAYLOAD_TYPE_UNSUPPORTED"]);
  });

  it("refuses a statement about another image", async () => {
    const image = imageManifest();
    const bundle = dsseBundle(keys.p256, {
      payload: inTotoStatement({ digest: imageManifest().digest }),
    });
    expect(
      codes(
        verify(image.digest, await referrerCandidates(image.digest, bundle), [trusted(keys.p256)]),
      ),
    ).toEqual(["SUBJECT_MISMATCH"]);
  });

  it("accepts only cosign sign's predicate by default, any predicate when the policy says so", async () => {
    const image = imageManifest();
    const bundle = dsseBundle(keys.p256, {
      payload: inTotoStatement({
        digest: image.digest,
        predicateType: "https://slsa.dev/provenance/v1",
      }),
    });
    const candidates = await referrerCandidates(image.digest, bundle);
    expect(codes(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "PREDICATE_TYPE_NOT_ACCEPTED",
    ]);
    expect(
      verify(image.digest, candidates, [trusted(keys.p256)], {
        options: { acceptedPredicateTypes: "any" },
      }).verified,
    ).toBe(true);
  });

  it("refuses a payload that is not an in-toto statement", async () => {
    const image = imageManifest();
    const bundle = dsseBundle(keys.p256, {
      payload: inTotoStatement({ digest: image.digest, type: "https://example.com/NotAStatement" }),
    });
    expect(
      codes(
        verify(image.digest, await referrerCandidates(image.digest, bundle), [trusted(keys.p256)]),
      ),
    ).toEqual(["PAYLOAD_MALFORMED"]);
  });

  it("with matchReference, requires the statement subject to name the repository", async () => {
    const image = imageManifest();
    const named = dsseBundle(keys.p256, {
      payload: inTotoStatement({ digest: image.digest, name: `registry.example.com/${REPO}` }),
    });
    const unnamed = dsseBundle(keys.p256, { payload: inTotoStatement({ digest: image.digest }) });
    const opts = { options: { matchReference: true } };
    expect(
      verify(
        image.digest,
        await referrerCandidates(image.digest, named),
        [trusted(keys.p256)],
        opts,
      ).verified,
    ).toBe(true);
    expect(
      codes(
        verify(
          image.digest,
          await referrerCandidates(image.digest, unnamed),
          [trusted(keys.p256)],
          opts,
        ),
      ),
    ).toEqual(["REFERENCE_MISMATCH"]);
  });

  it("refuses a bundle of another version, one with two DSSE signatures, and non-JSON", async () => {
    const image = imageManifest();
    const payload = inTotoStatement({ digest: image.digest });
    const v02 = dsseBundle(keys.p256, {
      payload,
      mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2",
    });
    const two = dsseBundle(keys.p256, { payload, extraSignatures: 1 });
    const got = [
      ...(await referrerCandidates(image.digest, v02)),
      ...(await referrerCandidates(image.digest, two)),
      ...(await referrerCandidates(image.digest, Buffer.from("not json"))),
    ];
    expect(codes(verify(image.digest, got, [trusted(keys.p256)]))).toEqual([
      "BUNDLE_VERSION_UNSUPPORTED",
      "BUNDLE_MALFORMED",
      "BUNDLE_MALFORMED",
    ]);
  });

  it("refuses a bundle layer of another media type, and a bundle under the .sig tag", async () => {
    const image = imageManifest();
    const bundle = dsseBundle(keys.p256, { payload: inTotoStatement({ digest: image.digest }) });
    const attestation = await referrerCandidates(image.digest, bundle, {
      layerMediaType: "application/vnd.dsse.envelope.v1+json",
      artifactType: "application/vnd.in-toto+json",
    });
    const store = new BlobStore();
    const tagged = legacySignatureManifest(
      [
        {
          payload: bundle,
          signature: "AA==",
          mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        },
      ],
      store,
    );
    const underTag = await readSignatureManifest({
      manifest: tagged.bytes,
      source: { kind: "legacy-tag", manifestDigest: tagged.digest },
      fetchBlob: store.fetchBlob,
    });
    expect(
      codes(verify(image.digest, [...attestation, ...underTag], [trusted(keys.p256)])),
    ).toEqual(["MEDIA_TYPE_NOT_SIGNATURE", "MEDIA_TYPE_NOT_SIGNATURE"]);
  });

  it("reads cosign's experimental OCI 1.1 simple-signing referrer, and only with its artifactType", async () => {
    const image = imageManifest();
    const store = new BlobStore();
    const layer = legacySignature(keys.p256, {
      reference: `r.example/${REPO}`,
      digest: image.digest,
    });
    const sigType = "application/vnd.dev.cosign.artifact.sig.v1+json";
    const read = async (artifactType: string) => {
      const m = legacySignatureManifest([layer], store, {
        artifactType,
        subject: { digest: image.digest, mediaType: "application/vnd.oci.image.manifest.v1+json" },
      });
      return readSignatureManifest({
        manifest: m.bytes,
        source: { kind: "referrer", manifestDigest: m.digest },
        fetchBlob: store.fetchBlob,
      });
    };
    expect(verify(image.digest, await read(sigType), [trusted(keys.p256)]).verified).toBe(true);
    expect(
      codes(verify(image.digest, await read("application/vnd.example+json"), [trusted(keys.p256)])),
    ).toEqual(["MEDIA_TYPE_NOT_SIGNATURE"]);
  });

  it("tries the key the bundle's hint names first, without trusting the hint", async () => {
    const image = imageManifest();
    const payload = inTotoStatement({ digest: image.digest });
    const bundle = JSON.parse(dsseBundle(keys.ed25519, { payload }).toString());
    bundle.verificationMaterial.publicKey.hint = trusted(keys.p256).hint; // lies
    const candidates = await referrerCandidates(image.digest, Buffer.from(JSON.stringify(bundle)));
    const r = verify(image.digest, candidates, [
      trusted(keys.p256, "p256"),
      trusted(keys.ed25519, "ed"),
    ]);
    expect(r.verified && r.key.name).toBe("ed");
  });
});

describe("message-signature bundles over the image manifest", () => {
  it.each(["p256", "rsa"] as const)(
    "verifies a %s signature over the manifest bytes",
    async (kind) => {
      const image = imageManifest();
      const candidates = await referrerCandidates(
        image.digest,
        messageSignatureBundle(keys[kind], image.bytes),
      );
      expect(candidates[0]?.format).toBe("message-signature");
      const r = verify(image.digest, candidates, [trusted(keys[kind])], {
        imageManifest: image.bytes,
      });
      expect(r.verified).toBe(true);
    },
  );

  it("needs the manifest bytes, a messageDigest naming the image, and a valid signature", async () => {
    const image = imageManifest();
    const other = imageManifest();
    const key = [trusted(keys.p256)];
    const good = await referrerCandidates(
      image.digest,
      messageSignatureBundle(keys.p256, image.bytes),
    );
    expect(codes(verify(image.digest, good, key))).toEqual(["MESSAGE_UNAVAILABLE"]);
    const misnamed = await referrerCandidates(
      image.digest,
      messageSignatureBundle(keys.p256, image.bytes, { digestOf: other.bytes }),
    );
    const sha384 = await referrerCandidates(
      image.digest,
      messageSignatureBundle(keys.p256, image.bytes, { algorithm: "SHA2_384" }),
    );
    const forOther = await referrerCandidates(
      image.digest,
      messageSignatureBundle(keys.p256, other.bytes, { digestOf: image.bytes }),
    );
    expect(
      codes(
        verify(image.digest, [...misnamed, ...sha384, ...forOther], key, {
          imageManifest: image.bytes,
        }),
      ),
    ).toEqual(["MESSAGE_DIGEST_MISMATCH", "MESSAGE_DIGEST_MISMATCH", "SIGNATURE_INVALID"]);
  });
});

// sigstore/cosign pkg/cosign/testdata/oci-attestation.sigstore.json (Apache-2.0): a real bundle
// cosign wrote for an attestation, keyless (Fulcio certificate, Rekor entry).
const COSIGN_TESTDATA_BUNDLE =
  '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"cert' +
  'ificate":{"rawBytes":"MIICzzCCAlWgAwIBAgIUF2e+Ci0YsLnPaFUknbNDtUcqXl0wCgYIKoZIzj0EAwMwNzEV' +
  "MBMGA1UEChMMc2lnc3RvcmUuZGV2MR4wHAYDVQQDExVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwHhcNMjUwMjI4MTkxOD" +
  "ExWhcNMjUwMjI4MTkyODExWjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEk/CiYRmA9zsa7ams/+fI+wGeXOFx" +
  "ng4J0wSj1jub7kxArHhGwvgcVE3ubrGXNQB9X3ksG0F+MiXHG8gRzxrr0KOCAXQwggFwMA4GA1UdDwEB/wQEAwIHgD" +
  "ATBgNVHSUEDDAKBggrBgEFBQcDAzAdBgNVHQ4EFgQUcPdotYluBHI4fkYy3yij5SY4728wHwYDVR0jBBgwFoAU39Pp" +
  "z1YkEZb5qNjpKFWixi4YZD8wHgYDVR0RAQH/BBQwEoEQY29keUBzb3lsYW5kLmNvbTAsBgorBgEEAYO/MAEBBB5odH" +
  "RwczovL2dpdGh1Yi5jb20vbG9naW4vb2F1dGgwLgYKKwYBBAGDvzABCAQgDB5odHRwczovL2dpdGh1Yi5jb20vbG9n" +
  "aW4vb2F1dGgwgYoGCisGAQQB1nkCBAIEfAR6AHgAdgDdPTBqxscRMmMZHhyZZzcCokpeuN48rf+HinKALynujgAAAZ" +
  "VN/q3JAAAEAwBHMEUCIQCdLrw1b9rE6rFd+NAJVPaw4DmH0YNOH2AYIOc4g26WmgIgG7Gub5hz7gzFpvhdb9HQsObW" +
  "fTNcUiSOmrnPlmaQaKUwCgYIKoZIzj0EAwMDaAAwZQIxAMwB66cCKVhOYq2JMx20FPfJXD6K6oaUV8aIlCiW/YLLZd" +
  'kWjTWkXt4qIbPgUeAl6wIwdCmnnSMw9fG7FuKz14RYFSbE1VLhNiWhGYpfCj00FtNRoXF+NFQ7DOKjjq7xPjza"},"' +
  'tlogEntries":[{"logIndex":"175508996","logId":{"keyId":"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwi' +
  'T5i5WRgB0="},"kindVersion":{"kind":"dsse","version":"0.0.1"},"integratedTime":"1740770291"' +
  ',"inclusionPromise":{"signedEntryTimestamp":"MEUCIQDIgcWm5sXPh52rA/3BLyvfymD4RLEze5cx0WrDC' +
  'F7tXAIgDtDq9wgYo8Z6RQ/LIaMRY/clocjCbX1qZTI9EVrGbzQ="},"inclusionProof":{"logIndex":"536047' +
  '34","rootHash":"nd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=","treeSize":"53604735","hashe' +
  's":["p7adBuLwiHyxFA7sjjx9Jt+YJ9NJ6pPRsqrlFv/Prl4=","V8kTVhZDHU0oMb8SoiG+IJzfi1+zs8k07t7msf' +
  'dk3DU=","Y9K/VuEpG5hexjkO0eGf5aWgfD1no2I/HmjLL79pGOw=","49xFd2wqEUENt7vh3yabkMXtEu6nNJxA6x' +
  'JDF35HkvQ=","fldHlNczrXBcOY4UnkC1im8c3AZGOojtqHIrnWG81FA=","9JKlhk57UmiGCygvf555Z0loJkdvt8' +
  'BLIwGeMAuJM1o=","JuKjSUhL4pgP2+mTbT/X01oQa16n9Nh2ruwSgN9Ft3o=","6g/GERajYnzZjZ0EXQIVHpGIKr' +
  'y1LMG0+RJhvtcbSwI=","62MSvX4iwxK6VPg9s7NR+Y1jiYkd/SsZpVoaUYjD8wg=","K7s/kEEUl/59VblorlWa2a' +
  'JO8TuH5uy8kn/7qSY+T94=","GlND1TZKB9H1XkH8gmyEmNId6gWGYnXjA0ykMIJaI44=","315PrxqKtUW8bpqBdn' +
  '6SMyj+smOwK7jCa7Px7i4AIOQ=","lL6jxdDTg23iUvuwRop1833jkmWSvr7sLBM3hXZ8tTU=","eExzddanJoxYTK' +
  'oErFFSTDFUR3UvwaaXxcddWwQJd7I=","ebCKJ53lKWPqIx8mXXgznF9DGoQv70J7JTlFAav6s5E=","vemyaMj0Na' +
  '1LMjbB/9Dmkq8T+jAb3o+yCESgAayUABU="],"checkpoint":{"envelope":"rekor.sigstore.dev - 119305' +
  "0959916656506\\n53604735\\nnd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=\\n\\n\u2014 rekor.sigstore." +
  "dev wNI9ajBFAiEAuh6liXP/rBKWjuO/W8jooM66eVHSXo3Cf8kEAIryZLACIAfCuhLOHpSnU3WA68gZci57o2JuwX" +
  '7S5H6ANbGePH58\\n"}},"canonicalizedBody":"eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiZHNzZSIsI' +
  "nNwZWMiOnsiZW52ZWxvcGVIYXNoIjp7ImFsZ29yaXRobSI6InNoYTI1NiIsInZhbHVlIjoiYzZhZGFhZjE0OTA4NGY" +
  "xOTc3YzE0YjViMTQxMmY4ODI1OGU1ODMwZDg3YTVjNjQ0MDNjNDAzYjliNzNmZjEzNiJ9LCJwYXlsb2FkSGFzaCI6e" +
  "yJhbGdvcml0aG0iOiJzaGEyNTYiLCJ2YWx1ZSI6IjE1NjkyNjE2ZTljNDM1OTA3YzQxNDExNDY2ZTQ5M2YxOTVhMzl" +
  "jYTY4Yzk3M2E0ZjUzOTBkZjNkMzAxMzk4YmQifSwic2lnbmF0dXJlcyI6W3sic2lnbmF0dXJlIjoiTUVRQ0lEb21pd" +
  "VlWZ05LeWZZei9sZXF2dEVZMnh1aWZ0ZWlnanErTGZTaHU5MkJCQWlCeGl4c0daTllCVlJoR2pYNk9aaVBRQklvVWY" +
  "raThWZ1BoLy9BVC96NFZnZz09IiwidmVyaWZpZXIiOiJMUzB0TFMxQ1JVZEpUaUJEUlZKVVNVWkpRMEZVUlMwdExTM" +
  "HRDazFKU1VONmVrTkRRV3hYWjBGM1NVSkJaMGxWUmpKbEswTnBNRmx6VEc1UVlVWlZhMjVpVGtSMFZXTnhXR3d3ZDB" +
  "ObldVbExiMXBKZW1vd1JVRjNUWGNLVG5wRlZrMUNUVWRCTVZWRlEyaE5UV015Ykc1ak0xSjJZMjFWZFZwSFZqSk5Va" +
  "lIzU0VGWlJGWlJVVVJGZUZaNllWZGtlbVJIT1hsYVV6RndZbTVTYkFwamJURnNXa2RzYUdSSFZYZElhR05PVFdwVmQ" +
  "wMXFTVFJOVkd0NFQwUkZlRmRvWTA1TmFsVjNUV3BKTkUxVWEzbFBSRVY0VjJwQlFVMUdhM2RGZDFsSUNrdHZXa2w2Y" +
  "WpCRFFWRlpTVXR2V2tsNmFqQkVRVkZqUkZGblFVVnJMME5wV1ZKdFFUbDZjMkUzWVcxekx5dG1TU3QzUjJWWVQwWjR" +
  "ibWMwU2pCM1Uyb0tNV3AxWWpkcmVFRnlTR2hIZDNablkxWkZNM1ZpY2tkWVRsRkNPVmd6YTNOSE1FWXJUV2xZU0VjN" +
  "FoxSjZlSEp5TUV0UFEwRllVWGRuWjBaM1RVRTBSd3BCTVZWa1JIZEZRaTkzVVVWQmQwbElaMFJCVkVKblRsWklVMVZ" +
  "GUkVSQlMwSm5aM0pDWjBWR1FsRmpSRUY2UVdSQ1owNVdTRkUwUlVablVWVmpVR1J2Q25SWmJIVkNTRWswWm10WmVUT" +
  "jVhV28xVTFrME56STRkMGgzV1VSV1VqQnFRa0puZDBadlFWVXpPVkJ3ZWpGWmEwVmFZalZ4VG1wd1MwWlhhWGhwTkZ" +
  "rS1drUTRkMGhuV1VSV1VqQlNRVkZJTDBKQ1VYZEZiMFZSV1RJNWEyVlZRbnBpTTJ4eldWYzFhMHh0VG5aaVZFRnpRb" +
  "WR2Y2tKblJVVkJXVTh2VFVGRlFncENRalZ2WkVoU2QyTjZiM1pNTW1Sd1pFZG9NVmxwTldwaU1qQjJZa2M1Ym1GWE5" +
  "IWmlNa1l4WkVkbmQweG5XVXRMZDFsQ1FrRkhSSFo2UVVKRFFWRm5Da1JDTlc5a1NGSjNZM3B2ZGt3eVpIQmtSMmd4V" +
  "1drMWFtSXlNSFppUnpsdVlWYzBkbUl5UmpGa1IyZDNaMWx2UjBOcGMwZEJVVkZDTVc1clEwSkJTVVVLWmtGU05rRkl" +
  "aMEZrWjBSa1VGUkNjWGh6WTFKTmJVMWFTR2g1V2xwNlkwTnZhM0JsZFU0ME9ISm1LMGhwYmt0QlRIbHVkV3BuUVVGQ" +
  "ldsWk9MM0V6U2dwQlFVRkZRWGRDU0UxRlZVTkpVVU5rVEhKM01XSTVja1UyY2taa0swNUJTbFpRWVhjMFJHMUlNRmx" +
  "PVDBneVFWbEpUMk0wWnpJMlYyMW5TV2RITjBkMUNtSTFhSG8zWjNwR2NIWm9aR0k1U0ZGelQySlhabFJPWTFWcFUwO" +
  "XRjbTVRYkcxaFVXRkxWWGREWjFsSlMyOWFTWHBxTUVWQmQwMUVZVUZCZDFwUlNYZ0tRVTEzUWpZMlkwTkxWbWhQV1h" +
  "FeVNrMTRNakJHVUdaS1dFUTJTelp2WVZWV09HRkpiRU5wVnk5WlRFeGFaR3RYYWxSWGExaDBOSEZKWWxCblZXVkJiQ" +
  "W8yZDBsM1pFTnRibTVUVFhjNVprYzNSblZMZWpFMFVsbEdVMkpGTVZaTWFFNXBWMmhIV1hCbVEyb3dNRVowVGxKdld" +
  "FWXJUa1pSTjBSUFMycHFjVGQ0Q2xCcWVtRUtMUzB0TFMxRlRrUWdRMFZTVkVsR1NVTkJWRVV0TFMwdExRbz0ifV19f" +
  'Q=="}]},"dsseEnvelope":{"payload":"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjA' +
  "uMSIsInByZWRpY2F0ZVR5cGUiOiJodHRwczovL2Nvc2lnbi5zaWdzdG9yZS5kZXYvYXR0ZXN0YXRpb24vdjEiLCJzd" +
  "WJqZWN0IjpbeyJuYW1lIjoiMTI3LjAuMC4xOjYwOTQzL3JlcG8iLCJkaWdlc3QiOnsic2hhMjU2IjoiNzMyMTEyMjc" +
  "wZDdlNTk0MThhOGMwODBiMTM0YjI0Y2FiZDY3ZDI1MGQwZDAxNDdhOTdlZDk1YmE1YzI4MGFhNCJ9fV0sInByZWRpY" +
  "2F0ZSI6eyJEYXRhIjoie1wiZm9vXCI6IFwiYmFyXCJ9XG4iLCJUaW1lc3RhbXAiOiIyMDI1LTAyLTI4VDE5OjE4OjE" +
  'xWiJ9fQ==","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEQCIDomiuYV' +
  'gNKyfYz/leqvtEY2xuifteigjq+LfShu92BBAiBxixsGZNYBVRhGjX6OZiPQBIoUf+i8VgPh//AT/z4Vgg=="}]}}';
const COSIGN_TESTDATA_SUBJECT =
  "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

describe("a real bundle from cosign's test data", () => {
  const blob = Buffer.from(COSIGN_TESTDATA_BUNDLE);

  it("parses completely: certificate, log entry with inclusion proof, DSSE envelope", () => {
    const b = parseSigstoreBundle(blob);
    expect(b.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(b.verificationMaterial.certificate?.length).toBeGreaterThan(500);
    const [entry] = b.verificationMaterial.tlogEntries;
    expect(entry).toMatchObject({
      logIndex: "175508996",
      kindVersion: { kind: "dsse", version: "0.0.1" },
      integratedTime: "1740770291",
      inclusionProof: { treeSize: "53604735" },
    });
    expect(entry?.inclusionProof?.hashes).toHaveLength(16);
    expect(entry?.inclusionProof?.checkpoint).toMatch(/^rekor\.sigstore\.dev - /);
    expect(b.content.kind === "dsse" && b.content.envelope.payloadType).toBe(
      "application/vnd.in-toto+json",
    );
  });

  it("its DSSE signature verifies with the certificate's key over PAE, through our steps", async () => {
    const b = parseSigstoreBundle(blob);
    const cert = new X509Certificate(Buffer.from(b.verificationMaterial.certificate as Uint8Array));
    const key = loadPublicKey(cert.publicKey.export({ type: "spki", format: "pem" }).toString(), {
      name: "fulcio-leaf",
    });
    const candidates = await referrerCandidates(COSIGN_TESTDATA_SUBJECT, blob);
    const any = { options: { acceptedPredicateTypes: "any" as const } };
    const r = verify(COSIGN_TESTDATA_SUBJECT, candidates, [key], any);
    expect(r.verified && r.key.name).toBe("fulcio-leaf");
    // The same bundle is an attestation, not a cosign signature, and about one image only.
    expect(codes(verify(COSIGN_TESTDATA_SUBJECT, candidates, [key]))).toEqual([
      "PREDICATE_TYPE_NOT_ACCEPTED",
    ]);
    expect(codes(verify(imageManifest().digest, candidates, [key], any))).toEqual([
      "SUBJECT_MISMATCH",
    ]);
    // And the PAE the test support computes agrees with ours on it.
    if (b.content.kind === "dsse") {
      const { payloadType, payload } = b.content.envelope;
      expect(Buffer.from(dssePae(payloadType, payload)).equals(pae(payloadType, payload))).toBe(
        true,
      );
    }
  });

  it('reads an int64 protobuf JSON left out (its zero value) as "0"', () => {
    const json = JSON.parse(COSIGN_TESTDATA_BUNDLE);
    const [written] = json.verificationMaterial.tlogEntries;
    delete written.integratedTime;
    delete written.logIndex;
    delete written.inclusionProof.logIndex;
    const [entry] = parseSigstoreBundle(Buffer.from(JSON.stringify(json))).verificationMaterial
      .tlogEntries;
    expect(entry).toMatchObject({
      integratedTime: "0",
      logIndex: "0",
      inclusionProof: { logIndex: "0", treeSize: "53604735" },
    });
    // A value that is present is kept, and one of the wrong type is still refused.
    written.integratedTime = "17";
    expect(
      parseSigstoreBundle(Buffer.from(JSON.stringify(json))).verificationMaterial.tlogEntries[0]
        ?.integratedTime,
    ).toBe("17");
    written.integratedTime = "soon";
    expect(() => parseSigstoreBundle(Buffer.from(JSON.stringify(json)))).toThrow(/integratedTime/);
  });
});
