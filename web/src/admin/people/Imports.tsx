import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";
import { Checkbox } from "../../components/fields";
import { Loaded, useLoad } from "../../components/Loaded";
import { Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { t } from "../../i18n";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { Export } from "../ui/Export";
import { Action } from "../ui/Action";
import { Progress } from "../ui/Progress";
import { upload } from "../ui/upload";

type Job = Schemas["Job"];

const JOB_STATES = [
  "awaiting_upload",
  "processing",
  "completed",
  "partial",
  "failed",
  "interrupted",
] as const;
type JobState = (typeof JOB_STATES)[number];

function jobStatus(status: string): string {
  return (JOB_STATES as readonly string[]).includes(status)
    ? ta(`imports.status.${status as JobState}`)
    : status;
}

interface LineError {
  line: number;
  column: string | null;
  code: string;
  message: string;
}

/** Members from a spreadsheet: the CSV goes straight to storage (with its
 * progress), a preview reports each refused line, then the real run
 * imports the good lines and reports the result. */
export function Imports() {
  const { time_zone } = useSettings();
  const [job, setJob] = useState<Job | null>(null);
  const [sending, setSending] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [invite, setInvite] = useState(false);
  const [history, reload] = useLoad(
    () => unwrap(api.GET("/api/imports", { params: { query: { per_page: 10 } } })),
    [job?.id, job?.status, job?.dry_run],
  );

  const choose = async (file: File | undefined) => {
    if (!file) return;
    setProblem(null);
    setJob(null);
    try {
      const created = await unwrap(
        api.POST("/api/imports", { body: { filename: file.name, size_bytes: file.size } }),
      );
      setSending(0);
      await upload(created.upload, file, setSending);
      setJob(
        await unwrap(
          api.POST("/api/imports/{id}/start", {
            params: { path: { id: created.id } },
            body: { dry_run: true, send_invitations: false },
          }),
        ),
      );
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure.explanation : t("app.error"));
    } finally {
      setSending(null);
    }
  };

  return (
    <Page title={ta("imports.title")}>
      <p>{ta("imports.intro")}</p>
      {problem && <Problem>{problem}</Problem>}
      <div class="field">
        <label htmlFor="import-file">{ta("imports.file")}</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,text/csv"
          disabled={sending !== null}
          onChange={(e) => void choose((e.currentTarget as HTMLInputElement).files?.[0])}
        />
      </div>
      {sending !== null && <Progress name={ta("imports.file")} fraction={sending} />}
      {job && (
        <section aria-labelledby="report">
          <h2 id="report">
            {job.dry_run ? ta("imports.preview") : ta("imports.result")} · {job.filename}
          </h2>
          <Report job={job} />
          {job.dry_run && job.status !== "failed" && (
            <div class="actions">
              <Checkbox
                field="send_invitations"
                label={ta("imports.invite")}
                checked={invite}
                onChange={setInvite}
              />
              <Action
                class="primary"
                action={async () =>
                  setJob(
                    await unwrap(
                      api.POST("/api/imports/{id}/start", {
                        params: { path: { id: job.id } },
                        body: { dry_run: false, send_invitations: invite },
                      }),
                    ),
                  )
                }
              >
                {ta("imports.run", { count: job.successful_rows })}
              </Action>
            </div>
          )}
        </section>
      )}
      <h2>{ta("imports.history")}</h2>
      <Loaded
        state={history}
        reload={reload}
        empty={ta("imports.none")}
        isEmpty={(h) => h.items.length === 0}
      >
        {(h) => (
          <ul class="cards">
            {h.items.map((j) => (
              <li key={j.id}>
                {j.filename} · {jobStatus(j.status)}
                <span class="meta">
                  {dateTime(j.created_at, time_zone)} ·{" "}
                  {ta("imports.counts", { ok: j.successful_rows, refused: j.failed_rows })}
                  {j.dry_run ? ` · ${ta("imports.previewOnly")}` : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </Page>
  );
}

function Report({ job }: { job: Job }) {
  const errors = (Array.isArray(job.errors) ? job.errors : []) as LineError[];
  const ignored = (Array.isArray(job.ignored_columns) ? job.ignored_columns : []) as string[];
  return (
    <>
      <p aria-live="polite">
        {ta(job.dry_run ? "imports.wouldImport" : "imports.imported", {
          ok: job.successful_rows,
          refused: job.failed_rows,
          total: job.total_rows,
        })}
        {!job.dry_run && job.invitations_sent > 0
          ? ` ${ta("imports.invited", { count: job.invitations_sent })}`
          : ""}
      </p>
      {ignored.length > 0 && <p>{ta("imports.ignored", { columns: ignored.join(", ") })}</p>}
      {errors.length > 0 && (
        <DataTable
          caption={ta("imports.refusedLines")}
          headers={[ta("imports.line"), ta("imports.column"), ta("imports.problem")]}
        >
          {errors.map((e) => (
            <tr key={`${e.line}-${e.column ?? ""}-${e.code}`}>
              <th scope="row">{e.line}</th>
              <td>{e.column ?? ""}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {job.failed_rows > 0 && job.status !== "processing" && (
        <Export
          label={ta("imports.rejectedCsv")}
          run={() =>
            unwrap(api.GET("/api/imports/{id}/rejected", { params: { path: { id: job.id } } }))
          }
        />
      )}
    </>
  );
}
