import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import type { Me } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice } from "../../components/Notice";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { MemberPicker } from "../ui/MemberPicker";
import { Pager } from "../ui/Pager";
import { toggled } from "../ui/toggled";
import { EventForm } from "./EventForm";
import { Gallery } from "./Gallery";

type Event = Schemas["Event"];

/** One event: its details, publishing, deleting, the answers with the
 * waiting list and attendance, and the photos. */
export function EventAdmin({ me, id = "" }: { me: Me; id?: string }) {
  const { route } = useLocation();
  const may = (code: string) => me.permissions.includes(code);
  const [event, reload] = useLoad(
    () => unwrap(api.GET("/api/events/{id}", { params: { path: { id } } })),
    [id],
  );
  return (
    <Loaded state={event} reload={reload}>
      {(e) => (
        <Page title={e.title}>
          <p class="meta">
            {dateTime(e.start_at, e.time_zone)} ·{" "}
            {e.published ? ta("events.published") : ta("events.draft")} ·{" "}
            {ta("events.answers", { attending: e.attending, waitlisted: e.waitlisted })}
          </p>
          <div class="actions">
            {may("events.publish") && (
              <Action
                action={() =>
                  unwrap(
                    api.POST("/api/events/{id}/publish", {
                      params: { path: { id: e.id } },
                      body: { published: !e.published },
                    }),
                  )
                }
                done={reload}
              >
                {e.published ? ta("events.takeBack") : ta("events.publish")}
              </Action>
            )}
            {may("events.delete") && (
              <Confirm
                label={ta("events.delete")}
                warning={ta("events.deleteWarning", {
                  title: e.title,
                  answers: e.attending + e.waitlisted,
                })}
                action={() =>
                  unwrap(api.DELETE("/api/events/{id}", { params: { path: { id: e.id } } }))
                }
                done={() => route("/admin/events")}
              />
            )}
          </div>
          {may("events.edit") && (
            <details class="edit">
              <summary>{ta("events.edit")}</summary>
              <EventForm key={e.updated_at} event={e} saved={reload} />
            </details>
          )}
          {may("events.rsvps") && (
            <Answers event={e} mayMark={may("events.attendance")} changed={reload} />
          )}
          <Gallery event={e} me={me} />
        </Page>
      )}
    </Loaded>
  );
}

const ANSWERS_PAGE = 100;

/** The answers, the waiting list marked; attendance ticked in bulk (an
 * applicant who attended becomes pre-validated). */
function Answers({
  event: e,
  mayMark,
  changed,
}: {
  event: Event;
  mayMark: boolean;
  changed: () => void;
}) {
  const [page, setPage] = useState(1);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [marked, setMarked] = useState<string | null>(null);
  // Someone who came without answering (an applicant, often).
  const [walkIn, setWalkIn] = useState("");
  const [answers, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/events/{id}/rsvps", {
          params: { path: { id: e.id }, query: { page, per_page: ANSWERS_PAGE } },
        }),
      ),
    [e.id, page],
  );
  const mark = (user_ids: string[], attended: boolean) => async () => {
    const result = await unwrap(
      api.POST("/api/events/{id}/attendance", {
        params: { path: { id: e.id } },
        body: { attended, user_ids },
      }),
    );
    setMarked(ta("events.marked", { marked: result.marked, pre: result.pre_validated }));
    setPicked(new Set());
    reload();
    changed();
  };
  return (
    <section aria-labelledby="answers">
      <h2 id="answers">{ta("events.answersTitle")}</h2>
      {marked && <Notice>{marked}</Notice>}
      <Loaded state={answers} empty={ta("events.noAnswers")} isEmpty={(a) => a.items.length === 0}>
        {(a) => (
          <>
            <DataTable
              headers={[
                ...(mayMark ? [ta("events.pick")] : []),
                ta("members.name"),
                ta("events.answer"),
                ta("events.attended"),
              ]}
            >
              {a.items.map((r) => (
                <tr key={r.user_id}>
                  {mayMark && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={ta("queue.pick", { name: r.name })}
                        checked={picked.has(r.user_id)}
                        onChange={() => setPicked(toggled(picked, r.user_id))}
                      />
                    </td>
                  )}
                  <th scope="row">
                    <a href={`/admin/members/${r.user_id}`}>{r.name}</a>
                    <span class="meta"> {r.email}</span>
                  </th>
                  <td>
                    {r.status}
                    {r.waitlisted ? ` · ${ta("events.waitlisted")}` : ""}
                  </td>
                  <td>{r.attended ? ta("members.yes") : ta("members.no")}</td>
                </tr>
              ))}
            </DataTable>
            <Pager page={page} perPage={ANSWERS_PAGE} total={a.total} onPage={setPage} />
            {mayMark && (
              <div class="actions">
                <Action disabled={picked.size === 0} action={mark([...picked], true)}>
                  {ta("events.markAttended", { count: picked.size })}
                </Action>
                <Action disabled={picked.size === 0} action={mark([...picked], false)}>
                  {ta("events.markAbsent", { count: picked.size })}
                </Action>
              </div>
            )}
          </>
        )}
      </Loaded>
      {mayMark && (
        <div class="walk-in">
          <h3>{ta("events.walkIn")}</h3>
          <MemberPicker field="walk_in" error={undefined} value={walkIn} onChange={setWalkIn} />
          <Action disabled={!walkIn} action={mark([walkIn], true)}>
            {ta("events.markWalkIn")}
          </Action>
        </div>
      )}
    </section>
  );
}
