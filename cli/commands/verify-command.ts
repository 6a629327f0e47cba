import type { Command } from "commander";
import type { CliIo } from "../cli-io.ts";
import { helpAfter } from "../help-text.ts";
import { addRegistryOptions, type RegistryOptions } from "../registry-options.ts";

export interface VerifyOptions extends RegistryOptions {
  key?: string[];
  kmsKey?: string[];
  identity?: string[];
  identityRegexp?: boolean;
  trustedRoot?: string;
  policy?: string;
  repository?: string;
  trustFile?: string;
  trustStore?: string;
  trustedIdentity?: string[];
  matchReference?: boolean;
  registryId?: string;
  region?: string;
  json?: boolean;
}

/** A repeatable option: each use adds one value. */
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function verifyCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command("verify")
    .description(
      "verify an image's cosign (key-based or keyless) or Notation signatures in ECR, an OCI registry or an OCI layout directory",
    )
    .argument(
      "<image>",
      "ECR: REPOSITORY@sha256:<digest> or REPOSITORY:TAG, an image key or an ECR image URI; OCI (with --registry): REPOSITORY@sha256:… or REPOSITORY:TAG, optionally host[:port]/ in front; on disk: oci-layout:DIR@sha256:…, oci-layout:DIR:TAG or oci-layout:DIR",
    )
    .option("--key <file>", "trust this public key (PEM or DER); repeat for several", collect)
    .option(
      "--kms-key <arn>",
      "trust this AWS KMS key (key or alias ARN; its public key is fetched with kms:GetPublicKey); repeat for several",
      collect,
    )
    .option(
      "--identity <issuer=subject>",
      "keyless: trust certificates Fulcio issued to SUBJECT for an OIDC token of ISSUER; repeat for several",
      collect,
    )
    .option("--identity-regexp", "read each --identity SUBJECT as a regular expression (anchored)")
    .option(
      "--trusted-root <file>",
      "keyless: the Sigstore trusted_root.json to check certificates and log entries against (nothing is fetched)",
    )
    .option(
      "--trust-store <dir>",
      "Notation: trust signatures whose certificate chain reaches a PEM CA or signing-authority certificate in DIR",
    )
    .option(
      "--trusted-identity <identity>",
      'Notation: trust leaf certificates with this subject ("x509.subject: C=US, ST=WA, O=Acme", or "*"); repeat for several',
      collect,
    )
    .option(
      "--policy <file>",
      "registry-guard.yaml: trust what its signatures section trusts for the image's repository (keys, identities, notation, matchReference)",
    )
    .option(
      "--repository <name>",
      "with --policy and an oci-layout: image: the repository whose signatures section applies",
    )
    .option(
      "--trust-file <file>",
      "a standalone trust file listing keys, identities, trustedRoot and notation (docs/signatures.md#trust-file)",
    )
    .option(
      "--match-reference",
      "require each signature to name the image's repository (stops a signature being replayed to another repository)",
    );
  addRegistryOptions(cmd)
    .option("--registry-id <id>", "ECR: 12-digit registry (account) id (default: your AWS account)")
    .option("--region <region>", "ECR: the registry's region (default: your AWS configuration)")
    .option("--json", "print the verification result as JSON (docs/signatures.md)")
    .addHelpText(
      "after",
      [
        "",
        "Reads the signatures where cosign keeps them (the sha256-<hex>.sig tag, OCI 1.1 referrers",
        "holding Sigstore bundles) and checks each until one verifies: the signature over the exact",
        "signed bytes, the digest it names against the manifest fetched, its type and (with",
        "--match-reference) its repository. Prints one line per signature tried. Nothing is changed.",
        helpAfter(
          [
            "registry-guard verify team/api@sha256:<digest> --key cosign.pub --region eu-west-1",
            "registry-guard verify team/api:v1.2.0 --registry https://registry.example.com --key cosign.pub --match-reference",
            "registry-guard verify team/api:v1.2.0 --policy registry-guard.yaml --region eu-west-1",
            "registry-guard verify oci-layout:./out/api --policy registry-guard.yaml --repository prod/api --json",
            "registry-guard verify oci-layout:./out/api --trust-file trust.yaml",
            'registry-guard verify team/api:v1.2.0 --trust-store ./notation-ca --trusted-identity "x509.subject: C=US, ST=WA, O=Acme"',
            "registry-guard verify ghcr.io/org/app:v1 --registry https://ghcr.io \\\n      --identity https://token.actions.githubusercontent.com='https://github.com/org/app/.*' --identity-regexp \\\n      --trusted-root trusted_root.json",
          ],
          "0 verified, 1 not verified (each signature tried is listed with why it failed), 2 bad input or no such image, 3 could not complete.",
        ),
      ].join("\n"),
    )
    .action(async (image: string, opts: VerifyOptions) => {
      const { runVerify } = await import("./verify-action.ts");
      await runVerify(image, opts, io);
    });
}
