// zod imported as `import { z }`, the form the project uses: the whole `z` namespace is kept.
import { z } from "zod";

const schema = z.object({ id: z.string() });

export const handler = async (event: unknown) => schema.parse(event);
