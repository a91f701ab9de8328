import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import type { Me } from "../../auth/me";
import { useSettings } from "../../org/settings";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { DownloadButton } from "../../components/DownloadButton";
import { Loaded, useLoad, type Load } from "../../components/Loaded";
import { Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { day, fromCents, lastDay, money, toCents } from "../../format";
import { t, type MessageKey } from "../../i18n";
import { payWhatYouCan, startingAmount, type Plan } from "./plans";
import { Renewal } from "./Renewal";

/** Statuses that may pay a membership. */
const PAYING = ["payment_pending", "active", "expired", "canceled"];

/** Where the member stands, what to do next, the plans, the payments. */
export function MembershipPage({ me }: { me: Me }) {
  const { time_zone } = useSettings();
  return (
    <Page title={t("membership.title")}>
      <p class={`status status-${me.status}`}>
        {me.grace_ends_at
          ? t("status.expiredInGrace", { day: day(me.grace_ends_at, time_zone) })
          : t(`status.${me.status}` as MessageKey)}
      </p>
      {me.status === "pending_email" && (
        <p>
          <a href="/verify-email">{t("verify.resend")}</a>
        </p>
      )}
      {PAYING.includes(me.status) && <Payment />}
      <Periods />
    </Page>
  );
}

/** The member's periods: what happens at their end, and the payments. */
function Periods() {
  const [subscriptions, reload] = useLoad(() => unwrap(api.GET("/api/subscriptions/me")), []);
  return (
    <>
      {subscriptions.phase === "ready" && (
        <Renewal periods={subscriptions.data.items} changed={reload} />
      )}
      <History subscriptions={subscriptions} reload={reload} />
    </>
  );
}

/** A payment on its way (promised by transfer or cheque), or the plans. */
function Payment() {
  const [promised, reloadPromised] = useLoad(
    () => api.GET("/api/subscriptions/offline/me").then(({ data }) => data ?? null),
    [],
  );
  return (
    <>
      {promised.phase === "ready" && promised.data && (
        <Promised payment={promised.data} withdrawn={reloadPromised} />
      )}
      <Plans promised={reloadPromised} />
    </>
  );
}

/** What the member promised to pay, and how; they may withdraw it. */
function Promised({
  payment: p,
  withdrawn,
}: {
  payment: Schemas["PendingPayment"];
  withdrawn: () => void;
}) {
  const { time_zone } = useSettings();
  const form = useForm({});
  return (
    <section aria-labelledby="promised">
      <h2 id="promised">{t("membership.promisedTitle")}</h2>
      <p>
        {t(p.method === "cheque" ? "membership.promisedCheque" : "membership.promisedTransfer", {
          amount: money(p.total_cents, p.currency),
          plan: p.plan_name,
          day: day(p.created_at, time_zone),
        })}
      </p>
      {p.instructions && <pre class="instructions">{p.instructions}</pre>}
      <p>{t("membership.reference", { reference: p.reference })}</p>
      <form
        noValidate
        onSubmit={form.submit(async () => {
          await unwrap(api.DELETE("/api/subscriptions/offline/me"));
          withdrawn();
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        <Submit busy={form.busy}>{t("membership.withdraw")}</Submit>
      </form>
    </section>
  );
}

function Plans({ promised }: { promised: () => void }) {
  const [plans, reload] = useLoad(() => unwrap(api.GET("/api/plans")), []);
  return (
    <section aria-labelledby="plans">
      <h2 id="plans">{t("membership.plans")}</h2>
      <Loaded
        state={plans}
        reload={reload}
        empty={t("membership.noPlans")}
        isEmpty={(page) => page.items.length === 0}
      >
        {(page) => <Checkout plans={page.items} promised={promised} />}
      </Loaded>
    </section>
  );
}

/** How a member may pay: online, or (when the organisation says how) by
 * bank transfer or cheque. */
const METHODS = ["online", "bank_transfer", "cheque"] as const;
type Method = (typeof METHODS)[number];

function Checkout({ plans, promised }: { plans: Plan[]; promised: () => void }) {
  const { currency, payment_instructions } = useSettings();
  const [planId, setPlanId] = useState(plans[0]?.id ?? "");
  const [method, setMethod] = useState<Method>("online");
  const plan = plans.find((p) => p.id === planId) ?? plans[0];
  const form = useForm({
    amount: plan ? fromCents(startingAmount(plan)) : "",
    donation: "",
  });
  if (!plan) return null;
  const amount = payWhatYouCan(plan) ? toCents(form.values.amount) : plan.price_cents;
  const donation = plan.allow_donation ? (toCents(form.values.donation || "0") ?? 0) : 0;
  const total = (amount ?? 0) + donation;
  return (
    <form
      noValidate
      onSubmit={form.submit(async () => {
        const order = {
          plan_id: plan.id,
          amount_cents: payWhatYouCan(plan) ? (amount ?? -1) : null,
          donation_cents: donation,
        };
        if (method !== "online") {
          await unwrap(api.POST("/api/subscriptions/offline", { body: { ...order, method } }));
          promised();
          return;
        }
        const checkout = await unwrap(api.POST("/api/subscriptions/checkout", { body: order }));
        window.location.assign(checkout.checkout_url);
      })}
    >
      {form.problem && <Problem>{form.problem}</Problem>}
      <fieldset>
        <legend>{t("membership.plan")}</legend>
        {plans.map((p) => (
          <div class="field check" key={p.id}>
            <input
              type="radio"
              id={`plan-${p.id}`}
              name="plan"
              value={p.id}
              checked={p.id === plan.id}
              onChange={() => {
                setPlanId(p.id);
                form.set("amount", fromCents(startingAmount(p)));
              }}
            />
            <label htmlFor={`plan-${p.id}`}>
              <strong>{p.name}</strong> ({t(`membership.cycle.${cycle(p)}` as MessageKey)}):{" "}
              {payWhatYouCan(p)
                ? t("membership.amountHint", {
                    minimum: money(p.minimum_price_cents, currency),
                    suggested: money(startingAmount(p), currency),
                  })
                : money(p.price_cents, currency)}
              {p.description && <span class="hint"> {p.description}</span>}
            </label>
          </div>
        ))}
      </fieldset>
      {payWhatYouCan(plan) && (
        <TextField
          field="amount_cents"
          label={t("membership.amount", { currency })}
          inputMode="decimal"
          value={form.values.amount}
          error={form.error("amount_cents")}
          onInput={(value) => form.set("amount", value)}
        />
      )}
      {plan.allow_donation && (
        <TextField
          field="donation_cents"
          label={t("membership.donation", { currency })}
          inputMode="decimal"
          value={form.values.donation}
          error={form.error("donation_cents")}
          onInput={(value) => form.set("donation", value)}
        />
      )}
      {payment_instructions && (
        <fieldset>
          <legend>{t("membership.how")}</legend>
          {METHODS.map((m) => (
            <div class="field check" key={m}>
              <input
                type="radio"
                id={`method-${m}`}
                name="method"
                value={m}
                checked={method === m}
                onChange={() => setMethod(m)}
              />
              <label htmlFor={`method-${m}`}>{t(`membership.method.${m}`)}</label>
            </div>
          ))}
        </fieldset>
      )}
      <Submit busy={form.busy}>
        {t(method === "online" ? "membership.pay" : "membership.promise", {
          total: money(total, currency),
        })}
      </Submit>
    </form>
  );
}

function cycle(plan: Plan): string {
  return ["monthly", "quarterly", "yearly", "lifetime"].includes(plan.billing_cycle)
    ? plan.billing_cycle
    : "custom";
}

function History({
  subscriptions,
  reload,
}: {
  subscriptions: Load<Schemas["Page_for_OwnSubscription"]>;
  reload: () => void;
}) {
  const { time_zone, currency } = useSettings();
  return (
    <section aria-labelledby="history">
      <h2 id="history">{t("membership.history")}</h2>
      <Loaded
        state={subscriptions}
        reload={reload}
        empty={t("membership.noHistory")}
        isEmpty={(page) => page.items.length === 0}
      >
        {(page) => (
          <ul class="cards">
            {page.items.map((s) => (
              <li key={s.id}>
                <strong>{s.plan_name}</strong> — {money(s.total_cents, s.currency ?? currency)}
                <span class="meta">
                  {s.end_date
                    ? t("membership.period", {
                        start: day(s.start_date, time_zone),
                        end: lastDay(s.end_date, time_zone),
                      })
                    : t("membership.lifetime", { start: day(s.start_date, time_zone) })}{" "}
                  · {s.status}
                </span>
                <DownloadButton
                  label={t("membership.confirmationPdf")}
                  link={() =>
                    unwrap(
                      api.GET("/api/subscriptions/{id}/confirmation/pdf", {
                        params: { path: { id: s.id } },
                      }),
                    )
                  }
                />
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}
