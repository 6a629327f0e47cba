import type { Alert } from "../ports.ts";
import { JSON_PROTOCOLS, publishSizeBytes, utf8Bytes } from "./alert-envelope.ts";

/** Bytes one item adds to the SNS message: its JSON, escaped once more, in every JSON copy. */
function itemCost(item: unknown): number {
  const escaped = JSON.stringify(`${JSON.stringify(item)},`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: an ASCII test, control characters included
  const bytes = /^[\x00-\x7f]*$/.test(escaped) ? escaped.length : utf8Bytes(escaped);
  return JSON_PROTOCOLS.length * (bytes - 2);
}

/**
 * The alert with the longest lists that fits `budget`. `render(cap)` must build the alert with
 * each of `lists` cut to its first `cap` items (the lists are in keep-first order). Sizes are
 * additive in the items, so the cap is found from one measurement of the empty form plus the
 * cost of each item that fits — never serializing a message that cannot fit, which for 50,000
 * findings would be tens of megabytes — then confirmed by measuring the real message. Null when even `render(0)`
 * is too large: the caller has to drop more than list items.
 */
export function fitLists(
  lists: readonly (readonly unknown[])[],
  render: (cap: number) => Alert,
  budget: number,
): Alert | null {
  const longest = Math.max(0, ...lists.map((l) => l.length));
  const empty = render(0);
  const base = publishSizeBytes(empty);
  if (base > budget) return null;
  if (longest === 0) return empty;

  // Grow the cap one item per list at a time: only the items that fit are ever serialized.
  let total = base;
  let cap = 0;
  while (cap < longest) {
    let add = 0;
    for (const list of lists) if (cap < list.length) add += itemCost(list[cap]);
    if (total + add > budget) break;
    total += add;
    cap += 1;
  }
  // The estimate is an upper bound in practice; measuring the real message makes it a guarantee.
  for (let c = cap; c > 0; c = Math.floor(c * 0.8)) {
    const alert = render(c);
    if (publishSizeBytes(alert) <= budget) return alert;
  }
  return empty;
}
