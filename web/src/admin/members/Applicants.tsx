import { useState } from "preact/hooks";
import { api, ApiError, unwrap, type Schemas } from "../../api/client";
import type { Me } from "../../auth/me";
import { TextArea } from "../../components/fields";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice } from "../../components/Notice";
import { Page } from "../../components/Page";
import { day } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { toggled } from "../ui/toggled";
import { statusLabel } from "./status";

type Applicant = Schemas["MemberSummary"];
type Outcome = Schemas["BulkOutcome"];

/** Asked before the request: the API would refuse it too, but the
 * applicant is told the reason, so the page says why it is needed. */
function reasonNeeded(): ApiError {
  return new ApiError(422, "validation_failed", ta("queue.reasonNeeded"), "reason");
}

/** The validation queue: applicants (those who attended an event first:
 * pre-validated), each with their profile and any existing account that
 * looks like theirs; validate or reject one, or several at once. */
export function Applicants({ me }: { me: Me }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState("");
  const [outcome, setOutcome] = useState<string | null>(null);
  const [queue, reload] = useLoad(async () => {
    const query = { sort: "created_at", per_page: 100 } as const;
    const [pre, waiting] = await Promise.all([
      unwrap(api.GET("/api/members", { params: { query: { ...query, status: "pre_validated" } } })),
      unwrap(
        api.GET("/api/members", { params: { query: { ...query, status: "pending_validation" } } }),
      ),
    ]);
    return { items: [...pre.items, ...waiting.items], total: pre.total + waiting.total };
  }, []);
  const toggle = (id: string) => setSelected(toggled(selected, id));
  const finish = (what: "validated" | "rejected") => (result: Outcome) => {
    setOutcome(
      ta(what === "validated" ? "queue.validatedMany" : "queue.rejectedMany", {
        done: result.done.length,
        refused: result.refused.length,
      }),
    );
    setSelected(new Set());
    setReason("");
    reload();
  };
  const ids = [...selected];
  const approves = me.permissions.includes("users.approve");
  return (
    <Page title={ta("queue.title")}>
      {outcome && <Notice>{outcome}</Notice>}
      <Loaded
        state={queue}
        reload={reload}
        empty={ta("queue.empty")}
        isEmpty={(q) => q.items.length === 0}
      >
        {(q) => (
          <>
            <p>{ta("queue.count", { count: q.total })}</p>
            {approves && ids.length > 0 && (
              <section class="bulk" aria-label={ta("queue.bulk")}>
                <p>{ta("queue.selected", { count: ids.length })}</p>
                <Action
                  action={async () =>
                    finish("validated")(
                      await unwrap(
                        api.POST("/api/members/validate", { body: { ids, reason: null } }),
                      ),
                    )
                  }
                >
                  {ta("queue.validateSelected")}
                </Action>
                <TextArea
                  field="bulk_reason"
                  label={ta("queue.reason")}
                  value={reason}
                  onInput={setReason}
                />
                <Confirm
                  label={ta("queue.rejectSelected")}
                  warning={ta("queue.rejectWarning", { count: ids.length })}
                  action={async () => {
                    if (!reason.trim()) throw reasonNeeded();
                    finish("rejected")(
                      await unwrap(
                        api.POST("/api/members/reject", { body: { ids, reason: reason.trim() } }),
                      ),
                    );
                  }}
                />
              </section>
            )}
            <ul class="queue">
              {q.items.map((a) => (
                <ApplicantCard
                  key={a.id}
                  applicant={a}
                  checked={selected.has(a.id)}
                  toggle={approves ? () => toggle(a.id) : undefined}
                  changed={reload}
                />
              ))}
            </ul>
            {q.total > q.items.length && <p>{ta("queue.more")}</p>}
          </>
        )}
      </Loaded>
    </Page>
  );
}

function ApplicantCard({
  applicant: a,
  checked,
  toggle,
  changed,
}: {
  applicant: Applicant;
  checked: boolean;
  /** Picks or drops the applicant; absent for someone who may not decide. */
  toggle: (() => void) | undefined;
  changed: () => void;
}) {
  const { time_zone } = useSettings();
  const [reason, setReason] = useState("");
  const [detail] = useLoad(
    () =>
      Promise.all([
        unwrap(api.GET("/api/members/{id}", { params: { path: { id: a.id } } })),
        unwrap(api.GET("/api/members/{id}/similar", { params: { path: { id: a.id } } })),
      ]),
    [a.id],
  );
  const name = `${a.first_name} ${a.last_name}`;
  return (
    <li class="card applicant">
      <div class="check-line">
        {toggle && (
          <input
            type="checkbox"
            id={`pick-${a.id}`}
            checked={checked}
            onChange={toggle}
            aria-label={ta("queue.pick", { name })}
          />
        )}
        <h2>
          <a href={`/admin/members/${a.id}`}>{name}</a>
        </h2>
        <span class={`badge ${a.status}`}>{statusLabel(a.status)}</span>
      </div>
      <p class="meta">
        {a.email} · {ta("queue.since", { day: day(a.created_at, time_zone) })}
        {a.status === "pre_validated" && ` · ${ta("queue.attended")}`}
      </p>
      <Loaded state={detail}>
        {([member, similar]) => (
          <>
            {member.profile && (
              <dl class="facts">
                {member.profile.phone && (
                  <>
                    <dt>{ta("member.phone")}</dt>
                    <dd>{member.profile.phone}</dd>
                  </>
                )}
                {member.profile.address.street && (
                  <>
                    <dt>{ta("member.address")}</dt>
                    <dd>
                      {[
                        member.profile.address.street,
                        member.profile.address.zipcode,
                        member.profile.address.city,
                      ]
                        .filter(Boolean)
                        .join(", ")}
                    </dd>
                  </>
                )}
                {member.profile.referred_by_member_name && (
                  <>
                    <dt>{ta("member.referredBy")}</dt>
                    <dd>{member.profile.referred_by_member_name}</dd>
                  </>
                )}
              </dl>
            )}
            {similar.length > 0 && (
              <div class="warning" role="note">
                <p>{ta("queue.lookalike")}</p>
                <ul>
                  {similar.map((s) => (
                    <li key={s.id}>
                      <a href={`/admin/members/${s.id}`}>
                        {s.first_name} {s.last_name}
                      </a>{" "}
                      ({s.email}, {statusLabel(s.status)}):{" "}
                      {[
                        s.same_name && ta("queue.sameName"),
                        s.same_phone && ta("queue.samePhone"),
                        s.same_address && ta("queue.sameAddress"),
                      ]
                        .filter(Boolean)
                        .join(", ")}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </>
        )}
      </Loaded>
      {toggle && (
        <div class="actions">
          <Action
            action={() =>
              unwrap(api.POST("/api/members/{id}/validate", { params: { path: { id: a.id } } }))
            }
            done={changed}
          >
            {ta("queue.validate")}
          </Action>
          <TextArea
            field={`reason-${a.id}`}
            label={ta("queue.reasonFor", { name })}
            value={reason}
            onInput={setReason}
          />
          <Confirm
            label={ta("queue.reject")}
            warning={ta("queue.rejectOne", { name })}
            action={() => {
              if (!reason.trim()) return Promise.reject(reasonNeeded());
              return unwrap(
                api.POST("/api/members/{id}/reject", {
                  params: { path: { id: a.id } },
                  body: { reason: reason.trim() },
                }),
              );
            }}
            done={changed}
          />
        </div>
      )}
    </li>
  );
}
