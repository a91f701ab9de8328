import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/errors";
import { t } from "../i18n";

/** What a load is at. */
export type Load<T> =
  { phase: "loading" } | { phase: "ready"; data: T } | { phase: "failed"; error: ApiError };

/** Runs `load` now and whenever `deps` change; `reload` runs it again,
 * keeping what is shown until the new answer replaces it (a page that
 * refreshes after a change keeps its place and its messages). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [state, setState] = useState<Load<T>>({ phase: "loading" });
  const [round, setRound] = useState(0);
  const refreshing = useRef(false);
  useEffect(() => {
    let live = true;
    const keep = refreshing.current;
    refreshing.current = false;
    setState((shown) => (keep && shown.phase === "ready" ? shown : { phase: "loading" }));
    load().then(
      (data) => live && setState({ phase: "ready", data }),
      (error: unknown) =>
        live &&
        setState({
          phase: "failed",
          error: error instanceof ApiError ? error : new ApiError(0, "unknown", t("app.error")),
        }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => {
    refreshing.current = true;
    setRound((n) => n + 1);
  }, []);
  return [state, reload];
}

interface Props<T> {
  state: Load<T>;
  reload?: () => void;
  /** Shown instead of the content when `isEmpty` says so. */
  empty?: string;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ComponentChildren;
}

/** The three states every request has: loading, failed (with the API's
 * message, a wait or a retry), and ready (or empty). */
export function Loaded<T>({ state, reload, empty, isEmpty, children }: Props<T>) {
  if (state.phase === "loading") {
    return (
      <p class="loading" role="status" aria-live="polite">
        {t("app.loading")}
      </p>
    );
  }
  if (state.phase === "failed") {
    return (
      <div class="problem" role="alert">
        <p>{state.error.explanation}</p>
        {state.error.code === "membership_required" && (
          <p>
            <a href="/membership">{t("app.renew")}</a>
          </p>
        )}
        {reload && state.error.retryable && (
          <button type="button" onClick={reload}>
            {t("app.retry")}
          </button>
        )}
      </div>
    );
  }
  if (empty && isEmpty?.(state.data)) return <p class="empty">{empty}</p>;
  return <>{children(state.data)}</>;
}
