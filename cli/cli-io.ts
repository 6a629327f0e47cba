/** Where commands write and how they end: real stdio in the binary, captured in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
  env: process.env,
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
export function captureIo(env: NodeJS.ProcessEnv = {}): CapturedIo {
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
    },
    stdout,
    stderr,
    get exitCode() {
      return code;
    },
  };
}
