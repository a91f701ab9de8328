import { api, unwrap } from "../../api/client";
import { useMe } from "../../auth/me";
import { useSettings } from "../../org/settings";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { t } from "../../i18n";

/** The organisation, its next public events, and the ways to join in. */
export function Home() {
  const settings = useSettings();
  const me = useMe();
  const [events, reload] = useLoad(
    () => unwrap(api.GET("/api/events", { params: { query: { when: "upcoming", per_page: 5 } } })),
    [],
  );
  return (
    <Page title={settings.name || t("home.title")}>
      {me.phase === "signed-in" && <p>{t("home.signedIn", { name: me.me.profile.first_name })}</p>}
      <p class="lead">{t("home.intro", { name: settings.name })}</p>
      <p class="actions">
        {me.phase !== "signed-in" && (
          <a class="button primary" href="/register">
            {t("home.join")}
          </a>
        )}
        <a class="button" href="/donate">
          {t("home.donate")}
        </a>
      </p>
      <section aria-labelledby="upcoming">
        <h2 id="upcoming">{t("home.upcoming")}</h2>
        <Loaded
          state={events}
          reload={reload}
          empty={t("home.noEvents")}
          isEmpty={(page) => page.items.length === 0}
        >
          {(page) => (
            <ul class="cards">
              {page.items.map((event) => (
                <li key={event.id}>
                  <a href={`/events/${event.id}`}>{event.title}</a>
                  <span class="meta">{dateTime(event.start_at, event.time_zone)}</span>
                </li>
              ))}
            </ul>
          )}
        </Loaded>
        <p>
          <a href="/events">{t("home.allEvents")}</a>
        </p>
      </section>
    </Page>
  );
}
