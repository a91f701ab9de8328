import { useLocation } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { useSettings } from "../../org/settings";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { money } from "../../format";
import { t } from "../../i18n";

type Status = Schemas["GiftStatus"];

const EVERY_MS = 1500;
const GIVE_UP_AFTER = 40;

/** The page the provider sends the donor back to: it waits for the gift to
 * count, then shows its receipt number. */
export function ThanksPage() {
  const { query } = useLocation();
  const { currency } = useSettings();
  const [status, setStatus] = useState<Status | null>(null);
  const [tries, setTries] = useState(0);
  const sessionId = query.session_id ?? "";

  useEffect(() => {
    if ((status && status.status !== "pending") || tries >= GIVE_UP_AFTER) return;
    const timer = setTimeout(
      async () => {
        try {
          setStatus(
            await unwrap(
              api.GET("/api/donations/checkout/{session_id}", {
                params: { path: { session_id: sessionId } },
              }),
            ),
          );
        } finally {
          setTries((n) => n + 1);
        }
      },
      tries === 0 ? 0 : EVERY_MS,
    );
    return () => clearTimeout(timer);
  }, [tries, status, sessionId]);

  let message;
  if (!status || status.status === "pending") {
    message = (
      <p role="status" aria-live="polite" class="loading">
        {t("donate.thanks.waiting")}
      </p>
    );
  } else if (status.status === "completed") {
    message = (
      <Notice>
        {t("donate.thanks.done", {
          amount: money(status.amount_cents, status.currency ?? currency),
          number: status.receipt_number ?? "",
        })}
      </Notice>
    );
  } else {
    message = <Problem>{t("donate.thanks.failed")}</Problem>;
  }
  return <Page title={t("donate.thanks.title")}>{message}</Page>;
}
