// zod imported as `import * as z` (zod's documented form): esbuild drops what is not used.
import * as z from "zod";

const schema = z.object({ id: z.string() });

export const handler = async (event: unknown) => schema.parse(event);
