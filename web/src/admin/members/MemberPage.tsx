import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import type { Me } from "../../auth/me";
import { Select, Submit, TextArea } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { DataExportPanel } from "../../features/profile/DataExport";
import { ProfileFields } from "../../features/profile/ProfileFields";
import { fromProfile, toProfile } from "../../features/profile/values";
import { dateTime, day, lastDay, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { Confirm } from "../ui/Confirm";
import { Pager } from "../ui/Pager";
import { statusLabel } from "./status";

type Member = Schemas["Member"];

/** One member: who they are, the status moves the lifecycle allows, the
 * role, their subscriptions and gifts, and what was done to the account
 * (each part shown to those whose permissions cover it). */
export function MemberPage({ me, id = "" }: { me: Me; id?: string }) {
  const [member, reload] = useLoad(
    () => unwrap(api.GET("/api/members/{id}", { params: { path: { id } } })),
    [id],
  );
  const may = (code: string) => me.permissions.includes(code);
  return (
    <Loaded state={member} reload={reload}>
      {(m) => (
        <Page title={`${m.profile?.first_name ?? ""} ${m.profile?.last_name ?? ""}`.trim()}>
          <Summary member={m} />
          {m.email_suppression && (
            <MailState
              member={m}
              suppression={m.email_suppression}
              mayClear={may("users.edit")}
              changed={reload}
            />
          )}
          {m.status === "pending_validation" || m.status === "pre_validated" ? (
            <p>
              <a href="/admin/applicants">{ta("member.inQueue")}</a>
            </p>
          ) : null}
          {may("users.status") && m.status_moves.length > 0 && (
            <StatusMove key={m.status} member={m} changed={reload} />
          )}
          {may("permissions.assign") && may("permissions.view") && (
            <RoleChoice member={m} changed={reload} />
          )}
          {may("users.edit") && m.profile && (
            <ProfileEdit member={m} profile={m.profile} changed={reload} />
          )}
          {may("subscriptions.view") && <Subscriptions id={m.id} />}
          {may("donations.view") && <Donations id={m.id} />}
          {may("users.audit") && <Timeline id={m.id} changed={m.updated_at} />}
          {may("users.export") && !m.erased_at && (
            <section>
              <h2>{ta("member.exportTitle")}</h2>
              <p>{ta("member.exportWhat")}</p>
              <DataExportPanel
                load={() =>
                  unwrap(
                    api.GET("/api/members/{id}/data-export", { params: { path: { id: m.id } } }),
                  )
                }
                request={() =>
                  unwrap(
                    api.POST("/api/members/{id}/data-export", { params: { path: { id: m.id } } }),
                  )
                }
              />
            </section>
          )}
          {m.erased_at ? (
            <Notice>{ta("member.erased")}</Notice>
          ) : (
            may("users.delete") &&
            m.id !== me.id && (
              <section>
                <h2>{ta("member.eraseTitle")}</h2>
                <Confirm
                  label={ta("member.erase")}
                  warning={ta("member.eraseWarning")}
                  action={() =>
                    unwrap(api.POST("/api/members/{id}/erase", { params: { path: { id: m.id } } }))
                  }
                  done={reload}
                />
              </section>
            )
          )}
        </Page>
      )}
    </Loaded>
  );
}

function Summary({ member: m }: { member: Member }) {
  const { time_zone } = useSettings();
  const when = (iso: string | null | undefined) => (iso ? dateTime(iso, time_zone) : "—");
  return (
    <dl class="facts">
      <dt>{ta("member.email")}</dt>
      <dd>
        {m.email} {m.email_verified ? "" : `(${ta("member.unverified")})`}
      </dd>
      <dt>{ta("member.status")}</dt>
      <dd>
        <span class={`badge ${m.status}`}>{statusLabel(m.status)}</span>
        {m.rejection_reason && ` — ${m.rejection_reason}`}
      </dd>
      <dt>{ta("member.role")}</dt>
      <dd>{m.role_name ?? "—"}</dd>
      <dt>{ta("member.since")}</dt>
      <dd>{m.member_since ? day(m.member_since, time_zone) : "—"}</dd>
      <dt>{ta("member.registered")}</dt>
      <dd>{when(m.created_at)}</dd>
      <dt>{ta("member.lastLogin")}</dt>
      <dd>{when(m.last_login_at)}</dd>
      {m.profile?.phone && (
        <>
          <dt>{ta("member.phone")}</dt>
          <dd>{m.profile.phone}</dd>
        </>
      )}
    </dl>
  );
}

/** Mail to the member's address is not sent any more: why, since when, and
 * (for those who may edit members) a way to mail it again once fixed. */
function MailState({
  member: m,
  suppression,
  mayClear,
  changed,
}: {
  member: Member;
  suppression: NonNullable<Member["email_suppression"]>;
  mayClear: boolean;
  changed: () => void;
}) {
  const { time_zone } = useSettings();
  return (
    <section aria-labelledby="mail-stopped">
      <h2 id="mail-stopped">{ta("member.mailStopped")}</h2>
      <Problem focus={false}>
        {ta(suppression.reason === "complaint" ? "member.complained" : "member.bounced", {
          since: dateTime(suppression.since, time_zone),
        })}
        {suppression.detail && ` (${suppression.detail})`}
      </Problem>
      {mayClear && (
        <Confirm
          label={ta("member.mailAgain")}
          warning={ta("member.mailAgainWarning")}
          danger={false}
          action={() =>
            unwrap(
              api.DELETE("/api/members/{id}/email-suppression", {
                params: { path: { id: m.id } },
              }),
            )
          }
          done={changed}
        />
      )}
    </section>
  );
}

/** The moves the lifecycle's table allows from the current status (the
 * API lists them); each is confirmed, with a reason for the trail. */
function StatusMove({ member: m, changed }: { member: Member; changed: () => void }) {
  const [to, setTo] = useState(m.status_moves[0] ?? m.status);
  const [reason, setReason] = useState("");
  return (
    <section aria-labelledby="status-move">
      <h2 id="status-move">{ta("member.changeStatus")}</h2>
      <Select
        field="status"
        label={ta("member.newStatus")}
        value={to}
        onChange={(value) => setTo(value as Member["status"])}
        options={m.status_moves.map((s) => ({ value: s, label: statusLabel(s) }))}
      />
      <TextArea field="reason" label={ta("member.reason")} value={reason} onInput={setReason} />
      <Confirm
        label={ta("member.move")}
        warning={ta("member.moveWarning", { from: statusLabel(m.status), to: statusLabel(to) })}
        danger={false}
        action={() =>
          unwrap(
            api.POST("/api/members/{id}/status", {
              params: { path: { id: m.id } },
              body: { status: to, reason: reason.trim() || null },
            }),
          )
        }
        done={changed}
      />
    </section>
  );
}

function RoleChoice({ member: m, changed }: { member: Member; changed: () => void }) {
  const [roles] = useLoad(() => unwrap(api.GET("/api/roles")), []);
  const form = useForm({ role_id: m.role_id ?? "" });
  return (
    <section aria-labelledby="role">
      <h2 id="role">{ta("member.role")}</h2>
      <Loaded state={roles}>
        {(list) => (
          <form
            noValidate
            onSubmit={form.submit(async ({ role_id }) => {
              await unwrap(
                api.PUT("/api/members/{id}/role", {
                  params: { path: { id: m.id } },
                  body: { role_id },
                }),
              );
              changed();
            })}
          >
            {form.problem && <Problem>{form.problem}</Problem>}
            <Select
              field="role_id"
              label={ta("member.roleChoice")}
              value={form.values.role_id}
              error={form.error("role_id")}
              onChange={(role_id) => form.set("role_id", role_id)}
              options={list.map((r) => ({ value: r.id, label: r.name }))}
            />
            <Submit busy={form.busy}>{ta("member.setRole")}</Submit>
          </form>
        )}
      </Loaded>
    </section>
  );
}

function ProfileEdit({
  member: m,
  profile,
  changed,
}: {
  member: Member;
  profile: Schemas["Profile"];
  changed: () => void;
}) {
  const form = useForm(fromProfile(profile));
  const [saved, setSaved] = useState(false);
  return (
    <details class="edit">
      <summary>{ta("member.edit")}</summary>
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          setSaved(false);
          await unwrap(
            api.PATCH("/api/members/{id}", {
              params: { path: { id: m.id } },
              body: toProfile(values),
            }),
          );
          setSaved(true);
          changed();
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        {saved && <Notice>{ta("member.saved")}</Notice>}
        <ProfileFields form={form} prefix="" />
        <Submit busy={form.busy}>{ta("member.save")}</Submit>
      </form>
    </details>
  );
}

function Subscriptions({ id }: { id: string }) {
  const { time_zone, currency } = useSettings();
  const [list] = useLoad(
    () =>
      unwrap(api.GET("/api/subscriptions", { params: { query: { user_id: id, per_page: 50 } } })),
    [id],
  );
  return (
    <section aria-labelledby="subscriptions">
      <h2 id="subscriptions">{ta("member.subscriptions")}</h2>
      <Loaded
        state={list}
        empty={ta("member.noSubscriptions")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <DataTable
            headers={[
              ta("member.plan"),
              ta("member.period"),
              ta("member.paid"),
              ta("member.method"),
              ta("member.status"),
            ]}
          >
            {l.items.map((s) => (
              <tr key={s.id}>
                <th scope="row">{s.plan_name}</th>
                <td>
                  {day(s.start_date, time_zone)} –{" "}
                  {s.end_date ? lastDay(s.end_date, time_zone) : ta("member.lifetime")}
                </td>
                <td>{money(s.total_cents - s.refunded_cents, s.currency ?? currency)}</td>
                <td>{s.payment_method ?? ""}</td>
                <td>{s.status}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
    </section>
  );
}

function Donations({ id }: { id: string }) {
  const { time_zone, currency } = useSettings();
  const [list] = useLoad(
    () => unwrap(api.GET("/api/donations", { params: { query: { user_id: id, per_page: 50 } } })),
    [id],
  );
  return (
    <section aria-labelledby="donations">
      <h2 id="donations">{ta("member.donations")}</h2>
      <Loaded state={list} empty={ta("member.noDonations")} isEmpty={(l) => l.items.length === 0}>
        {(l) => (
          <ul class="cards">
            {l.items.map((d) => (
              <li key={d.id}>
                {money(d.amount_cents - d.refunded_cents, d.currency ?? currency)}
                <span class="meta">
                  {day(d.donated_at ?? d.created_at, time_zone)} · {d.payment_method ?? ""}
                  {d.receipt_number ? ` · ${d.receipt_number}` : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

const TRAIL_PAGE = 20;

/** What was done to the account, newest first, a page at a time; read
 * again whenever the account `changed`. */
function Timeline({ id, changed }: { id: string; changed: string }) {
  const { time_zone } = useSettings();
  const [page, setPage] = useState(1);
  const [trail] = useLoad(
    () =>
      unwrap(
        api.GET("/api/members/{id}/audit", {
          params: { path: { id }, query: { page, per_page: TRAIL_PAGE } },
        }),
      ),
    [id, page, changed],
  );
  return (
    <section aria-labelledby="timeline">
      <h2 id="timeline">{ta("member.timeline")}</h2>
      <Loaded state={trail} empty={ta("member.noTimeline")} isEmpty={(t) => t.total === 0}>
        {(t) => (
          <>
            <ol class="timeline">
              {t.items.map((entry) => (
                <li key={entry.id}>
                  <time dateTime={entry.created_at}>{dateTime(entry.created_at, time_zone)}</time>{" "}
                  <strong>{entry.action}</strong>
                  {entry.from_value || entry.to_value
                    ? ` ${entry.from_value ?? "—"} → ${entry.to_value ?? "—"}`
                    : ""}
                  {entry.actor_name && ` · ${ta("member.by", { name: entry.actor_name })}`}
                  {entry.reason && <p class="meta">{entry.reason}</p>}
                </li>
              ))}
            </ol>
            <Pager page={page} perPage={TRAIL_PAGE} total={t.total} onPage={setPage} />
          </>
        )}
      </Loaded>
    </section>
  );
}
