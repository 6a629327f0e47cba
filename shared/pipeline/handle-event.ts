import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import type {
  IgnoredEvent,
  ImagePushed,
  ReferrerPushed,
  RegistryEvent,
} from "../domain/registry-event.ts";
import { recordStep, type StepContext } from "./audit-step.ts";
import { decideImage } from "./decide-image.ts";
import { decideSignatures } from "./decide-signatures.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome, PipelineStep } from "./pipeline-outcome.ts";
import { recordedPushTime } from "./recorded-push-time.ts";
import { signatureSubject, tracedSignatureSubject } from "./signature-subject.ts";
import { ReferrerNotVisibleError, type Subject, subjectOf } from "./subject-of.ts";

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

  switch (event.kind) {
    case "image-pushed":
    case "referrer-pushed": {
      // On an OCI registry a push that refers to another image (a scan report being attached)
      // is about that image; ECR pushes and plain images never take this turn.
      const subject = await subjectOf(event, deps.registry);
      if (subject) return onSubjectReferred(deps, ctx, event, subject);
      // ECR: a signature referrer the event names no subject for (bundle, Notation) is traced
      // to it through its manifest, and then recorded on that subject's chain.
      const traced = await tracedSignatureSubject(event, deps.registry);
      const outcome =
        event.kind === "image-pushed"
          ? await onImagePushed(deps, ctx, event)
          : await onReferrerRecorded(
              deps,
              ctx,
              traced ? { ...event, subjectDigest: traced } : event,
            );
      // ECR: a signature (cosign's tag, or a traced referrer) verifies its subject at once. This
      // only verifies and records: failing an image is the deadline sweep's alone.
      const signed = signatureSubject(event, null) ?? traced;
      return signed
        ? withSignatures(deps, ctx, { ...event.image, digest: signed, tags: [] }, outcome)
        : outcome;
    }
    // Deletions and CloudTrail push records are only recorded, never acted on, so they are filed
    // under the digest the event names: a deleted image has no manifest left to hash, and a
    // wrong digest here can cause no action, only a record nobody's chain expects.
    case "image-deleted":
      return recorded(
        event,
        event.image,
        await recordStep(deps.audit, ctx, event.image, "image-deleted", {
          detail: { source: event.source },
        }),
      );
    case "push-recorded":
      return recorded(
        event,
        event.image,
        await recordStep(deps.audit, ctx, event.image, "push-recorded", {
          detail: { source: event.source, sourceIp: event.sourceIp, userAgent: event.userAgent },
        }),
      );
    case "scan-completed": {
      const pushedAt = await ociPushTime(deps, event.image);
      return decideImage(deps, {
        ...ctx,
        image: event.image,
        ...(pushedAt ? { pushedAt } : {}),
        received: {
          source: event.source,
          scanType: event.scanType,
          status: event.status,
          reportedCounts: event.reportedCounts,
        },
      });
    }
    case "scan-timeout-check":
      return decideImage(deps, { ...ctx, image: event.image, pushedAt: event.pushedAt });
  }
}

async function onImagePushed(
  deps: PipelineDeps,
  ctx: StepContext,
  event: ImagePushed,
): Promise<PipelineOutcome> {
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
  return recorded(event, image, step);
}

/**
 * A referrer that triggers nothing (ECR's, or one whose subject is unknown): recorded on the
 * subject's chain, where a reviewer looks for its signatures; when the event does not name the
 * subject, on the referrer's own chain.
 */
async function onReferrerRecorded(
  deps: PipelineDeps,
  ctx: StepContext,
  event: ReferrerPushed,
): Promise<PipelineOutcome> {
  const chain: ImageRef = event.subjectDigest
    ? { ...event.image, digest: event.subjectDigest, tags: [] }
    : event.image;
  return recorded(
    event,
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

/**
 * A push about another image (OCI): recorded on the subject's chain as a referrer (its event
 * type says so, so the scan-timeout sweep never mistakes a report for an image to scan), then
 * the subject is decided under this event's id. The scan timeout runs from the subject's push
 * time as its push notification recorded it: the registry has no push-time API.
 */
async function onSubjectReferred(
  deps: PipelineDeps,
  ctx: StepContext,
  event: ImagePushed | ReferrerPushed,
  subject: Subject,
): Promise<PipelineOutcome> {
  const refCtx: StepContext = { ...ctx, eventType: "referrer-pushed" };
  const step = await recordStep(deps.audit, refCtx, subject.image, "referrer-recorded", {
    detail: {
      referrerDigest: event.image.digest,
      subjectDigest: subject.image.digest,
      artifactType: subject.artifactType,
      referrerTags: event.image.tags,
      via: subject.via,
      source: event.source,
    },
  });
  if (subject.when === "later") {
    return {
      ...recorded(event, subject.image, step),
      note: "not listed as a referrer yet: the referrer list's own push decides",
    };
  }
  // Recorded above; the retry finds that record and goes on to decide.
  if (subject.when === "retry")
    throw new ReferrerNotVisibleError(event.image, subject.image.digest);
  const pushedAt = await recordedPushTime(deps.audit, subject.image);
  const outcome = await decideImage(deps, {
    ...refCtx,
    image: subject.image,
    ...(pushedAt ? { pushedAt } : {}),
  });
  const decided = { ...outcome, kind: event.kind, steps: [step, ...outcome.steps] };
  return signatureSubject(event, subject)
    ? withSignatures(deps, refCtx, subject.image, decided)
    : decided;
}

/**
 * A signature arrived for `subject`: verify it now when its repository requires signatures.
 * The signature steps follow the event's other steps; the outcome keeps the gate's status.
 */
async function withSignatures(
  deps: PipelineDeps,
  ctx: StepContext,
  subject: ImageRef,
  outcome: PipelineOutcome,
): Promise<PipelineOutcome> {
  const signed = await decideSignatures(deps, { ...ctx, image: subject, deadline: false });
  if (!signed) return outcome;
  return {
    ...outcome,
    steps: [...outcome.steps, ...signed.steps],
    ...(signed.note ? { note: [outcome.note, signed.note].filter(Boolean).join("; ") } : {}),
  };
}

/** On OCI the trail holds the only push time there is; ECR's registry reports its own. */
function ociPushTime(deps: PipelineDeps, image: ImageRef): Promise<string | undefined> {
  return image.registry === "oci"
    ? recordedPushTime(deps.audit, image)
    : Promise.resolve(undefined);
}

function recorded(event: RegistryEvent, image: ImageRef, step: PipelineStep): PipelineOutcome {
  return {
    eventId: event.eventId,
    kind: event.kind,
    image: imageKey(image),
    status: "recorded",
    steps: [step],
  };
}

function gone(eventId: string, kind: string, image: ImageRef): PipelineOutcome {
  return { eventId, kind, image: imageKey(image), status: "image-gone", steps: [] };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
