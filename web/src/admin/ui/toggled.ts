/** A copy of `set` with `item` added, or removed if it was there (for the
 * picks of a list, kept in state as a new set each time). */
export function toggled<T>(set: Set<T>, item: T): Set<T> {
  const next = new Set(set);
  if (next.has(item)) next.delete(item);
  else next.add(item);
  return next;
}
