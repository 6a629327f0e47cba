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
