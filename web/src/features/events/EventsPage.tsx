import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { can, useMe } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { t } from "../../i18n";
import { CalendarFeed } from "./CalendarFeed";
import { Seats } from "./Seats";

const PER_PAGE = 20;

/** Upcoming or past events, a page at a time; the personal feed. */
export function EventsPage() {
  const { query, path } = useLocation();
  const me = useMe();
  const when = query.when === "past" ? "past" : "upcoming";
  const page = Math.max(1, Number(query.page) || 1);
  const [events, reload] = useLoad(
    () => unwrap(api.GET("/api/events", { params: { query: { when, page, per_page: PER_PAGE } } })),
    [when, page, me.phase],
  );
  return (
    <Page title={t("events.title")}>
      <nav class="tabs" aria-label={t("events.title")}>
        <a href={path} aria-current={when === "upcoming" ? "page" : undefined}>
          {t("events.upcoming")}
        </a>
        <a href={`${path}?when=past`} aria-current={when === "past" ? "page" : undefined}>
          {t("events.past")}
        </a>
      </nav>
      <Loaded
        state={events}
        reload={reload}
        empty={t("events.none")}
        isEmpty={(p) => p.items.length === 0}
      >
        {(p) => (
          <>
            <ul class="cards">
              {p.items.map((event) => (
                <li key={event.id}>
                  <a href={`/events/${event.id}`}>{event.title}</a>
                  <span class="meta">
                    {dateTime(event.start_at, event.time_zone)}
                    {event.location ? ` · ${event.location}` : ""}
                    {event.visibility === "members" ? ` · ${t("events.membersOnly")}` : ""}
                  </span>
                  <Seats event={event} />
                </li>
              ))}
            </ul>
            <Pager page={page} total={p.total} when={when} path={path} />
          </>
        )}
      </Loaded>
      {me.phase === "signed-in" && can(me.me, "events.view") && <CalendarFeed />}
    </Page>
  );
}

function Pager(props: { page: number; total: number; when: string; path: string }) {
  const pages = Math.ceil(props.total / PER_PAGE);
  if (pages <= 1) return null;
  const href = (n: number) => `${props.path}?when=${props.when}&page=${n}`;
  return (
    <nav class="pager" aria-label="Pages">
      {props.page > 1 && <a href={href(props.page - 1)}>← {props.page - 1}</a>}
      <span aria-current="page">
        {props.page} / {pages}
      </span>
      {props.page < pages && <a href={href(props.page + 1)}>{props.page + 1} →</a>}
    </nav>
  );
}
