import { useRef, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { Me } from "../../auth/me";
import { Checkbox, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { day } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { declared, useUploads } from "../ui/files";
import { Pager } from "../ui/Pager";
import { Progress } from "../ui/Progress";
import { useQueryState } from "../ui/query";

type Document = Schemas["Document"];

/** The three libraries, and the permission prefix of each. */
const LIBRARIES = [
  { kind: "newsletters", prefix: "newsletters" },
  { kind: "financial-reports", prefix: "financials" },
  { kind: "bylaws", prefix: "bylaws" },
] as const;
type Library = (typeof LIBRARIES)[number];

const PER_PAGE = 25;

interface Values {
  title: string;
  description: string;
  published_date: string;
  year: string;
  version: string;
  effective_date: string;
  is_current: boolean;
}

function valuesOf(d?: Document): Values {
  return {
    title: d?.title ?? "",
    description: d?.description ?? "",
    // A new newsletter is dated today unless said otherwise.
    published_date: d ? (d.published_date ?? "") : new Date().toISOString().slice(0, 10),
    year: d?.year != null ? String(d.year) : "",
    version: d?.version ?? "",
    effective_date: d?.effective_date ?? "",
    is_current: d?.is_current ?? false,
  };
}

/** What each library records beside the title and description. */
function fieldsOf(kind: Library["kind"], v: Values): Schemas["DocumentFields"] {
  return {
    title: v.title.trim(),
    description: v.description.trim() || null,
    published_date: kind === "newsletters" ? v.published_date || null : null,
    year: kind === "financial-reports" && v.year.trim() ? Number(v.year) : null,
    version: kind === "bylaws" ? v.version.trim() || null : null,
    effective_date: kind === "bylaws" ? v.effective_date || null : null,
    is_current: kind === "bylaws" ? v.is_current : null,
  };
}

/** The newsletters, financial reports and bylaws: upload (straight to
 * storage, with progress), edit, delete, make a bylaws version current. */
export function AdminDocuments({ me }: { me: Me }) {
  const state = useQueryState();
  const may = (code: string) => me.permissions.includes(code);
  const open = LIBRARIES.filter((l) =>
    ["create", "edit", "delete"].some((a) => may(`${l.prefix}.${a}`)),
  );
  const library = open.find((l) => l.kind === state.get("library")) ?? open[0];
  return (
    <Page title={ta("documents.title")}>
      <nav class="tabs" aria-label={ta("documents.libraries")}>
        {open.map((l) => (
          <a
            key={l.kind}
            href={`/admin/documents?library=${l.kind}`}
            aria-current={l === library ? "page" : undefined}
          >
            {ta(`documents.${l.kind}`)}
          </a>
        ))}
      </nav>
      {library && <LibraryAdmin key={library.kind} library={library} me={me} />}
    </Page>
  );
}

function LibraryAdmin({ library, me }: { library: Library; me: Me }) {
  const { time_zone } = useSettings();
  const [page, setPage] = useState(1);
  const may = (action: string) => me.permissions.includes(`${library.prefix}.${action}`);
  const [list, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/documents/{kind}", {
          params: { path: { kind: library.kind }, query: { page, per_page: PER_PAGE } },
        }),
      ),
    [library.kind, page],
  );
  return (
    <>
      {may("create") && <NewDocument library={library} added={reload} />}
      <h2>{ta(`documents.${library.kind}`)}</h2>
      <Loaded
        state={list}
        reload={reload}
        empty={ta("documents.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <>
            <ul class="cards">
              {l.items.map((d) => (
                <li key={d.id}>
                  <strong>{d.title}</strong>
                  {d.is_current ? ` · ${ta("documents.current")}` : ""}
                  <span class="meta">
                    {[
                      d.version,
                      d.year,
                      d.published_date && day(d.published_date, time_zone),
                      d.file_name,
                    ]
                      .filter(Boolean)
                      .join(" · ")}
                  </span>
                  <div class="actions">
                    {library.kind === "bylaws" && !d.is_current && may("edit") && (
                      <Action
                        action={() =>
                          unwrap(
                            api.PATCH("/api/documents/{kind}/{id}", {
                              params: { path: { kind: library.kind, id: d.id } },
                              body: { ...fieldsOf(library.kind, valuesOf(d)), is_current: true },
                            }),
                          )
                        }
                        done={reload}
                      >
                        {ta("documents.makeCurrent", { title: d.title })}
                      </Action>
                    )}
                    {may("delete") && (
                      <Confirm
                        label={ta("documents.delete")}
                        warning={ta("documents.deleteWarning", { title: d.title })}
                        action={() =>
                          unwrap(
                            api.DELETE("/api/documents/{kind}/{id}", {
                              params: { path: { kind: library.kind, id: d.id } },
                            }),
                          )
                        }
                        done={reload}
                      />
                    )}
                  </div>
                  {may("edit") && (
                    <details class="edit">
                      <summary>{ta("documents.edit", { title: d.title })}</summary>
                      <DocumentForm
                        key={d.updated_at}
                        library={library}
                        document={d}
                        save={(body) =>
                          unwrap(
                            api.PATCH("/api/documents/{kind}/{id}", {
                              params: { path: { kind: library.kind, id: d.id } },
                              body,
                            }),
                          ).then(reload)
                        }
                      />
                    </details>
                  )}
                </li>
              ))}
            </ul>
            <Pager page={page} perPage={PER_PAGE} total={l.total} onPage={setPage} />
          </>
        )}
      </Loaded>
    </>
  );
}

