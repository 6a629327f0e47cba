import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { captureIo } from "../../cli/cli-io.ts";
import {
  announcePlanned,
  type ProgressStream,
  retentionProgressBar,
} from "../../cli/retention-progress-bar.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type { RetentionProgress } from "../../shared/retention/retention-progress.ts";

const RUN: RetentionProgress[] = [
  { kind: "repositories", total: 2 },
  { kind: "planned", repository: "team/api", artifacts: 5, deletions: 2 },
  { kind: "planned", repository: "team/web", artifacts: 3, deletions: 0 },
  { kind: "deleted", repository: "team/api", done: 1, total: 2 },
  { kind: "repository-done", repository: "team/web" },
  { kind: "deleted", repository: "team/api", done: 2, total: 2 },
  { kind: "repository-done", repository: "team/api" },
];

/** A stream that says it is a terminal and keeps what is written. */
function fakeTerminal(): { stream: ProgressStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number };
  stream.isTTY = true;
  stream.columns = 160;
  return { stream, text: () => chunks.join("") };
}

describe("retention progress without a terminal", () => {
  it("prints one line per repository done, in the order they finish", () => {
    const cap = captureIo();
    const view = retentionProgressBar(cap.io, { apply: true });
    for (const e of RUN) view.onProgress(e);
    view.stop();
    expect(cap.stderr).toEqual([
      "[1/2] team/web: 3 artifacts, nothing to delete",
      "[2/2] team/api: 5 artifacts, 2/2 deleted",
    ]);
    expect(cap.stdout).toEqual([]);
  });

  it("on a dry run says what is to be deleted", () => {
    const cap = captureIo();
    const view = retentionProgressBar(cap.io, { apply: false });
    for (const e of RUN.filter((e) => e.kind !== "deleted")) view.onProgress(e);
    expect(cap.stderr).toEqual([
      "[1/2] team/web: 3 artifacts, nothing to delete",
      "[2/2] team/api: 5 artifacts, 2 to delete",
    ]);
  });

  it("copes with a repository that reports deletions before any plan (an applied plan file)", () => {
    const cap = captureIo();
    const view = retentionProgressBar(cap.io, { apply: true });
    view.onProgress({ kind: "deleted", repository: "r", done: 1, total: 1 });
    view.onProgress({ kind: "repository-done", repository: "r" });
    expect(cap.stderr).toEqual(["[1] r: 1/1 deleted"]);
  });
});

describe("retention progress on a terminal", () => {
  it("draws bars on the stream and leaves a line per finished repository, nothing on io", () => {
    const cap = captureIo();
    const term = fakeTerminal();
    const view = retentionProgressBar(cap.io, { apply: true, stream: term.stream });
    for (const e of RUN) view.onProgress(e);
    view.stop();
    const text = term.text();
    expect(text).toContain("[1/2] team/web: 3 artifacts, nothing to delete\n");
    expect(text).toContain("[2/2] team/api: 5 artifacts, 2/2 deleted\n");
    // The bars themselves: the repositories bar and a bar per repository being worked on.
    expect(text).toContain("repositories");
    expect(text).toMatch(/team\/api +\S+ \d\/2/);
    // The cursor is shown again at the end.
    expect(text).toContain("\u001b[?25h");
    expect(cap.stderr).toEqual([]);
  });
});

describe("announcePlanned", () => {
  it("tells a plan file's counts before a repository's first deletion, once", () => {
    const seen: RetentionProgress[] = [];
    const plan = {
      repositories: [
        { repository: "a", artifacts: [{}, {}, {}], deleted: 2 },
        { repository: "b", artifacts: [{}], deleted: 0 },
      ],
    } as unknown as RetentionPlan;
    const on = announcePlanned(plan, (e) => seen.push(e));
    on({ kind: "repositories", total: 2 });
    on({ kind: "deleted", repository: "a", done: 1, total: 2 });
    on({ kind: "deleted", repository: "a", done: 2, total: 2 });
    on({ kind: "repository-done", repository: "b" });
    expect(seen).toEqual([
      { kind: "repositories", total: 2 },
      { kind: "planned", repository: "a", artifacts: 3, deletions: 2 },
      { kind: "deleted", repository: "a", done: 1, total: 2 },
      { kind: "deleted", repository: "a", done: 2, total: 2 },
      { kind: "planned", repository: "b", artifacts: 1, deletions: 0 },
      { kind: "repository-done", repository: "b" },
    ]);
  });
});
