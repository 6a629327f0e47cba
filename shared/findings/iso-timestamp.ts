/**
 * A scanner's timestamp → ISO 8601 UTC, or undefined when there is none or it does not parse.
 * Accepts an SDK Date, an ISO string with any offset (Go's RFC 3339 with nanoseconds too), or
 * epoch seconds (the AWS CLI v1's default).
 */
export function isoTimestamp(value: Date | string | number | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  const d =
    value instanceof Date
      ? value
      : typeof value === "number"
        ? new Date(value * 1000)
        : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
