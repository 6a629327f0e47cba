// The event parsers: zod schemas for every event source, built at module load.
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";

export const handler = async (event: unknown) => parseRegistryEvent(event);
