// node:http loaded through require(): no ESM namespace of its exports is built.
import { createRequire } from "node:module";

const http = createRequire(import.meta.url)("node:http") as typeof import("node:http");

export const handler = async () => http.Agent.name;
