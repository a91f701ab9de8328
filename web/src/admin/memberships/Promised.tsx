import { api, unwrap } from "../../api/client";
import { Loaded, useLoad } from "../../components/Loaded";
import { day, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { DataTable } from "../ui/DataTable";

/** Payments members promised by bank transfer or cheque: each is confirmed
 * when its money arrives (the member becomes active) or cancelled. */
export function Promised({ done }: { done: () => void }) {
  const { time_zone } = useSettings();
  const [list, reload] = useLoad(
    () => unwrap(api.GET("/api/subscriptions/offline", { params: { query: { per_page: 100 } } })),
    [],
  );
  const changed = () => {
    reload();
    done();
  };
  return (
    <section aria-labelledby="promised">
      <h2 id="promised">{ta("promised.title")}</h2>
      <Loaded
        state={list}
        reload={reload}
        empty={ta("promised.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <DataTable
            caption={ta("promised.title")}
            headers={[
              ta("subscriptions.member"),
              ta("subscriptions.plan"),
              ta("member.paid"),
              ta("subscriptions.method"),
              ta("promised.reference"),
              ta("promised.since"),
              ta("subscriptions.actions"),
            ]}
          >
            {l.items.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <a href={`/admin/members/${p.user_id}`}>{p.member_name}</a>
                </th>
                <td>{p.plan_name}</td>
                <td>{money(p.total_cents, p.currency)}</td>
                <td>{ta(`method.${p.method}`)}</td>
                <td>{p.reference}</td>
                <td>{day(p.created_at, time_zone)}</td>
                <td>
                  <Action
                    action={() =>
                      unwrap(
                        api.POST("/api/subscriptions/offline/{id}/confirm", {
                          params: { path: { id: p.id } },
                          body: { paid_on: null },
                        }),
                      )
                    }
                    done={changed}
                  >
                    {ta("promised.confirm", { reference: p.reference })}
                  </Action>{" "}
                  <Confirm
                    label={ta("promised.cancel", { reference: p.reference })}
                    warning={ta("promised.cancelWarning", { name: p.member_name })}
                    action={() =>
                      unwrap(
                        api.POST("/api/subscriptions/offline/{id}/cancel", {
                          params: { path: { id: p.id } },
                          body: { reason: null },
                        }),
                      )
                    }
                    done={changed}
                  />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
    </section>
  );
}
