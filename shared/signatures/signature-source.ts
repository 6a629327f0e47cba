/** Where cosign keeps a signature, as the source that found it reports it. */
export type SignatureSource =
  | {
      /** The `sha256-<hex>.sig` tag next to the image: simple-signing layers. */
      kind: "legacy-tag";
      /** Digest of the signature manifest (computed from its bytes). */
      manifestDigest: string;
      tag?: string;
    }
  | {
      /** An OCI 1.1 referrer of the image (referrers API or its tag fallback). */
      kind: "referrer";
      manifestDigest: string;
      /** The referrer's artifactType (or config media type when it has none). */
      artifactType?: string;
      /** The referrer's `subject.digest`, as written in it. */
      subjectDigest?: string;
    };
