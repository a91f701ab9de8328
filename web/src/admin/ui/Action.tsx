import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "../../api/errors";
import { Problem } from "../../components/Notice";
import { t } from "../../i18n";

interface Props {
  action: () => Promise<unknown>;
  done?: () => void;
  children: ComponentChildren;
  class?: string;
  disabled?: boolean;
}

/** A button that runs a request: busy while it runs, the API's message if
 * it is refused. For what changes little and is easily undone; what
 * removes something asks first (`Confirm`). */
export function Action({ action, done, children, class: className, disabled }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
      done?.();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.explanation : t("app.error"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={className} disabled={busy || disabled} onClick={run}>
        {children}
      </button>
      {error && <Problem>{error}</Problem>}
    </>
  );
}
