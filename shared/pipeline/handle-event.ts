import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import type { IgnoredEvent, RegistryEvent } from "../domain/registry-event.ts";
import { recordStep, type StepContext } from "./audit-step.ts";
import { decideImage } from "./decide-image.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";

/** Routes one normalized event to its use case. Every path is idempotent by event id. */
export async function handleEvent(
  deps: PipelineDeps,
  event: RegistryEvent | IgnoredEvent,
): Promise<PipelineOutcome> {
  if (event.kind === "ignored") {
    deps.log.info("event ignored", {
      eventId: event.eventId,
      source: event.source,
      reason: event.reason,
    });
    return {
      eventId: event.eventId,
      kind: "ignored",
      status: "ignored",
      steps: [],
      note: event.reason,
    };
  }
  const ctx: StepContext = {
    eventId: event.eventId,
    eventType: event.kind,
    ...(event.principal ? { principal: event.principal } : {}),
  };
  const recorded = (
    image: ImageRef,
    step: Awaited<ReturnType<typeof recordStep>>,
  ): PipelineOutcome => ({
    eventId: event.eventId,
    kind: event.kind,
    image: imageKey(image),
    status: "recorded",
    steps: [step],
  });

  switch (event.kind) {
    case "image-pushed": {
      // The digest we record is computed from the manifest we fetch, never the one reported.
      const resolved = await deps.registry.resolveImage(event.image);
      if (!resolved) return gone(event.eventId, event.kind, event.image);
      const image = { ...resolved.ref, tags: union(resolved.ref.tags, event.image.tags) };
      const step = await recordStep(deps.audit, ctx, image, "event-received", {
        detail: {
          source: event.source,
          pushedAt: event.time,
          mediaType: event.mediaType ?? resolved.mediaType,
        },
      });
      return recorded(image, step);
    }
    // Deletions, CloudTrail push records and referrers are only recorded, never acted on, so
    // they are filed under the digest the event names: a deleted image has no manifest left to
    // hash, and a wrong digest here can cause no action, only a record nobody's chain expects.
    case "image-deleted":
      return recorded(
        event.image,
        await recordStep(deps.audit, ctx, event.image, "image-deleted", {
          detail: { source: event.source },
        }),
      );
    case "push-recorded":
      return recorded(
        event.image,
        await recordStep(deps.audit, ctx, event.image, "push-recorded", {
          detail: { source: event.source, sourceIp: event.sourceIp, userAgent: event.userAgent },
        }),
      );
    case "referrer-pushed": {
      // Recorded on the subject's chain, where a reviewer looks for its signatures; when the
      // event does not name the subject, on the referrer's own chain.
      const chain: ImageRef = event.subjectDigest
        ? { ...event.image, digest: event.subjectDigest, tags: [] }
        : event.image;
      return recorded(
        chain,
        await recordStep(deps.audit, ctx, chain, "referrer-recorded", {
          detail: {
            referrerDigest: event.image.digest,
            subjectDigest: event.subjectDigest ?? null,
            artifactType: event.artifactType,
          },
        }),
      );
    }
    case "scan-completed":
      return decideImage(deps, {
        ...ctx,
        image: event.image,
        received: {
          source: event.source,
          scanType: event.scanType,
          status: event.status,
          reportedCounts: event.reportedCounts,
        },
      });
    case "scan-timeout-check":
      return decideImage(deps, { ...ctx, image: event.image, pushedAt: event.pushedAt });
  }
}

function gone(eventId: string, kind: string, image: ImageRef): PipelineOutcome {
  return { eventId, kind, image: imageKey(image), status: "image-gone", steps: [] };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
