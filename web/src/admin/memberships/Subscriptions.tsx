import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import type { paths } from "../../api/schema";
import type { Me } from "../../auth/me";
import { Select, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { day, lastDay, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { optionalAmount } from "../ui/amount";
import { Confirm } from "../ui/Confirm";
import { Refund } from "../ui/Refund";
import { Promised } from "./Promised";
import { MemberPicker } from "../ui/MemberPicker";
import { Export } from "../ui/Export";
import { Pager } from "../ui/Pager";
import { FilterSelect } from "../ui/FilterSelect";
import { useQueryState } from "../ui/query";
import { SearchBox } from "../ui/SearchBox";

type Query = NonNullable<paths["/api/subscriptions"]["get"]["parameters"]["query"]>;
type Filter = Omit<Query, "page" | "per_page">;
type Subscription = Schemas["Subscription"];

const PER_PAGE = 25;
const STATES = ["active", "expired", "cancelled"] as const;
const METHODS = ["online", "cash", "cheque", "bank_transfer", "complimentary", "imported"] as const;
const OFFLINE = ["cash", "cheque", "bank_transfer"] as const;

function filterOf(all: Record<string, string>): Filter {
  const filter: Filter = {};
  if (all.q) filter.q = all.q;
  const status = STATES.find((s) => s === all.status);
  if (status) filter.status = status;
  const method = METHODS.find((m) => m === all.method);
  if (method) filter.method = method;
  if (all.plan) filter.plan_id = all.plan;
  return filter;
}

/** Memberships: the list with filters, a payment at the desk (cash,
 * cheque, bank transfer) that makes the member active, cancelling, and the
 * export of what the filters select. */
export function Subscriptions({ me }: { me: Me }) {
  const { time_zone, currency } = useSettings();
  const state = useQueryState();
  const filter = filterOf(state.all);
  const page = state.page;
  const may = (code: string) => me.permissions.includes(code);
  const [list, reload] = useLoad(
    () =>
      may("subscriptions.view")
        ? unwrap(
            api.GET("/api/subscriptions", {
              params: { query: { ...filter, page, per_page: PER_PAGE } },
            }),
          )
        : Promise.resolve(null),
    [JSON.stringify(filter), page],
  );
  const [plans] = useLoad(
    () => unwrap(api.GET("/api/plans", { params: { query: { per_page: 100 } } })),
    [],
  );
  const planList = plans.phase === "ready" ? plans.data.items : [];
  return (
    <Page title={ta("subscriptions.title")}>
      {may("subscriptions.manual_payment") && <Promised done={reload} />}
      {may("subscriptions.manual_payment") && planList.length > 0 && (
        <ManualPayment plans={planList} done={reload} />
      )}
      {may("subscriptions.create") && planList.length > 0 && (
        <Grant plans={planList} done={reload} />
      )}
      {may("subscriptions.view") && (
        <>
          <h2>{ta("subscriptions.list")}</h2>
          <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <SearchBox label={ta("subscriptions.search")} state={state} />
            <FilterSelect
              name="status"
              label={ta("subscriptions.status")}
              state={state}
              options={STATES.map((s) => ({ value: s, label: ta(`subscriptions.${s}`) }))}
            />
            <FilterSelect
              name="method"
              label={ta("subscriptions.method")}
              state={state}
              options={METHODS.map((m) => ({ value: m, label: ta(`method.${m}`) }))}
            />
            <FilterSelect
              name="plan"
              label={ta("subscriptions.plan")}
              state={state}
              options={planList.map((p) => ({ value: p.id, label: p.name }))}
            />
          </form>
          {may("subscriptions.export") && (
            <Export
              label={ta("subscriptions.export")}
              run={() =>
                unwrap(api.GET("/api/subscriptions/export", { params: { query: filter } }))
              }
            />
          )}
          <Loaded
            state={list}
            reload={reload}
            empty={ta("subscriptions.none")}
            isEmpty={(l) => !l || l.items.length === 0}
          >
            {(l) =>
              l && (
                <>
                  <p>{ta("members.count", { count: l.total })}</p>
                  <DataTable
                    headers={[
                      ta("subscriptions.member"),
                      ta("subscriptions.plan"),
                      ta("member.period"),
                      ta("member.paid"),
                      ta("subscriptions.method"),
                      ta("subscriptions.status"),
                      ta("subscriptions.actions"),
                    ]}
                  >
                    {l.items.map((s) => (
                      <tr key={s.id}>
                        <th scope="row">
                          <a href={`/admin/members/${s.user_id}`}>{s.member_name}</a>
                        </th>
                        <td>{s.plan_name}</td>
                        <td>
                          {day(s.start_date, time_zone)} –{" "}
                          {s.end_date ? lastDay(s.end_date, time_zone) : ta("member.lifetime")}
                        </td>
                        <td>{money(s.total_cents - s.refunded_cents, s.currency ?? currency)}</td>
                        <td>{s.payment_method ?? ""}</td>
                        <td>{s.status}</td>
                        <td>
                          {s.status === "active" && may("subscriptions.cancel") && (
                            <CancelOne subscription={s} done={reload} />
                          )}
                          {s.total_cents > s.refunded_cents && may("subscriptions.edit") && (
                            <Refund
                              id={s.id}
                              left={s.total_cents - s.refunded_cents}
                              currency={s.currency ?? currency}
                              what={`${s.member_name}, ${s.plan_name}`}
                              run={(body) =>
                                unwrap(
                                  api.POST("/api/subscriptions/{id}/refund", {
                                    params: { path: { id: s.id } },
                                    body,
                                  }),
                                )
                              }
                              done={reload}
                            />
                          )}
                        </td>
                      </tr>
                    ))}
                  </DataTable>
                  <Pager page={page} perPage={PER_PAGE} total={l.total} onPage={state.toPage} />
                </>
              )
            }
          </Loaded>
        </>
      )}
    </Page>
  );
}

function CancelOne({ subscription: s, done }: { subscription: Subscription; done: () => void }) {
  return (
    <Confirm
      label={ta("subscriptions.cancel")}
      warning={ta("subscriptions.cancelWarning", { name: s.member_name, plan: s.plan_name })}
      action={() =>
        unwrap(
          api.POST("/api/subscriptions/{id}/cancel", {
            params: { path: { id: s.id } },
            body: { reason: null, when: null },
          }),
        )
      }
      done={done}
    />
  );
}

function ManualPayment({ plans, done }: { plans: Schemas["Plan"][]; done: () => void }) {
  const [recorded, setRecorded] = useState<string | null>(null);
  const form = useForm({
    user_id: "",
    plan_id: plans[0]?.id ?? "",
    method: "cash" as (typeof OFFLINE)[number],
    amount: "",
    paid_on: "",
    notes: "",
  });
  const v = form.values;
  return (
    <form
      noValidate
      onSubmit={form.submit(async (values) => {
        setRecorded(null);
        const created = await unwrap(
          api.POST("/api/subscriptions/manual", {
            body: {
              user_id: values.user_id,
              plan_id: values.plan_id,
              method: values.method,
              amount_cents: optionalAmount(values.amount, "amount_cents"),
              donation_cents: 0,
              paid_on: values.paid_on || null,
              notes: values.notes.trim() || null,
            },
          }),
        );
        setRecorded(ta("subscriptions.recorded", { name: created.member_name }));
        form.set("amount", "");
        form.set("notes", "");
        done();
      })}
    >
      <h2>{ta("subscriptions.record")}</h2>
      {form.problem && <Problem>{form.problem}</Problem>}
      {recorded && <Notice>{recorded}</Notice>}
      <MemberAndPlan
        userId={v.user_id}
        planId={v.plan_id}
        onUser={(id) => form.set("user_id", id)}
        onPlan={(id) => form.set("plan_id", id)}
        error={form.error}
        options={plans.map((p) => ({ value: p.id, label: p.name }))}
      />
      <Select
        field="method"
        label={ta("subscriptions.method")}
        value={v.method}
        error={form.error("method")}
        onChange={(m) => form.set("method", OFFLINE.find((o) => o === m) ?? "cash")}
        options={OFFLINE.map((m) => ({ value: m, label: ta(`method.${m}`) }))}
      />
      <TextField
        {...form.bind("amount")}
        error={form.error("amount_cents")}
        label={ta("subscriptions.amount")}
        hint={ta("subscriptions.amountHint")}
        inputMode="decimal"
      />
      <TextField {...form.bind("paid_on")} type="date" label={ta("subscriptions.paidOn")} />
      <TextArea
        field="notes"
        label={ta("subscriptions.notes")}
        value={v.notes}
        onInput={(notes) => form.set("notes", notes)}
      />
      <Submit busy={form.busy}>{ta("subscriptions.recordButton")}</Submit>
    </form>
  );
}

/** A period without payment (an honorary member, a volunteer, an extension),
 * with the reason the member's trail keeps. */
function Grant({ plans, done }: { plans: Schemas["Plan"][]; done: () => void }) {
  const [granted, setGranted] = useState<string | null>(null);
  const form = useForm({ user_id: "", plan_id: "", until: "", reason: "" });
  const v = form.values;
  return (
    <form
      noValidate
      onSubmit={form.submit(async (values) => {
        setGranted(null);
        const created = await unwrap(
          api.POST("/api/subscriptions/complimentary", {
            body: {
              user_id: values.user_id,
              plan_id: values.plan_id || null,
              until: values.until,
              reason: values.reason,
            },
          }),
        );
        setGranted(ta("subscriptions.granted", { name: created.member_name }));
        form.set("reason", "");
        done();
      })}
    >
      <h2>{ta("subscriptions.grant")}</h2>
      {form.problem && <Problem>{form.problem}</Problem>}
      {granted && <Notice>{granted}</Notice>}
      <MemberAndPlan
        userId={v.user_id}
        planId={v.plan_id}
        onUser={(id) => form.set("user_id", id)}
        onPlan={(id) => form.set("plan_id", id)}
        error={form.error}
        options={[
          { value: "", label: ta("subscriptions.latestPlan") },
          ...plans.map((p) => ({ value: p.id, label: p.name })),
        ]}
      />
      <TextField
        {...form.bind("until")}
        type="date"
        label={ta("subscriptions.until")}
        hint={ta("subscriptions.untilHint")}
        required
      />
      <TextArea
        field="reason"
        label={ta("subscriptions.reason")}
        value={v.reason}
        error={form.error("reason")}
        onInput={(reason) => form.set("reason", reason)}
        required
      />
      <Submit busy={form.busy}>{ta("subscriptions.grantButton")}</Submit>
    </form>
  );
}

/** The member a recorded period is for, and its plan. */
function MemberAndPlan(props: {
  userId: string;
  planId: string;
  onUser: (id: string) => void;
  onPlan: (id: string) => void;
  error: (field: string) => string | undefined;
  options: { value: string; label: string }[];
}) {
  return (
    <>
      <MemberPicker
        field="user_id"
        error={props.error("user_id")}
        value={props.userId}
        onChange={props.onUser}
      />
      <Select
        field="plan_id"
        label={ta("subscriptions.plan")}
        value={props.planId}
        error={props.error("plan_id")}
        onChange={props.onPlan}
        options={props.options}
      />
    </>
  );
}
