/** Stages whose data must survive a mistaken `sst remove` or a careless deploy. */
export const PROTECTED_STAGES: readonly string[] = ["production", "prod"];

/** Protected stages get deletion protection and retained resources; every other stage is disposable. */
export function isProtectedStage(stage: string): boolean {
  return PROTECTED_STAGES.includes(stage);
}
