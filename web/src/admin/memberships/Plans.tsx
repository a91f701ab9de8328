import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { Checkbox, Select, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { fromCents, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { amount, optionalAmount } from "../ui/amount";

type Plan = Schemas["Plan"];

type Cycle = Schemas["BillingCycle"];
const CYCLES: readonly Cycle[] = ["monthly", "quarterly", "yearly", "lifetime", "custom"];

interface PlanValues {
  name: string;
  description: string;
  price: string;
  minimum: string;
  suggested: string;
  billing_cycle: Cycle;
  allow_donation: boolean;
  start_month: string;
  start_day: string;
  end_month: string;
  end_day: string;
  prorate: boolean;
}

const blank: PlanValues = {
  name: "",
  description: "",
  price: "",
  minimum: "",
  suggested: "",
  billing_cycle: "yearly",
  allow_donation: true,
  start_month: "",
  start_day: "",
  end_month: "",
  end_day: "",
  prorate: false,
};

function valuesOf(p: Plan): PlanValues {
  const text = (n: number | null | undefined) => (n == null ? "" : String(n));
  return {
    name: p.name,
    description: p.description ?? "",
    price: fromCents(p.price_cents),
    minimum: p.minimum_price_cents ? fromCents(p.minimum_price_cents) : "",
    suggested: p.suggested_price_cents != null ? fromCents(p.suggested_price_cents) : "",
    billing_cycle: p.billing_cycle,
    allow_donation: p.allow_donation,
    start_month: text(p.custom_cycle_start_month),
    start_day: text(p.custom_cycle_start_day),
    end_month: text(p.custom_cycle_end_month),
    end_day: text(p.custom_cycle_end_day),
    prorate: p.custom_cycle_prorate,
  };
}

function fieldsOf(v: PlanValues): Schemas["PlanFields"] {
  return {
    name: v.name.trim(),
    description: v.description.trim() || null,
    price_cents: amount(v.price, "price_cents"),
    minimum_price_cents: optionalAmount(v.minimum, "minimum_price_cents") ?? 0,
    suggested_price_cents: optionalAmount(v.suggested, "suggested_price_cents"),
    billing_cycle: v.billing_cycle,
    allow_donation: v.allow_donation,
    custom_period:
      v.billing_cycle === "custom"
        ? {
            start_month: Number(v.start_month),
            start_day: Number(v.start_day),
            end_month: Number(v.end_month),
            end_day: Number(v.end_day),
            prorate: v.prorate,
          }
        : null,
  };
}

/** The membership plans: create, edit, retire (no new membership on it;
 * those in force run their course) and reinstate. */
export function Plans() {
  const { currency } = useSettings();
  const [list, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/plans", { params: { query: { include_retired: true, per_page: 100 } } }),
      ),
    [],
  );
  return (
    <Page title={ta("plans.title")}>
      <Loaded
        state={list}
        reload={reload}
        empty={ta("plans.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <ul class="cards">
            {l.items.map((p) => (
              <li key={p.id}>
                <strong>{p.name}</strong>
                {!p.active && ` · ${ta("plans.retired")}`}
                <span class="meta">
                  {money(p.price_cents, currency)} · {ta(`plans.cycle.${p.billing_cycle}`)}
                </span>
                <details class="edit">
                  <summary>{ta("plans.edit", { name: p.name })}</summary>
                  <PlanForm key={p.updated_at} plan={p} done={reload} />
                </details>
                <Action
                  action={() =>
                    unwrap(
                      api.PATCH("/api/plans/{id}", {
                        params: { path: { id: p.id } },
                        body: {
                          description: p.description ?? null,
                          suggested_price_cents: p.suggested_price_cents ?? null,
                          active: !p.active,
                        },
                      }),
                    )
                  }
                  done={reload}
                >
                  {p.active
                    ? ta("plans.retire", { name: p.name })
                    : ta("plans.reinstate", { name: p.name })}
                </Action>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      <h2>{ta("plans.new")}</h2>
      <PlanForm done={reload} />
    </Page>
  );
}

function PlanForm({ plan, done }: { plan?: Plan; done: () => void }) {
  const form = useForm(plan ? valuesOf(plan) : blank);
  const [saved, setSaved] = useState(false);
  const v = form.values;
  const prefix = plan ? `plan-${plan.id}-` : "new-plan-";
  const bind = (
    key: Exclude<keyof PlanValues, "allow_donation" | "prorate" | "billing_cycle">,
  ) => ({
    ...form.bind(key),
    field: prefix + key,
  });
  return (
    <form
      noValidate
      onSubmit={form.submit(async (values) => {
        setSaved(false);
        const body = fieldsOf(values);
        if (plan) {
          await unwrap(api.PATCH("/api/plans/{id}", { params: { path: { id: plan.id } }, body }));
        } else {
          await unwrap(api.POST("/api/plans", { body }));
          for (const [key, value] of Object.entries(blank)) {
            form.set(key as keyof PlanValues, value as never);
          }
        }
        setSaved(true);
        done();
      })}
    >
      {form.problem && <Problem>{form.problem}</Problem>}
      {saved && <Notice>{ta("plans.saved")}</Notice>}
      <TextField {...bind("name")} error={form.error("name")} label={ta("plans.name")} required />
      <TextArea
        field={prefix + "description"}
        label={ta("plans.description")}
        value={v.description}
        error={form.error("description")}
        onInput={(value) => form.set("description", value)}
      />
      <TextField
        {...bind("price")}
        error={form.error("price_cents")}
        label={ta("plans.price")}
        inputMode="decimal"
        required
      />
      <Select
        field={prefix + "billing_cycle"}
        label={ta("plans.cycle")}
        value={v.billing_cycle}
        error={form.error("billing_cycle")}
        onChange={(value) => form.set("billing_cycle", CYCLES.find((c) => c === value) ?? "yearly")}
        options={CYCLES.map((c) => ({ value: c, label: ta(`plans.cycle.${c}`) }))}
      />
      {v.billing_cycle === "custom" && (
        <fieldset>
          <legend>{ta("plans.period")}</legend>
          {form.error("custom_period") && <p class="field-error">{form.error("custom_period")}</p>}
          <TextField {...bind("start_month")} label={ta("plans.startMonth")} inputMode="numeric" />
          <TextField {...bind("start_day")} label={ta("plans.startDay")} inputMode="numeric" />
          <TextField {...bind("end_month")} label={ta("plans.endMonth")} inputMode="numeric" />
          <TextField {...bind("end_day")} label={ta("plans.endDay")} inputMode="numeric" />
          <Checkbox
            field={prefix + "prorate"}
            label={ta("plans.prorate")}
            checked={v.prorate}
            onChange={(value) => form.set("prorate", value)}
          />
        </fieldset>
      )}
      <Checkbox
        field={prefix + "allow_donation"}
        label={ta("plans.allowDonation")}
        checked={v.allow_donation}
        onChange={(value) => form.set("allow_donation", value)}
      />
      <TextField
        {...bind("minimum")}
        error={form.error("minimum_price_cents")}
        label={ta("plans.minimum")}
        hint={ta("plans.minimumHint")}
        inputMode="decimal"
      />
      <TextField
        {...bind("suggested")}
        error={form.error("suggested_price_cents")}
        label={ta("plans.suggested")}
        inputMode="decimal"
      />
      <Submit busy={form.busy}>{plan ? ta("plans.save") : ta("plans.create")}</Submit>
    </form>
  );
}
