import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import type { Me } from "../../auth/me";
import { Select, Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { Pager } from "../ui/Pager";
import { FilterSelect } from "../ui/FilterSelect";
import { useQueryState } from "../ui/query";

const PER_PAGE = 25;
const STATES = ["pending", "accepted", "expired", "revoked"] as const;
type State = (typeof STATES)[number];

/** Invite someone (an account made without the validation queue), and the
 * invitations sent: resend or revoke those still open. */
export function Invitations({ me }: { me: Me }) {
  const { time_zone } = useSettings();
  const state = useQueryState();
  const [sent, setSent] = useState<string | null>(null);
  const status = (STATES as readonly string[]).includes(state.get("status"))
    ? (state.get("status") as State)
    : undefined;
  const page = state.page;
  const [list, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/invitations", { params: { query: { status, page, per_page: PER_PAGE } } }),
      ),
    [status, page],
  );
  const [roles] = useLoad(
    () =>
      me.permissions.includes("permissions.view")
        ? unwrap(api.GET("/api/roles"))
        : Promise.resolve([]),
    [],
  );
  const form = useForm({ email: "", first_name: "", last_name: "", role_id: "" });
  return (
    <Page title={ta("invitations.title")}>
      <form
        noValidate
        onSubmit={form.submit(async (v) => {
          setSent(null);
          await unwrap(
            api.POST("/api/invitations", {
              body: {
                email: v.email.trim(),
                first_name: v.first_name.trim() || null,
                last_name: v.last_name.trim() || null,
                phone: null,
                role_id: v.role_id || null,
              },
            }),
          );
          setSent(ta("invitations.sent", { email: v.email.trim() }));
          form.set("email", "");
          form.set("first_name", "");
          form.set("last_name", "");
          reload();
        })}
      >
        <h2>{ta("invitations.new")}</h2>
        {form.problem && <Problem>{form.problem}</Problem>}
        {sent && <Notice>{sent}</Notice>}
        <TextField {...form.bind("email")} type="email" label={ta("invitations.email")} required />
        <TextField {...form.bind("first_name")} label={ta("invitations.firstName")} />
        <TextField {...form.bind("last_name")} label={ta("invitations.lastName")} />
        {roles.phase === "ready" && roles.data.length > 0 && (
          <Select
            field="role_id"
            label={ta("invitations.role")}
            value={form.values.role_id}
            error={form.error("role_id")}
            onChange={(role_id) => form.set("role_id", role_id)}
            options={[
              { value: "", label: ta("invitations.memberRole") },
              ...roles.data.map((r) => ({ value: r.id, label: r.name })),
            ]}
          />
        )}
        <Submit busy={form.busy}>{ta("invitations.send")}</Submit>
      </form>

      <h2>{ta("invitations.list")}</h2>
      <FilterSelect
        name="status"
        label={ta("invitations.status")}
        state={state}
        options={STATES.map((s) => ({ value: s, label: ta(`invitations.${s}`) }))}
      />
      <Loaded
        state={list}
        reload={reload}
        empty={ta("invitations.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <>
            <ul class="cards">
              {l.items.map((i) => (
                <li key={i.id}>
                  <strong>{i.email}</strong> · {ta(`invitations.${i.status as State}`)}
                  <span class="meta">
                    {[i.first_name, i.last_name].filter(Boolean).join(" ")}
                    {i.role_name ? ` · ${i.role_name}` : ""} ·{" "}
                    {ta("invitations.expires", { when: dateTime(i.expires_at, time_zone) })}
                  </span>
                  {i.status === "pending" || i.status === "expired" ? (
                    <div class="actions">
                      <Action
                        action={() =>
                          unwrap(
                            api.POST("/api/invitations/{id}/resend", {
                              params: { path: { id: i.id } },
                            }),
                          )
                        }
                        done={reload}
                      >
                        {ta("invitations.resend")}
                      </Action>
                      <Confirm
                        label={ta("invitations.revoke")}
                        warning={ta("invitations.revokeWarning", { email: i.email })}
                        action={() =>
                          unwrap(
                            api.DELETE("/api/invitations/{id}", { params: { path: { id: i.id } } }),
                          )
                        }
                        done={reload}
                      />
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
            <Pager page={page} perPage={PER_PAGE} total={l.total} onPage={state.toPage} />
          </>
        )}
      </Loaded>
    </Page>
  );
}
