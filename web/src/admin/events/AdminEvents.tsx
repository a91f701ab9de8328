import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import type { Me } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { ta } from "../i18n";
import { Pager } from "../ui/Pager";
import { useQueryState } from "../ui/query";
import { EventForm } from "./EventForm";

const PER_PAGE = 25;

/** The events, drafts included: upcoming or past, and a new one. */
export function AdminEvents({ me }: { me: Me }) {
  const { route } = useLocation();
  const state = useQueryState();
  const when = state.get("when") === "past" ? "past" : "upcoming";
  const page = state.page;
  const [list, reload] = useLoad(
    () => unwrap(api.GET("/api/events", { params: { query: { when, page, per_page: PER_PAGE } } })),
    [when, page],
  );
  return (
    <Page title={ta("events.title")}>
      <nav class="tabs" aria-label={ta("events.when")}>
        <a href="/admin/events" aria-current={when === "upcoming" ? "page" : undefined}>
          {ta("events.upcoming")}
        </a>
        <a href="/admin/events?when=past" aria-current={when === "past" ? "page" : undefined}>
          {ta("events.past")}
        </a>
      </nav>
      <Loaded
        state={list}
        reload={reload}
        empty={ta("events.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <>
            <ul class="cards">
              {l.items.map((e) => (
                <li key={e.id}>
                  <a href={`/admin/events/${e.id}`}>{e.title}</a>
                  {!e.published && ` · ${ta("events.draft")}`}
                  <span class="meta">
                    {dateTime(e.start_at, e.time_zone)} ·{" "}
                    {ta("events.answers", { attending: e.attending, waitlisted: e.waitlisted })}
                  </span>
                </li>
              ))}
            </ul>
            <Pager page={page} perPage={PER_PAGE} total={l.total} onPage={state.toPage} />
          </>
        )}
      </Loaded>
      {me.permissions.includes("events.create") && (
        <>
          <h2>{ta("events.new")}</h2>
          <EventForm saved={(e) => route(`/admin/events/${e.id}`)} />
        </>
      )}
    </Page>
  );
}
