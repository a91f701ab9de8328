import { useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";
import { can, useMe } from "../../auth/me";
import { session } from "../../auth/session";
import { Loaded, useLoad } from "../../components/Loaded";
import { Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { t, type MessageKey } from "../../i18n";
import { Seats } from "./Seats";

type Event = Schemas["Event"];

/** One event: when and where, seats, the member's answer, a calendar file,
 * and its photos. */
export function EventPage() {
  const { params } = useRoute();
  const id = params.id ?? "";
  const me = useMe();
  const [event, reload] = useLoad(
    () => unwrap(api.GET("/api/events/{id}", { params: { path: { id } } })),
    [id, me.phase],
  );
  return (
    <Loaded state={event} reload={reload}>
      {(e) => (
        <Page title={e.title}>
          <dl class="facts">
            <dt>{t("events.when")}</dt>
            <dd>{dateTime(e.start_at, e.time_zone)}</dd>
            {e.location && (
              <>
                <dt>{t("events.where")}</dt>
                <dd>{e.location}</dd>
              </>
            )}
          </dl>
          <Seats event={e} />
          {e.description && <p class="description">{e.description}</p>}
          {me.phase === "signed-in" && can(me.me, "events.rsvp") && (
            <Answer event={e} onAnswered={reload} />
          )}
          <p>
            <CalendarFile event={e} />
          </p>
          {me.phase === "signed-in" && can(me.me, "gallery.view") && <Gallery id={e.id} />}
          <p>
            <a href="/events">{t("events.back")}</a>
          </p>
        </Page>
      )}
    </Loaded>
  );
}

function Answer({ event, onAnswered }: { event: Event; onAnswered: () => void }) {
  const [mine, reload] = useLoad(
    () =>
      unwrap(api.GET("/api/events/{id}/rsvp", { params: { path: { id: event.id } } })).catch(
        (e: unknown) => {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        },
      ),
    [event.id],
  );
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const answer = (status: "yes" | "no" | "maybe") => async () => {
    setBusy(true);
    setProblem(null);
    try {
      await unwrap(
        api.PUT("/api/events/{id}/rsvp", { params: { path: { id: event.id } }, body: { status } }),
      );
      reload();
      onAnswered();
    } catch (e) {
      setProblem(e instanceof ApiError ? e.explanation : t("app.error"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="rsvp">
      <h2 id="rsvp">{t("events.rsvp")}</h2>
      {problem && <Problem>{problem}</Problem>}
      <Loaded state={mine} reload={reload}>
        {(current) =>
          current && (
            <p role="status" class="status">
              {current.waitlisted
                ? t("events.answered.waitlisted")
                : t(`events.answered.${current.status}` as MessageKey)}
            </p>
          )
        }
      </Loaded>
      <p class="actions" role="group" aria-labelledby="rsvp">
        {(["yes", "no", "maybe"] as const).map((status) => (
          <button
            key={status}
            type="button"
            disabled={busy}
            aria-pressed={mine.phase === "ready" && mine.data?.status === status}
            onClick={answer(status)}
          >
            {t(`events.rsvp.${status}`)}
          </button>
        ))}
      </p>
    </section>
  );
}

/** The event as a calendar file, fetched with the session (a members'
 * event needs it) and saved by the browser. */
function CalendarFile({ event }: { event: Event }) {
  const download = async () => {
    const token = session.token();
    const response = await fetch(`/api/events/${event.id}/calendar.ics`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = "event.ics";
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <button type="button" onClick={() => void download()}>
      {t("events.calendar")}
    </button>
  );
}

function Gallery({ id }: { id: string }) {
  const [photos, reload] = useLoad(
    () => unwrap(api.GET("/api/events/{id}/gallery", { params: { path: { id } } })),
    [id],
  );
  return (
    <section aria-labelledby="gallery">
      <h2 id="gallery">{t("events.gallery")}</h2>
      <Loaded
        state={photos}
        reload={reload}
        empty={t("events.noPhotos")}
        isEmpty={(p) => p.items.length === 0}
      >
        {(p) => (
          <ul class="gallery">
            {p.items.map((photo) => (
              <li key={photo.id}>
                <figure>
                  <img src={photo.url} alt={photo.caption ?? ""} loading="lazy" />
                  {photo.caption && <figcaption>{photo.caption}</figcaption>}
                </figure>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}
