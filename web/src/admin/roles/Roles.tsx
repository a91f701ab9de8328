import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import type { Me } from "../../auth/me";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { toggled } from "../ui/toggled";

type Role = Schemas["Role"];
type Module = Schemas["Module"];

/** The roles and their permissions, module by module. A permission the
 * signed-in admin does not hold is shown but cannot be granted (the API
 * refuses it too); the superadmin's set is fixed. */
export function Roles({ me }: { me: Me }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const [data, reload] = useLoad(
    () => Promise.all([unwrap(api.GET("/api/roles")), unwrap(api.GET("/api/permissions"))]),
    [],
  );
  return (
    <Page title={ta("roles.title")}>
      <Loaded state={data} reload={reload}>
        {([roles, modules]) => {
          const role = roles.find((r) => r.id === chosen);
          return (
            <>
              <ul class="cards">
                {roles.map((r) => (
                  <li key={r.id}>
                    <button
                      type="button"
                      class="link"
                      aria-pressed={r.id === chosen}
                      onClick={() => setChosen(r.id)}
                    >
                      {r.name}
                    </button>
                    <span class="meta">
                      {ta("roles.summary", {
                        members: r.members,
                        permissions: r.permissions.length,
                      })}
                      {r.is_system_role ? ` · ${ta("roles.system")}` : ""}
                    </span>
                  </li>
                ))}
              </ul>
              {role && (
                <Matrix
                  key={role.id}
                  me={me}
                  role={role}
                  modules={modules}
                  changed={reload}
                  removed={() => {
                    setChosen(null);
                    reload();
                  }}
                />
              )}
              {me.permissions.includes("permissions.create") && (
                <NewRole
                  created={(id) => {
                    setChosen(id);
                    reload();
                  }}
                />
              )}
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}

function Matrix({
  me,
  role,
  modules,
  changed,
  removed,
}: {
  me: Me;
  role: Role;
  modules: Module[];
  changed: () => void;
  removed: () => void;
}) {
  const [codes, setCodes] = useState(new Set(role.permissions));
  const [saved, setSaved] = useState(false);
  const fixed = role.code === "superadmin" || !me.permissions.includes("permissions.edit");
  const toggle = (code: string) => {
    setCodes(toggled(codes, code));
    setSaved(false);
  };
  return (
    <section aria-labelledby="matrix">
      <h2 id="matrix">{ta("roles.permissionsOf", { name: role.name })}</h2>
      {role.description && <p>{role.description}</p>}
      {saved && <Notice>{ta("roles.saved")}</Notice>}
      <div class="matrix">
        {modules.map((m) => (
          <fieldset key={m.module}>
            <legend>{m.module}</legend>
            {m.permissions.map((p) => {
              // A permission may be kept or removed, but granted only by
              // someone who holds it.
              const grantable =
                role.permissions.includes(p.code) || me.permissions.includes(p.code);
              const id = `perm-${p.code.replace(/\W/g, "-")}`;
              return (
                <div class="field check" key={p.code}>
                  <input
                    id={id}
                    type="checkbox"
                    checked={codes.has(p.code)}
                    disabled={fixed || !grantable}
                    aria-describedby={grantable ? undefined : `${id}-why`}
                    onChange={() => toggle(p.code)}
                  />
                  <label htmlFor={id}>
                    {p.name} <code>{p.code}</code>
                  </label>
                  {!grantable && (
                    <p class="hint" id={`${id}-why`}>
                      {ta("roles.notYours")}
                    </p>
                  )}
                </div>
              );
            })}
          </fieldset>
        ))}
      </div>
      {!fixed && (
        <div class="actions">
          <Action
            class="primary"
            action={async () => {
              await unwrap(
                api.PUT("/api/roles/{id}/permissions", {
                  params: { path: { id: role.id } },
                  body: { codes: [...codes].sort() },
                }),
              );
              setSaved(true);
            }}
            done={changed}
          >
            {ta("roles.save")}
          </Action>
          {!role.is_system_role && me.permissions.includes("permissions.delete") && (
            <Confirm
              label={ta("roles.delete")}
              warning={
                role.members > 0
                  ? ta("roles.deleteHeld", { name: role.name, members: role.members })
                  : ta("roles.deleteWarning", { name: role.name })
              }
              action={() =>
                unwrap(api.DELETE("/api/roles/{id}", { params: { path: { id: role.id } } }))
              }
              done={removed}
            />
          )}
        </div>
      )}
    </section>
  );
}

function NewRole({ created }: { created: (id: string) => void }) {
  const form = useForm({ name: "", code: "", description: "" });
  return (
    <form
      noValidate
      onSubmit={form.submit(async (v) => {
        const role = await unwrap(
          api.POST("/api/roles", {
            body: {
              name: v.name.trim(),
              code: v.code.trim(),
              description: v.description.trim() || null,
              permissions: [],
            },
          }),
        );
        form.set("name", "");
        form.set("code", "");
        form.set("description", "");
        created(role.id);
      })}
    >
      <h2>{ta("roles.new")}</h2>
      {form.problem && <Problem>{form.problem}</Problem>}
      <TextField {...form.bind("name")} label={ta("roles.name")} required />
      <TextField
        {...form.bind("code")}
        label={ta("roles.code")}
        hint={ta("roles.codeHint")}
        required
      />
      <TextField {...form.bind("description")} label={ta("roles.description")} />
      <Submit busy={form.busy}>{ta("roles.create")}</Submit>
    </form>
  );
}
