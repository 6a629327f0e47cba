/**
 * Durations in the policy are written the way people say them ("90s", "30m", "2h", "1d",
 * "1h30m") and carried as minutes, the unit the gate thinks in. A bare number is refused: "30"
 * could mean seconds or minutes, and guessing wrong turns a 30-minute scan timeout into a
 * 30-second one.
 */

export class DurationError extends Error {
  readonly code = "DURATION_INVALID";
  readonly input: string;

  constructor(input: string, reason: string) {
    super(`Invalid duration ${JSON.stringify(input)}: ${reason}`);
    this.name = "DurationError";
    this.input = input;
  }
}

const MINUTES_PER_UNIT = { d: 1440, h: 60, m: 1, s: 1 / 60 } as const;
type Unit = keyof typeof MINUTES_PER_UNIT;
const UNIT_ORDER: readonly Unit[] = ["d", "h", "m", "s"];
const EXAMPLES = "write a whole number with a unit s, m, h or d, e.g. 90s, 30m, 2h, 1d or 1h30m";

/** Parses "90s", "30m", "2h", "1d" or a descending combination like "1h30m" into minutes. */
export function parseDuration(text: string): number {
  if (typeof text !== "string")
    throw new DurationError(String(text), `expected a string; ${EXAMPLES}`);
  const input = text.trim();
  if (input === "") throw new DurationError(text, `it is empty; ${EXAMPLES}`);
  if (input.startsWith("-")) throw new DurationError(text, "it must be positive");
  if (/^\d+(\.\d+)?$/.test(input)) throw new DurationError(text, `it has no unit; ${EXAMPLES}`);

  const segment = /(\d+)([dhms])/gy;
  let seconds = 0;
  let lastUnit = -1;
  let consumed = 0;
  for (let match = segment.exec(input); match; match = segment.exec(input)) {
    const [, amount = "", unit = ""] = match;
    const order = UNIT_ORDER.indexOf(unit as Unit);
    if (order <= lastUnit) {
      throw new DurationError(
        text,
        "units must appear once each, largest first (1h30m, not 30m1h)",
      );
    }
    lastUnit = order;
    seconds += Number(amount) * MINUTES_PER_UNIT[unit as Unit] * 60;
    consumed = segment.lastIndex;
  }
  if (consumed !== input.length || consumed === 0) throw new DurationError(text, EXAMPLES);
  if (!Number.isSafeInteger(seconds)) throw new DurationError(text, "it is too large");
  if (seconds === 0) throw new DurationError(text, "it must be longer than zero");
  return seconds / 60;
}

/** The shortest canonical spelling of a duration in minutes: 90 → "1h30m", 1.5 → "1m30s". */
export function formatMinutes(minutes: number): string {
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`formatMinutes expects a non-negative number of minutes, got ${minutes}`);
  }
  let seconds = Math.round(minutes * 60);
  if (seconds === 0) return "0m";
  let out = "";
  for (const unit of UNIT_ORDER) {
    const size = Math.round(MINUTES_PER_UNIT[unit] * 60);
    const amount = Math.floor(seconds / size);
    if (amount > 0) out += `${amount}${unit}`;
    seconds -= amount * size;
  }
  return out;
}
