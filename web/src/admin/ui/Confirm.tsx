import { useRef, useState } from "preact/hooks";
import { ApiError } from "../../api/errors";
import { Problem } from "../../components/Notice";
import { t } from "../../i18n";
import { ta } from "../i18n";

interface Props {
  /** The button that asks first. */
  label: string;
  /** What the action will remove or change, said before it is done. */
  warning: string;
  /** The confirming button's words (the label by default). */
  confirm?: string;
  action: () => Promise<unknown>;
  /** After the action succeeded. */
  done?: () => void;
  danger?: boolean;
}

/** A destructive action: a modal dialog says what it will remove and asks
 * before anything happens; Escape or "Cancel" leaves everything as it was.
 * The dialog opens and closes in the click's own handler, not in an effect
 * after the render: while a modal is open the rest of the page is inert, so
 * a dialog closed a frame late would swallow what is typed just after. */
export function Confirm({ label, warning, confirm, action, done, danger = true }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
      dialog.current?.close();
      done?.();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.explanation : t("app.error"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={danger ? "danger" : ""}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-label={label}>
        <p>{warning}</p>
        {error && <Problem>{error}</Problem>}
        <div class="actions">
          <button type="button" class={danger ? "danger" : ""} disabled={busy} onClick={run}>
            {confirm ?? label}
          </button>
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            {ta("confirm.cancel")}
          </button>
        </div>
      </dialog>
    </>
  );
}
