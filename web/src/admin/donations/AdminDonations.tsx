import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import type { paths } from "../../api/schema";
import type { Me } from "../../auth/me";
import { Checkbox, Select, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { day, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { Action } from "../ui/Action";
import { Refund } from "../ui/Refund";
import { amount } from "../ui/amount";
import { BarChart } from "../ui/BarChart";
import { MemberPicker } from "../ui/MemberPicker";
import { Export } from "../ui/Export";
import { Pager } from "../ui/Pager";
import { FilterSelect } from "../ui/FilterSelect";
import { useQueryState } from "../ui/query";
import { SearchBox } from "../ui/SearchBox";
import { Statements } from "./Statements";

type Query = NonNullable<paths["/api/donations"]["get"]["parameters"]["query"]>;
type Filter = Omit<Query, "page" | "per_page">;

const PER_PAGE = 25;
const METHODS = ["online", "cash", "cheque", "bank_transfer", "in_kind"] as const;
const OFFLINE = ["cash", "cheque", "bank_transfer", "in_kind"] as const;
const TYPES = ["member", "public"] as const;
const STATES = ["completed", "failed", "pending"] as const;

function filterOf(all: Record<string, string>): Filter {
  const filter: Filter = {};
  if (all.q) filter.q = all.q;
  const method = METHODS.find((m) => m === all.method);
  if (method) filter.method = method;
  const type = TYPES.find((t) => t === all.type);
  if (type) filter.type = type;
  const status = STATES.find((s) => s === all.status);
  if (status) filter.status = status;
  if (all.from) filter.from = all.from;
  if (all.to) filter.to = all.to;
  return filter;
}

/** Donations: the year's statistics, the list with filters, a gift
 * recorded by hand (offline or in kind), receipts sent again, the export. */
export function AdminDonations({ me }: { me: Me }) {
  const may = (code: string) => me.permissions.includes(code);
  // Bumped by each gift recorded here, so the figures and the list follow.
  const [recorded, setRecorded] = useState(0);
  return (
    <Page title={ta("donations.title")}>
      {may("donations.stats") && <YearStats recorded={recorded} />}
      {may("donations.create") && <Offline done={() => setRecorded((n) => n + 1)} />}
      {may("donations.view") && <DonationList me={me} recorded={recorded} />}
      {may("donations.view") && <Statements maySend={may("donations.receipts")} />}
    </Page>
  );
}

function YearStats({ recorded }: { recorded: number }) {
  const { currency } = useSettings();
  const [year, setYear] = useState(new Date().getFullYear());
  const [stats] = useLoad(
    () => unwrap(api.GET("/api/donations/stats", { params: { query: { year } } })),
    [year, recorded],
  );
  const cents = (value: number) => money(value, currency);
  return (
    <section aria-labelledby="year-stats">
      <h2 id="year-stats">{ta("donations.stats", { year })}</h2>
      <div class="actions">
        <button type="button" onClick={() => setYear(year - 1)}>
          {ta("donations.yearBefore")}
        </button>
        <button
          type="button"
          disabled={year >= new Date().getFullYear()}
          onClick={() => setYear(year + 1)}
        >
          {ta("donations.yearAfter")}
        </button>
      </div>
      <Loaded state={stats}>
        {(s) => (
          <>
            <ul class="figures">
              <li>
                <strong>{cents(s.total_cents)}</strong>
                {ta("donations.total", { count: s.count })}
              </li>
              <li>
                <strong>{cents(s.previous_year_to_date_cents)}</strong>
                {ta("donations.lastYearToDate")}
              </li>
              <li>
                <strong>{cents(s.previous_year_cents)}</strong>
                {ta("donations.lastYear")}
              </li>
            </ul>
            <div class="charts">
              <BarChart
                title={ta("donations.byMonth")}
                labels={s.by_month.map((b) => b.key)}
                series={[
                  {
                    name: ta("donations.amount"),
                    tone: "two",
                    values: s.by_month.map((b) => b.total_cents),
                  },
                ]}
                format={cents}
                tick={(key) => key.slice(5)}
              />
              <BarChart
                title={ta("donations.byType")}
                labels={s.by_type.map((b) =>
                  b.key === "member" || b.key === "public" ? ta(`donations.type.${b.key}`) : b.key,
                )}
                series={[
                  {
                    name: ta("donations.amount"),
                    tone: "one",
                    values: s.by_type.map((b) => b.total_cents),
                  },
                ]}
                format={cents}
              />
            </div>
            {s.top_donors && s.top_donors.length > 0 && (
              <>
                <h3>{ta("donations.topDonors")}</h3>
                <ol>
                  {s.top_donors.map((d, i) => (
                    <li key={d.user_id ?? d.donor_email ?? i}>
                      {d.donor_name ?? d.donor_email ?? ta("donations.anonymous")}:{" "}
                      {cents(d.total_cents)} ({d.count})
                    </li>
                  ))}
                </ol>
              </>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function Offline({ done }: { done: () => void }) {
  const [recorded, setRecorded] = useState<string | null>(null);
  const form = useForm({
    user_id: "",
    donor_name: "",
    donor_email: "",
    amount: "",
    method: "cash" as (typeof OFFLINE)[number],
    in_kind_description: "",
    donated_on: "",
    anonymous: false,
    notes: "",
  });
  const [forMember, setForMember] = useState(true);
  const v = form.values;
  const { currency } = useSettings();
  return (
    <form
      noValidate
      onSubmit={form.submit(async (values) => {
        setRecorded(null);
        const gift = await unwrap(
          api.POST("/api/donations/manual", {
            body: {
              amount_cents: amount(values.amount, "amount_cents"),
              method: values.method,
              user_id: forMember ? values.user_id || null : null,
              donor_name: forMember ? null : values.donor_name.trim() || null,
              donor_email: forMember ? null : values.donor_email.trim() || null,
              in_kind_description:
                values.method === "in_kind" ? values.in_kind_description.trim() || null : null,
              donated_on: values.donated_on || null,
              anonymous: values.anonymous,
              notes: values.notes.trim() || null,
            },
          }),
        );
        setRecorded(
          ta("donations.recorded", {
            amount: money(gift.amount_cents, gift.currency ?? currency),
            receipt: gift.receipt_number ?? "—",
          }),
        );
        form.set("amount", "");
        form.set("notes", "");
        done();
      })}
    >
      <h2>{ta("donations.record")}</h2>
      {form.problem && <Problem>{form.problem}</Problem>}
      {recorded && <Notice>{recorded}</Notice>}
      <Checkbox
        field="for_member"
        label={ta("donations.fromMember")}
        checked={forMember}
        onChange={setForMember}
      />
      {forMember ? (
        <MemberPicker
          field="user_id"
          error={form.error("user_id")}
          value={v.user_id}
          onChange={(id) => form.set("user_id", id)}
        />
      ) : (
        <>
          <TextField {...form.bind("donor_name")} label={ta("donations.donorName")} />
          <TextField
            {...form.bind("donor_email")}
            type="email"
            label={ta("donations.donorEmail")}
          />
        </>
      )}
      <Select
        field="method"
        label={ta("donations.method")}
        value={v.method}
        error={form.error("method")}
        onChange={(m) => form.set("method", OFFLINE.find((o) => o === m) ?? "cash")}
        options={OFFLINE.map((m) => ({ value: m, label: ta(`method.${m}`) }))}
      />
      <TextField
        {...form.bind("amount")}
        error={form.error("amount_cents")}
        label={v.method === "in_kind" ? ta("donations.value") : ta("donations.amount")}
        inputMode="decimal"
        required
      />
      {v.method === "in_kind" && (
        <TextArea
          field="in_kind_description"
          label={ta("donations.inKind")}
          value={v.in_kind_description}
          error={form.error("in_kind_description")}
          onInput={(text) => form.set("in_kind_description", text)}
        />
      )}
      <TextField {...form.bind("donated_on")} type="date" label={ta("donations.givenOn")} />
      <Checkbox
        field="anonymous"
        label={ta("donations.anonymousGift")}
        checked={v.anonymous}
        onChange={(anonymous) => form.set("anonymous", anonymous)}
      />
      <TextArea
        field="notes"
        label={ta("subscriptions.notes")}
        value={v.notes}
        onInput={(notes) => form.set("notes", notes)}
      />
      <Submit busy={form.busy}>{ta("donations.recordButton")}</Submit>
    </form>
  );
}

function DonationList({ me, recorded }: { me: Me; recorded: number }) {
  const { time_zone, currency } = useSettings();
  const state = useQueryState();
  const filter = filterOf(state.all);
  const page = state.page;
  const [list, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/donations", { params: { query: { ...filter, page, per_page: PER_PAGE } } }),
      ),
    [JSON.stringify(filter), page, recorded],
  );
  return (
    <section aria-labelledby="gifts">
      <h2 id="gifts">{ta("donations.list")}</h2>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <SearchBox label={ta("donations.search")} state={state} />
        <FilterSelect
          name="type"
          label={ta("donations.type")}
          state={state}
          options={TYPES.map((t) => ({ value: t, label: ta(`donations.type.${t}`) }))}
        />
        <FilterSelect
          name="method"
          label={ta("donations.method")}
          state={state}
          options={METHODS.map((m) => ({ value: m, label: ta(`method.${m}`) }))}
        />
        <FilterSelect
          name="status"
          label={ta("donations.status")}
          state={state}
          none={ta("donations.settled")}
          options={STATES.map((s) => ({ value: s, label: ta(`donations.status.${s}`) }))}
        />
        <TextField
          field="from"
          type="date"
          label={ta("donations.from")}
          value={state.get("from")}
          onInput={(from) => state.set({ from })}
        />
        <TextField
          field="to"
          type="date"
          label={ta("donations.to")}
          value={state.get("to")}
          onInput={(to) => state.set({ to })}
        />
      </form>
      {me.permissions.includes("donations.export") && (
        <Export
          label={ta("donations.export")}
          run={() => unwrap(api.GET("/api/donations/export", { params: { query: filter } }))}
        />
      )}
      <Loaded
        state={list}
        reload={reload}
        empty={ta("donations.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <>
            <DataTable
              headers={[
                ta("donations.donor"),
                ta("donations.amount"),
                ta("donations.givenOn"),
                ta("donations.method"),
                ta("donations.receipt"),
              ]}
            >
              {l.items.map((d) => (
                <tr key={d.id}>
                  <th scope="row">
                    {d.donor_name ?? d.donor_email ?? ta("donations.anonymous")}
                    {d.anonymous ? ` (${ta("donations.anonymousGift")})` : ""}
                  </th>
                  <td>{money(d.amount_cents - d.refunded_cents, d.currency ?? currency)}</td>
                  <td>{day(d.donated_at ?? d.created_at, time_zone)}</td>
                  <td>{d.payment_method ?? ""}</td>
                  <td>
                    {d.receipt_number ?? ""}{" "}
                    {d.receipt_number && me.permissions.includes("donations.receipts") && (
                      <Action
                        action={() =>
                          unwrap(
                            api.POST("/api/donations/{id}/receipt", {
                              params: { path: { id: d.id } },
                            }),
                          )
                        }
                        done={reload}
                      >
                        {ta("donations.resend", { receipt: d.receipt_number })}
                      </Action>
                    )}{" "}
                    {d.status === "completed" &&
                      d.amount_cents > d.refunded_cents &&
                      me.permissions.includes("donations.edit") && (
                        <Refund
                          id={d.id}
                          left={d.amount_cents - d.refunded_cents}
                          currency={d.currency ?? currency}
                          what={d.donor_name ?? d.donor_email ?? ta("donations.anonymous")}
                          run={(body) =>
                            unwrap(
                              api.POST("/api/donations/{id}/refund", {
                                params: { path: { id: d.id } },
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
        )}
      </Loaded>
    </section>
  );
}
