import { useState } from "preact/hooks";
import { ApiError } from "../../api/errors";
import { api, unwrap, type Schemas } from "../../api/client";
import type { Me } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { t } from "../../i18n";
import { useSettings } from "../../org/settings";

type DataExport = Schemas["DataExport"];

/** The newest export, or `null` before any was asked for. */
async function orNone(load: () => Promise<DataExport>): Promise<DataExport | null> {
  try {
    return await load();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 404) return null;
    throw failure;
  }
}

/** An export of someone's data: ask for one, see it being prepared, and
 * download it when ready (a fresh link each time the page loads). The
 * member's own page and the admin's member page share it. */
export function DataExportPanel({
  load,
  request,
}: {
  load: () => Promise<DataExport>;
  request: () => Promise<DataExport>;
}) {
  const { time_zone } = useSettings();
  const [current, reload] = useLoad(() => orNone(load), []);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const ask = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await request();
      reload();
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure.explanation : t("app.error"));
    } finally {
      setBusy(false);
    }
  };
  const askButton = (label: string) => (
    <button type="button" disabled={busy} onClick={ask}>
      {label}
    </button>
  );
  return (
    <Loaded state={current} reload={reload}>
      {(e) => (
        <div class="data-export">
          {problem && <Problem>{problem}</Problem>}
          {e === null && askButton(t("export.ask"))}
          {(e?.status === "pending" || e?.status === "running") && (
            <>
              <Notice>{t("export.preparing")}</Notice>
              <button type="button" onClick={reload}>
                {t("export.check")}
              </button>
            </>
          )}
          {e?.status === "ready" && e.download_url && (
            <>
              <p>
                <a href={e.download_url} download>
                  {t("export.download")}
                </a>{" "}
                {t("export.readyAt", { at: dateTime(e.ready_at ?? e.created_at, time_zone) })}
              </p>
              {askButton(t("export.again"))}
            </>
          )}
          {e?.status === "failed" && (
            <>
              <Problem focus={false}>{t("export.failed")}</Problem>
              {askButton(t("export.ask"))}
            </>
          )}
        </div>
      )}
    </Loaded>
  );
}

/** `/profile/export`: the member's own data, as a ZIP of JSON files. */
export function MyDataExport({ me }: { me: Me }) {
  return (
    <Page title={t("export.title")}>
      <p>{t("export.what")}</p>
      <p>{t("export.mailed", { email: me.email })}</p>
      <DataExportPanel
        load={() => unwrap(api.GET("/api/auth/export"))}
        request={() => unwrap(api.POST("/api/auth/export"))}
      />
    </Page>
  );
}
