// `npm run attach-report -- --image localhost:5000/prod/app@sha256:… --report trivy.json`:
// attaches a Trivy (or Grype) JSON report to an image as an OCI artifact whose `subject` is
// the image, listed in the `sha256-<hex>` referrers index on a registry without the referrers
// API. The local runtime's registry notifies the pipeline, which gates the image.
import { readFile } from "node:fs/promises";
import { Command, CommanderError } from "commander";
import { OciClient } from "../shared/adapters/oci/oci-client.ts";
import { OciRegistryError } from "../shared/adapters/oci/oci-errors.ts";
import { tagDigest } from "../shared/adapters/oci/oci-manifest.ts";
import { AttachReportError, attachScanReport, reportMediaType } from "./attach-scan-report.ts";
import { ImageReferenceError, parseImageReference, registryUrlFor } from "./image-reference.ts";

const EXIT = { ok: 0, badInput: 2, error: 3 } as const;

interface Options {
  image: string;
  report: string;
  insecure?: boolean;
}

function fail(code: number, message: string): never {
  process.stderr.write(`attach-report: ${message}\n`);
  process.exit(code);
}

const program = new Command("attach-report")
  .description(
    "attach a Trivy or Grype JSON report to an image as an OCI artifact (subject = the image)",
  )
  .requiredOption("--image <ref>", "the image: HOST:PORT/REPOSITORY@sha256:… (or :TAG)")
  .requiredOption("--report <file>", "trivy image --format json (or grype -o json) output")
  .option("--insecure", "plain HTTP to a registry that is not on loopback")
  .addHelpText(
    "after",
    "\nExample:\n  npm run attach-report -- --image localhost:5000/prod/app@sha256:<digest> --report trivy.json\n\nExit codes: 0 attached, 2 bad input (nothing pushed), 3 registry error.",
  )
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

let opts: Options;
try {
  opts = program.parse(process.argv).opts<Options>();
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT.badInput);
  throw err;
}

let report: Buffer;
try {
  report = await readFile(opts.report);
} catch (err) {
  fail(
    EXIT.badInput,
    `--report ${opts.report}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
  );
}

// Bad input is found before anything is sent to the registry.
try {
  reportMediaType(report);
} catch (err) {
  if (err instanceof AttachReportError)
    fail(EXIT.badInput, `--report ${opts.report}: ${err.message}`);
  throw err;
}

const client = (() => {
  try {
    const ref = parseImageReference(opts.image);
    return { ref, client: new OciClient({ url: registryUrlFor(ref.host, opts.insecure) }) };
  } catch (err) {
    if (err instanceof ImageReferenceError) fail(EXIT.badInput, err.message);
    throw err;
  }
})();

try {
  const { ref } = client;
  const digest = ref.digest ?? (await tagDigest(client.client, ref.repository, ref.tag ?? ""));
  if (!digest) fail(EXIT.badInput, `no tag ${ref.tag} in ${ref.host}/${ref.repository}`);
  const result = await attachScanReport(client.client, {
    repository: ref.repository,
    digest,
    report,
    fileName: opts.report.split("/").at(-1) ?? "report.json",
  });
  process.stdout.write(
    `attached ${result.artifactType} ${result.digest}\n  to ${ref.host}/${ref.repository}@${digest}\n` +
      `  listed via ${result.listedVia === "tag-schema" ? `the referrers tag ${result.referrersTag}` : "the registry's referrers API"}\n`,
  );
  client.client.close();
} catch (err) {
  client.client.close();
  if (err instanceof AttachReportError) fail(EXIT.badInput, err.message);
  if (err instanceof OciRegistryError) fail(EXIT.error, err.message);
  throw err;
}
