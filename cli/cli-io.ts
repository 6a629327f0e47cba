/** Where commands write and how they end: real stdio in the binary, captured in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
  env: NodeJS.ProcessEnv;
  /** All of standard input (`--registry-password-stdin`), read once when a command asks. */
  readStdin(): Promise<string>;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
  env: process.env,
  readStdin: readProcessStdin,
};

export interface CapturedIo {
  io: CliIo;
  /** Everything written to stdout, one entry per write. */
  stdout: string[];
  stderr: string[];
  /** The last exit code set; undefined when no command ended. */
  readonly exitCode: number | undefined;
}

/** A CliIo that keeps what commands write, for tests and for embedding the CLI. */
export function captureIo(env: NodeJS.ProcessEnv = {}, stdin = ""): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let code: number | undefined;
  return {
    io: {
      out: (t) => stdout.push(t),
      err: (t) => stderr.push(t),
      exit: (c) => {
        code = c;
      },
      env,
      readStdin: async () => stdin,
    },
    stdout,
    stderr,
    get exitCode() {
      return code;
    },
  };
}
