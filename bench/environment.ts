// What the figures were measured on: printed first, since every figure depends on it.
import { arch, cpus, freemem, loadavg, platform, totalmem } from "node:os";

export interface Environment {
  node: string;
  v8: string;
  os: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load average when the run started: other work on the machine skews the figures. */
  load1: number;
}

export function environment(): Environment {
  const cpuList = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${arch()}`,
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    load1: loadavg()[0] ?? 0,
  };
}

export function printEnvironment(env: Environment): void {
  const lines = [
    `node ${env.node} (V8 ${env.v8}) on ${env.os}`,
    `CPU: ${env.cpuModel}, ${env.cores} cores; memory ${env.memoryGiB} GiB (${Math.round(freemem() / 2 ** 30)} GiB free)`,
    `load average (1 min) at start: ${env.load1.toFixed(2)}`,
  ];
  process.stdout.write(`registry-guard benchmarks\n${lines.map((l) => `  ${l}\n`).join("")}`);
}
