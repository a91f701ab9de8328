import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { reloadMe } from "../../auth/me";
import { useSettings } from "../../org/settings";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { usePolled } from "../../components/polling";
import { lastDay } from "../../format";
import { t } from "../../i18n";

/** The page the provider sends the member back to: it waits until the
 * provider's webhook has made the payment count, and says so. */
export function MembershipComplete() {
  const { query } = useLocation();
  const { time_zone } = useSettings();
  const sessionId = query.session_id ?? "";
  const {
    value: checkout,
    error,
    gaveUp,
  } = usePolled(
    async () => {
      const next = await unwrap(
        api.GET("/api/subscriptions/checkout/{session_id}", {
          params: { path: { session_id: sessionId } },
        }),
      );
      // The member's status changed with the payment: the header and the
      // membership page show the new one.
      if (next.status === "paid") await reloadMe();
      return next;
    },
    (checkout) => checkout.status !== "open",
  );

  let message;
  if (checkout?.status === "paid") {
    message = (
      <Notice>
        {checkout.ends_at
          ? t("membership.complete.paid", { end: lastDay(checkout.ends_at, time_zone) })
          : t("membership.complete.paidLifetime")}
      </Notice>
    );
  } else if (checkout && checkout.status !== "open") {
    message = <Problem>{t("membership.complete.failed")}</Problem>;
  } else if (error && !error.retryable) {
    message = <Problem>{error.explanation}</Problem>;
  } else if (gaveUp) {
    message = <Notice>{t("membership.complete.slow")}</Notice>;
  } else {
    message = (
      <p role="status" aria-live="polite" class="loading">
        {t("membership.complete.waiting")}
      </p>
    );
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
