/**
 * A list's state (search, filters, sort, page) kept in the address, so a
 * view can be bookmarked, shared and restored with the back button.
 */
import { useLocation } from "preact-iso";

export interface QueryState {
  /** The value of `key`, or `""`. */
  get: (key: string) => string;
  /** Sets some keys (an empty value removes one) and goes back to page 1
   * unless the page itself is set. Replaces the history entry while typing. */
  set: (changes: Record<string, string>, replace?: boolean) => void;
  /** Every non-empty value, for the API's query. */
  all: Record<string, string>;
  /** The page of the list, from 1. */
  page: number;
  /** Goes to page `page`, keeping the rest. */
  toPage: (page: number) => void;
}

export function useQueryState(): QueryState {
  const { path, query, route } = useLocation();
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (value) all[key] = value;
  const set = (changes: Record<string, string>, replace = false) => {
    const next = new URLSearchParams(all);
    if (!("page" in changes)) next.delete("page");
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const search = next.toString();
    route(search ? `${path}?${search}` : path, replace);
  };
  return {
    get: (key) => all[key] ?? "",
    all,
    set,
    page: Math.max(1, Number(all.page) || 1),
    toPage: (page) => set({ page: String(page) }),
  };
}
