import { useEffect, useState } from "preact/hooks";
import { TextField } from "../../components/fields";
import type { QueryState } from "./query";

/** How long typing must pause before the list follows it. */
const TYPING_PAUSE_MS = 250;

interface Props {
  label: string;
  hint?: string;
  /** The list's state in the address; the search is its `q`. */
  state: QueryState;
}

/** A list's search, as you type: the address (and so the list) follows
 * once typing pauses, replacing the history entry so that Back leaves the
 * list rather than each keystroke; the box follows the address when it
 * changes otherwise (Back, a bookmark). */
export function SearchBox({ label, hint, state }: Props) {
  const inAddress = state.get("q");
  const [typed, setTyped] = useState(inAddress);
  useEffect(() => setTyped(inAddress), [inAddress]);
  useEffect(() => {
    if (typed === inAddress) return undefined;
    const timer = setTimeout(() => state.set({ q: typed }, true), TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [typed]);
  return (
    <TextField field="q" type="search" label={label} hint={hint} value={typed} onInput={setTyped} />
  );
}
