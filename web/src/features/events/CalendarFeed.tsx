import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";
import { Notice, Problem } from "../../components/Notice";
import { t } from "../../i18n";

/** The personal calendar feed: create or replace its link, or stop it. The
 * link is shown once (the API keeps only its hash). */
export function CalendarFeed() {
  const [feed, setFeed] = useState<Schemas["Feed"] | null>(null);
  const [revoked, setRevoked] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const act = (action: () => Promise<void>) => () => {
    setProblem(null);
    action().catch((e: unknown) =>
      setProblem(e instanceof ApiError ? e.explanation : t("app.error")),
    );
  };
  return (
    <section aria-labelledby="feed">
      <h2 id="feed">{t("events.feed")}</h2>
      <p>{t("events.feedIntro")}</p>
      {problem && <Problem>{problem}</Problem>}
      {feed && (
        <div class="field">
          <label htmlFor="feed-url">{t("events.feedLink")}</label>
          <input id="feed-url" readOnly value={feed.feed_url} />
          <p>
            <a href={feed.webcal_url}>webcal</a>
          </p>
        </div>
      )}
      {revoked && <Notice>{t("events.feedRevoked")}</Notice>}
      <p class="actions">
        <button
          type="button"
          onClick={act(async () => {
            setFeed(await unwrap(api.POST("/api/calendar/token")));
            setRevoked(false);
          })}
        >
          {feed ? t("events.feedRenew") : t("events.feedCreate")}
        </button>
        <button
          type="button"
          onClick={act(async () => {
            await unwrap(api.DELETE("/api/calendar/token"));
            setFeed(null);
            setRevoked(true);
          })}
        >
          {t("events.feedRevoke")}
        </button>
      </p>
    </section>
  );
}