function NewDocument({ library, added }: { library: Library; added: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const path = { params: { path: { kind: library.kind } } };
  // The form's fields, for the confirmation once the file is stored.
  const fields = useRef<Schemas["DocumentFields"] | null>(null);
  const { sending, send } = useUploads(
    (f) => unwrap(api.POST("/api/documents/{kind}/uploads", { ...path, body: declared(f) })),
    (reserved) =>
      unwrap(
        api.POST("/api/documents/{kind}", {
          ...path,
          body: { ...fields.current, upload_id: reserved.upload_id },
        }),
      ),
  );
  return (
    <section aria-labelledby="new-document">
      <h2 id="new-document">{ta("documents.add")}</h2>
      {problem && <Problem>{problem}</Problem>}
      {done && <Notice>{done}</Notice>}
      <div class="field">
        <label htmlFor="document-file">{ta("documents.file")}</label>
        <input
          id="document-file"
          type="file"
          onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)}
        />
      </div>
      {sending.map((s) => (
        <Progress key={s.name} name={s.name} fraction={s.fraction} />
      ))}
      <DocumentForm
        library={library}
        save={async (body) => {
          setProblem(null);
          setDone(null);
          if (!file)
            throw new ApiError(422, "validation_failed", ta("documents.chooseFile"), "file");
          fields.current = body;
          await send([file]);
          setDone(ta("documents.added", { title: body.title ?? "" }));
          added();
        }}
      />
    </section>
  );
}

function DocumentForm({
  library,
  document,
  save,
}: {
  library: Library;
  document?: Document;
  save: (body: Schemas["DocumentFields"]) => Promise<void>;
}) {
  const form = useForm(valuesOf(document));
  const v = form.values;
  const id = (name: string) => `${document?.id ?? "new"}-${name}`;
  return (
    <form noValidate onSubmit={form.submit((values) => save(fieldsOf(library.kind, values)))}>
      {form.problem && <Problem>{form.problem}</Problem>}
      <TextField
        {...form.bind("title")}
        field={id("title")}
        error={form.error("title")}
        label={ta("documents.name")}
        required
      />
      <TextArea
        field={id("description")}
        label={ta("documents.description")}
        value={v.description}
        error={form.error("description")}
        onInput={(text) => form.set("description", text)}
      />
      {library.kind === "newsletters" && (
        <TextField
          {...form.bind("published_date")}
          field={id("published_date")}
          error={form.error("published_date")}
          type="date"
          label={ta("documents.published")}
          required
        />
      )}
      {library.kind === "financial-reports" && (
        <TextField
          {...form.bind("year")}
          field={id("year")}
          error={form.error("year")}
          label={ta("documents.year")}
          inputMode="numeric"
          required
        />
      )}
      {library.kind === "bylaws" && (
        <>
          <TextField
            {...form.bind("version")}
            field={id("version")}
            error={form.error("version")}
            label={ta("documents.version")}
            required
          />
          <TextField
            {...form.bind("effective_date")}
            field={id("effective_date")}
            error={form.error("effective_date")}
            type="date"
            label={ta("documents.effective")}
            required
          />
          <Checkbox
            field={id("is_current")}
            label={ta("documents.isCurrent")}
            checked={v.is_current}
            onChange={(value) => form.set("is_current", value)}
          />
        </>
      )}
      <Submit busy={form.busy}>{document ? ta("documents.save") : ta("documents.upload")}</Submit>
    </form>
  );
}
