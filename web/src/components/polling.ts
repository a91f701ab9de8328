/**
 * Asks `load` at once, then every 1.5 s until `settled` says the answer is
 * final, for about a minute: the pages the payment provider sends people
 * back to wait this way for its webhook. An error the API means (a 404,
 * say) ends the waiting; a network failure, a 503 or a 429 is asked again.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, unreachable } from "../api/errors";

const EVERY_MS = 1500;
const GIVE_UP_AFTER = 40;

export interface Polled<T> {
  /** The last answer. */
  value: T | null;
  /** Why the last question failed, if it did. */
  error: ApiError | null;
  /** Still no final answer after the last try. */
  gaveUp: boolean;
}

export function usePolled<T>(load: () => Promise<T>, settled: (value: T) => boolean): Polled<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [tries, setTries] = useState(0);
  const final = value !== null && settled(value);
  const stop = final || (error !== null && !error.retryable) || tries >= GIVE_UP_AFTER;

  useEffect(() => {
    if (stop) return;
    const timer = setTimeout(
      async () => {
        try {
          setValue(await load());
          setError(null);
        } catch (failure) {
          setError(failure instanceof ApiError ? failure : unreachable());
        } finally {
          setTries((n) => n + 1);
        }
      },
      tries === 0 ? 0 : EVERY_MS,
    );
    return () => clearTimeout(timer);
    // `load` is a new function each render; the tries drive the questions.
  }, [tries, stop]);

  return { value, error, gaveUp: !final && tries >= GIVE_UP_AFTER };
}
