import { useState } from "preact/hooks";
import { ApiError } from "../api/errors";
import { t } from "../i18n";
import { Problem } from "./Notice";

/** A file the server makes on demand (a receipt as PDF): the click asks
 * for a short-lived link, then the browser downloads it. */
export function DownloadButton({
  label,
  link,
}: {
  label: string;
  link: () => Promise<{ download_url: string }>;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setProblem(null);
    try {
      window.location.assign((await link()).download_url);
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure.explanation : t("app.error"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="secondary" disabled={busy} aria-busy={busy} onClick={run}>
        {label}
      </button>
      {problem && <Problem>{problem}</Problem>}
    </>
  );
}
