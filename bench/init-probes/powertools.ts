// Powertools Logger and Metrics wrapped around a handler with middy, as every function does.
import { observability } from "../../functions/runtime/observability.ts";

const { wrap } = observability("init-probe");

export const handler = wrap(async (_event: unknown) => ({ ok: true }));
