import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { useSettings } from "../../org/settings";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { usePolled } from "../../components/polling";
import { money } from "../../format";
import { t } from "../../i18n";

/** The page the provider sends the donor back to: it waits for the gift to
 * count, then shows its receipt number. */
export function ThanksPage() {
  const { query } = useLocation();
  const { currency } = useSettings();
  const sessionId = query.session_id ?? "";
  const {
    value: gift,
    error,
    gaveUp,
  } = usePolled(
    () =>
      unwrap(
        api.GET("/api/donations/checkout/{session_id}", {
          params: { path: { session_id: sessionId } },
        }),
      ),
    (gift) => gift.status !== "pending",
  );

  let message;
  if (gift?.status === "completed") {
    message = (
      <Notice>
        {t("donate.thanks.done", {
          amount: money(gift.amount_cents, gift.currency ?? currency),
          number: gift.receipt_number ?? "",
        })}
      </Notice>
    );
  } else if (gift?.status === "failed") {
    message = <Problem>{t("donate.thanks.failed")}</Problem>;
  } else if (error && !error.retryable) {
    message = <Problem>{error.explanation}</Problem>;
  } else if (gaveUp) {
    message = <Notice>{t("donate.thanks.slow")}</Notice>;
  } else {
    message = (
      <p role="status" aria-live="polite" class="loading">
        {t("donate.thanks.waiting")}
      </p>
    );
  }
  return <Page title={t("donate.thanks.title")}>{message}</Page>;
}
