import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { Submit, TextArea } from "../../components/fields";
import { useForm } from "../../components/form";
import { Problem } from "../../components/Notice";
import { lastDay } from "../../format";
import { useSettings } from "../../org/settings";
import { t } from "../../i18n";

type OwnSubscription = Schemas["OwnSubscription"];

/**
 * What happens at the end of the member's running periods: up for
 * renewal (and cancellable, in two steps), or cancelled by them (and
 * kept with one click). Lifetime memberships have no end to manage.
 */
export function Renewal({ periods, changed }: { periods: OwnSubscription[]; changed: () => void }) {
  const { time_zone } = useSettings();
  const [asking, setAsking] = useState(false);
  const form = useForm({ reason: "" });
  const running = periods.filter((p) => p.status === "active");
  if (running.length === 0 || running.some((p) => !p.end_date)) return null;
  const end = running.map((p) => p.end_date ?? "").sort()[running.length - 1] ?? "";
  const until = lastDay(end, time_zone);
  const cancelled = running.every((p) => p.cancel_at_period_end);
  if (cancelled) {
    return (
      <section aria-labelledby="renewal">
        <h2 id="renewal">{t("membership.renewal")}</h2>
        <form
          noValidate
          onSubmit={form.submit(async () => {
            await unwrap(api.POST("/api/subscriptions/me/resume"));
            changed();
          })}
        >
          <p>{t("membership.cancelledUntil", { day: until })}</p>
          {form.problem && <Problem>{form.problem}</Problem>}
          <Submit busy={form.busy}>{t("membership.keep")}</Submit>
        </form>
      </section>
    );
  }
  return (
    <section aria-labelledby="renewal">
      <h2 id="renewal">{t("membership.renewal")}</h2>
      <p>{t("membership.runsUntil", { day: until })}</p>
      {asking ? (
        <form
          noValidate
          onSubmit={form.submit(async ({ reason }) => {
            await unwrap(
              api.POST("/api/subscriptions/me/cancel", {
                body: { reason: reason.trim() === "" ? null : reason },
              }),
            );
            setAsking(false);
            changed();
          })}
        >
          <p>{t("membership.cancelWarning", { day: until })}</p>
          {form.problem && <Problem>{form.problem}</Problem>}
          <TextArea label={t("membership.cancelReason")} {...form.bind("reason")} />
          <div class="actions">
            <Submit busy={form.busy}>{t("membership.cancelConfirm")}</Submit>
            <button type="button" class="secondary" onClick={() => setAsking(false)}>
              {t("membership.cancelBack")}
            </button>
          </div>
        </form>
      ) : (
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          {t("membership.cancel")}
        </button>
      )}
    </section>
  );
}
