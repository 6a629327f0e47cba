#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the source you read is the code that runs.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
