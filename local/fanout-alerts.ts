import type { Alert, Alerts } from "../shared/ports.ts";

/** Some alert sinks failed; the others delivered. */
export class AlertFanoutError extends Error {
  readonly code = "LOCAL_ALERT_FANOUT";
  readonly failures: { sink: string; error: unknown }[];
  constructor(failures: { sink: string; error: unknown }[]) {
    super(
      `alert not delivered to ${failures.map((f) => `${f.sink} (${f.error instanceof Error ? f.error.message : String(f.error)})`).join(", ")}; the event is retried`,
    );
    this.name = "AlertFanoutError";
    this.failures = failures;
  }
}

/**
 * One alert to every sink (console and JSONL file, a webhook). A sink that fails makes the
 * publish fail, so the pipeline's step fails and the event is retried: the alert-sent record is
 * written only once every subscriber has it (the others then see it twice, as SNS would redeliver).
 */
export class FanoutAlerts implements Alerts {
  private readonly sinks: { name: string; alerts: Alerts }[];

  constructor(sinks: { name: string; alerts: Alerts }[]) {
    this.sinks = sinks;
  }

  async publish(alert: Alert): Promise<{ messageId?: string }> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.alerts.publish(alert)));
    const failures = results.flatMap((r, i) =>
      r.status === "rejected" ? [{ sink: this.sinks[i]?.name ?? "?", error: r.reason }] : [],
    );
    if (failures.length > 0) throw new AlertFanoutError(failures);
    for (const r of results) if (r.status === "fulfilled" && r.value.messageId) return r.value;
    return {};
  }
}
