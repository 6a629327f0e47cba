// `npm start`: the whole pipeline on this machine (docs/local.md). Starts the CNCF distribution
// registry, dynalite, the webhook receiver and the pipeline; prints how to use them; Ctrl-C
// stops everything it started.
import { readFileSync } from "node:fs";
import { loadPolicy, PolicyError } from "../shared/domain/policy-load.ts";
import { consoleLog } from "./console-log.ts";
import { runDemo } from "./demo.ts";
import { instructions } from "./instructions.ts";
import { parseMainOptions } from "./main-options.ts";
import { outcomeLine } from "./outcome-line.ts";
import { maskSecret } from "./receiver-secret.ts";
import { type LocalRuntime, startLocalRuntime } from "./runtime.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

function die(message: string): never {
  err(`registry-guard: ${message}`);
  process.exit(1);
}

const opts = parseMainOptions(process.argv);
let policy: ReturnType<typeof loadPolicy>;
try {
  policy = loadPolicy(readFileSync(opts.policy, "utf8"), opts.policy);
} catch (e) {
  if (e instanceof PolicyError) die(e.message);
  die(`--policy ${opts.policy}: ${(e as Error).message}`);
}

let rt: LocalRuntime | undefined;
let shuttingDown = false;
async function shutdown(code: number): Promise<never> {
  if (shuttingDown) process.exit(code);
  shuttingDown = true;
  err("registry-guard: stopping the registry, the receiver and the local DynamoDB …");
  await rt?.stop();
  err("registry-guard: stopped; nothing is left running.");
  process.exit(code);
}

const log = consoleLog(err, opts.verbose);
try {
  rt = await startLocalRuntime({
    dataDir: opts.dataDir,
    registryPort: opts.registryPort,
    receiverPort: opts.receiverPort,
    dynamodbPort: opts.dynamodbPort,
    tableName: opts.table,
    policy,
    alertsOut: process.stdout,
    ...(opts.alertWebhook ? { alertWebhook: opts.alertWebhook } : {}),
    log,
    notice: err,
    onOutcome: (o) => {
      const line = outcomeLine(o);
      if (line) out(line);
    },
    onRegistryExit: (detail) => {
      err(`registry-guard: ${detail}`);
      void shutdown(1);
    },
  });
} catch (e) {
  // Our own errors (ports, the registry binary, the secret) say what to do; others get context.
  const own = typeof (e as { code?: unknown }).code === "string";
  die(own ? (e as Error).message : `could not start: ${(e as Error).message}`);
}

let firstSignalAt = 0;
const onSignal = () => {
  if (!shuttingDown) {
    firstSignalAt = Date.now();
    void shutdown(0);
    return;
  }
  // The same Ctrl-C can arrive twice (terminal and wrapper); a later one means: stop now.
  if (Date.now() - firstSignalAt < 2000) return;
  rt?.registryProcess().signal("SIGKILL");
  process.exit(130);
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

if (rt.secretCreated)
  err(`registry-guard: generated the receiver secret in ${rt.dir.secret} (mode 0600)`);
out(
  instructions({
    registryPort: Number(new URL(rt.registryUrl).port),
    receiverUrl: rt.receiverUrl,
    dynamodbEndpoint: rt.dynamodbEndpoint,
    tableName: rt.tableName,
    dataDir: rt.dir.root,
    alertsFile: rt.dir.alerts,
    secretFile: rt.dir.secret,
    secretMasked: maskSecret(rt.secret),
    policyFile: opts.policy,
    policyVersion: policy.version,
    ...(opts.alertWebhook ? { alertWebhook: opts.alertWebhook } : {}),
    attachScript: hasAttachScript(),
    cwd: process.cwd(),
  }),
);

if (opts.demo) {
  try {
    await runDemo(rt, out);
    out("The demo is done; registry-guard keeps running. Ctrl-C to stop.");
  } catch (e) {
    err(`registry-guard: the demo failed: ${(e as Error).message}`);
    await shutdown(1);
  }
}

function hasAttachScript(): boolean {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      scripts?: Record<string, string>;
    };
    return typeof pkg.scripts?.["attach-report"] === "string";
  } catch {
    return false;
  }
}
