import { api, unwrap } from "../../api/client";
import type { Me } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { dateTime, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { statusLabel, STATUSES } from "../members/status";
import { BarChart } from "../ui/BarChart";

/** The month's short name from `YYYY-MM`. */
function monthName(month: string): string {
  const [year, number] = month.split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", { month: "short", timeZone: "UTC" }).format(
    new Date(Date.UTC(year ?? 2000, (number ?? 1) - 1, 1)),
  );
}

/** The dashboard: where the association stands, the applicants waiting,
 * and the last twelve months as charts. */
export function AdminHome({ me }: { me: Me }) {
  const { currency, time_zone } = useSettings();
  const [stats, reload] = useLoad(() => unwrap(api.GET("/api/dashboard/stats")), []);
  const cents = (value: number) => money(value, currency);
  return (
    <Page title={ta("home.title")}>
      <Loaded state={stats} reload={reload}>
        {(s) => {
          const byStatus = s.members_by_status as Record<string, number>;
          const months = s.monthly.map((m) => m.month);
          return (
            <>
              <ul class="figures">
                <li>
                  <a href="/admin/applicants">
                    <strong>{s.pending_validations}</strong>
                    {ta("home.waiting")}
                  </a>
                </li>
                <li>
                  <strong>{byStatus.active ?? 0}</strong>
                  {ta("home.active")}
                </li>
                <li>
                  <strong>{s.new_members_this_month}</strong>
                  {ta("home.newThisMonth")}
                </li>
                <li>
                  <strong>{s.active_subscriptions}</strong>
                  {ta("home.subscriptions")}
                </li>
                {s.subscription_revenue_this_year_cents != null && (
                  <li>
                    <strong>{cents(s.subscription_revenue_this_year_cents)}</strong>
                    {ta("home.revenue")}
                  </li>
                )}
                {s.donations_this_year_cents != null && (
                  <li>
                    <strong>{cents(s.donations_this_year_cents)}</strong>
                    {ta("home.donations")}
                  </li>
                )}
              </ul>
              <div class="charts">
                <BarChart
                  title={ta("home.byStatus")}
                  labels={STATUSES.map((status) => statusLabel(status))}
                  series={[
                    {
                      name: ta("home.accounts"),
                      tone: "one",
                      values: STATUSES.map((status) => byStatus[status] ?? 0),
                    },
                  ]}
                  format={String}
                  tick={(label) => label.slice(0, 3)}
                />
                <BarChart
                  title={ta("home.newMembers")}
                  labels={months}
                  series={[
                    {
                      name: ta("home.newMembersSeries"),
                      tone: "one",
                      values: s.monthly.map((m) => m.new_members),
                    },
                  ]}
                  format={String}
                  tick={monthName}
                />
                {(s.monthly[0]?.membership_cents != null ||
                  s.monthly[0]?.donations_cents != null) && (
                  <BarChart
                    title={ta("home.money")}
                    labels={months}
                    series={[
                      ...(s.monthly[0]?.membership_cents != null
                        ? [
                            {
                              name: ta("home.membershipSeries"),
                              tone: "one" as const,
                              values: s.monthly.map((m) => m.membership_cents ?? 0),
                            },
                          ]
                        : []),
                      ...(s.monthly[0]?.donations_cents != null
                        ? [
                            {
                              name: ta("home.donationsSeries"),
                              tone: "two" as const,
                              values: s.monthly.map((m) => m.donations_cents ?? 0),
                            },
                          ]
                        : []),
                    ]}
                    format={cents}
                    tick={monthName}
                  />
                )}
              </div>
              <h2>{ta("home.upcoming")}</h2>
              {s.upcoming_events.length === 0 ? (
                <p class="empty">{ta("home.noEvents")}</p>
              ) : (
                <ul class="cards">
                  {s.upcoming_events.map((e) => (
                    <li key={e.id}>
                      {me.permissions.some((p) => p.startsWith("events.")) ? (
                        <a href={`/admin/events/${e.id}`}>{e.title}</a>
                      ) : (
                        e.title
                      )}
                      <span class="meta">
                        {dateTime(e.start_at, time_zone)} ·{" "}
                        {ta("home.attending", { count: e.attending })}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
