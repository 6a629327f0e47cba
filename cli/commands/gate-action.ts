import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { gateDecision } from "../../shared/domain/severity-gate.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";
import { CliUsageError, EXIT } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { formatVerdict, verdictJson } from "../format-verdict.ts";
import { loadPolicyFile } from "../load-policy-file.ts";
import { parseNow, parseTime, readJsonFile } from "../read-input.ts";
import { FINDINGS_FORMATS, type GateOptions } from "./gate-command.ts";

export function runGate(opts: GateOptions, io: CliIo): void {
  if (!(FINDINGS_FORMATS as readonly string[]).includes(opts.format)) {
    throw new CliUsageError(
      "CLI_FORMAT",
      `--format ${opts.format}: expected one of ${FINDINGS_FORMATS.join(", ")}`,
    );
  }
  const now = parseNow(opts.now);
  const pushedAt =
    opts.pushedAt === undefined ? undefined : parseTime(opts.pushedAt, "--pushed-at").toISOString();
  const loaded = loadPolicyFile(opts.policy);
  const scan = parseFindingsDocument(
    readJsonFile(opts.findings, "--findings"),
    opts.format as (typeof FINDINGS_FORMATS)[number],
  );
  const policy = resolvePolicy(loaded, opts.repository);
  const decision = gateDecision({ scan, policy, now, ...(pushedAt ? { pushedAt } : {}) });
  if (decision.status === "pending") {
    io.out(
      opts.json
        ? JSON.stringify(
            {
              schemaVersion: 1,
              verdict: "pending",
              repository: opts.repository,
              retryAfter: decision.retryAfter,
            },
            null,
            2,
          )
        : `PENDING  ${opts.repository}: scan not complete; it fails the gate after ${decision.retryAfter}`,
    );
    io.exit(EXIT.failed);
    return;
  }
  io.out(
    opts.json
      ? JSON.stringify(verdictJson(decision.verdict, policy), null, 2)
      : formatVerdict(decision.verdict, policy),
  );
  io.exit(decision.verdict.verdict === "pass" ? EXIT.ok : EXIT.failed);
}
