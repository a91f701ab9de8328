import { useLocation } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { reloadMe } from "../../auth/me";
import { useSettings } from "../../org/settings";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { day } from "../../format";
import { t } from "../../i18n";

type Status = Schemas["MembershipCheckoutStatus"];

/** How often, and how long, the page asks whether the payment counted. */
const EVERY_MS = 1500;
const GIVE_UP_AFTER = 40;

/** The page the provider sends the member back to: it waits until the
 * provider's webhook has made the payment count, and says so. */
export function MembershipComplete() {
  const { query } = useLocation();
  const { time_zone } = useSettings();
  const [status, setStatus] = useState<Status | null>(null);
  const [tries, setTries] = useState(0);
  const sessionId = query.session_id ?? "";

  useEffect(() => {
    if (status && status.status !== "open") return;
    if (tries >= GIVE_UP_AFTER) return;
    const timer = setTimeout(
      async () => {
        try {
          const next = await unwrap(
            api.GET("/api/subscriptions/checkout/{session_id}", {
              params: { path: { session_id: sessionId } },
            }),
          );
          if (next.status === "paid") await reloadMe();
          setStatus(next);
        } finally {
          setTries((n) => n + 1);
        }
      },
      tries === 0 ? 0 : EVERY_MS,
    );
    return () => clearTimeout(timer);
  }, [tries, status, sessionId]);

  let message;
  if (!status || status.status === "open") {
    message =
      tries >= GIVE_UP_AFTER ? (
        <Notice>{t("membership.complete.slow")}</Notice>
      ) : (
        <p role="status" aria-live="polite" class="loading">
          {t("membership.complete.waiting")}
        </p>
      );
  } else if (status.status === "paid") {
    message = (
      <Notice>
        {status.ends_at
          ? t("membership.complete.paid", { end: day(status.ends_at, time_zone) })
          : t("membership.complete.paidLifetime")}
      </Notice>
    );
  } else {
    message = <Problem>{t("membership.complete.failed")}</Problem>;
  }
  return (
    <Page title={t("membership.complete.title")}>
      {message}
      <p>
        <a href="/membership">{t("nav.membership")}</a>
      </p>
    </Page>
  );
}
