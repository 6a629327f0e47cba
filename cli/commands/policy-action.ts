import { policyJsonSchema } from "../../shared/domain/policy-json-schema.ts";
import { PolicyError } from "../../shared/domain/policy-load.ts";
import { EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { loadPolicyFile } from "../load-policy-file.ts";

export function runPolicyValidate(file: string, opts: { json?: boolean }, io: CliIo): void {
  try {
    const loaded = loadPolicyFile(file);
    const doc = loaded.document;
    const summary = {
      schemaVersion: 1,
      valid: true,
      file,
      version: loaded.version,
      overrides: doc.repositories?.length ?? 0,
      allowlistEntries: doc.allowlist?.length ?? 0,
    };
    const entries = summary.allowlistEntries === 1 ? "entry" : "entries";
    io.out(
      opts.json
        ? JSON.stringify(summary, null, 2)
        : `${file}: valid (version ${summary.version}, ${summary.overrides} override(s), ${summary.allowlistEntries} allowlist ${entries})`,
    );
    io.exit(EXIT.ok);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    io.out(
      opts.json
        ? JSON.stringify(
            { schemaVersion: 1, valid: false, file, code: err.code, issues: err.issues },
            null,
            2,
          )
        : err.message,
    );
    io.exit(EXIT.failed);
  }
}

export function runPolicySchema(io: CliIo): void {
  io.out(JSON.stringify(policyJsonSchema(), null, 2));
  io.exit(EXIT.ok);
}
