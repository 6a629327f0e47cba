import type { ImageRef } from "../../shared/domain/image.ts";
import type { Registry } from "../../shared/ports.ts";

/** The image a release acts on, in its registry, and who is releasing it. */
export interface ReleaseTarget {
  image: ImageRef;
  registry: Registry;
  principal: string;
  /** What "released" means in this registry, for the text output. */
  releasedNote: string;
  /** Frees the registry client's sockets. */
  close(): void;
}
