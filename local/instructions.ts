import { relative } from "node:path";

export interface InstructionsInput {
  registryPort: number;
  receiverUrl: string;
  dynamodbEndpoint: string;
  tableName: string;
  /** Absolute paths, shown relative to `cwd`. */
  dataDir: string;
  alertsFile: string;
  secretFile: string;
  /** The secret, masked (receiver-secret.ts maskSecret). */
  secretMasked: string;
  policyFile: string;
  policyVersion: string;
  alertWebhook?: string;
  /** Whether package.json has an `attach-report` script; else the tsx command is shown. */
  attachScript: boolean;
  cwd: string;
}

/** Shown paths: relative to where the user is, so they can be pasted. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/**
 * What `npm start` prints once everything is up: where things run, and the exact commands to
 * push, attach a report, watch alerts, query and verify the audit trail, and release.
 */
export function instructions(i: InstructionsInput): string {
  const reg = `localhost:${i.registryPort}`;
  const alerts = shown(i.alertsFile, i.cwd);
  const aws = "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local";
  const table = `--endpoint-dynamodb ${i.dynamodbEndpoint} --table ${i.tableName}`;
  const attach = i.attachScript ? "npm run attach-report --" : "npx tsx local/attach-report.ts";
  const lines = [
    "",
    "registry-guard is running on this machine (127.0.0.1 only):",
    `  registry     http://127.0.0.1:${i.registryPort}   CNCF distribution; data in ${shown(i.dataDir, i.cwd)}/registry`,
    `  receiver     ${i.receiverUrl}/webhooks/distribution   secret ${i.secretMasked} in ${shown(i.secretFile, i.cwd)}`,
    `  audit trail  ${i.dynamodbEndpoint}   DynamoDB API (dynalite), table ${i.tableName}`,
    `  policy       ${shown(i.policyFile, i.cwd)} (version ${i.policyVersion})`,
    `  alerts       this console, ${alerts}${i.alertWebhook ? `, POST ${i.alertWebhook}` : ""}`,
    "  sweep        every minute: images still without a scan report after their scanTimeout fail",
    "",
    "1. Push an image (plain HTTP, no login), e.g.:",
    `     skopeo copy --dest-tls-verify=false docker://docker.io/library/alpine:3.20 docker://${reg}/prod/alpine:3.20`,
    `     crane copy --insecure alpine:3.20 ${reg}/prod/alpine:3.20`,
    `     oras push --plain-http ${reg}/sandbox/notes:1.0 notes.txt`,
    "   Its digest:",
    `     skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://${reg}/prod/alpine:3.20`,
    "",
    "2. Attach a scan report: this is what triggers the gate on an OCI registry:",
    `     trivy image --insecure --format json -o trivy.json ${reg}/prod/alpine:3.20`,
    `     ${attach} --image ${reg}/prod/alpine@sha256:<digest> --report trivy.json`,
    "   (a failing sample report: local/samples/trivy-fail.json; `npm start -- --demo` runs all of this)",
    "",
    "3. Watch alerts:",
    `     tail -f ${alerts}`,
    "",
    "4. Query and verify the audit trail:",
    `     ${aws} npm run registry-guard -- audit query --repository oci:127.0.0.1:${i.registryPort}/prod/alpine ${table}`,
    `     ${aws} npm run registry-guard -- audit verify ${table}`,
    "",
    "5. Release a quarantined image after review:",
    `     ${aws} npm run registry-guard -- release 127.0.0.1:${i.registryPort}/prod/alpine@sha256:<digest> \\`,
    `       --registry http://127.0.0.1:${i.registryPort} --reason "<why it is safe>" ${table}`,
    "",
    `Ctrl-C stops everything; the data stays in ${shown(i.dataDir, i.cwd)}/ for the next start.`,
    "",
  ];
  return lines.join("\n");
}
