import { api, unwrap, type Schemas } from "../../api/client";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { FilterSelect } from "../ui/FilterSelect";
import { Pager } from "../ui/Pager";
import { useQueryState } from "../ui/query";

type Entry = Schemas["AuditEntry"];

const PER_PAGE = 50;

/** What can be filtered on: the kinds of thing the trail records. */
const TARGETS = [
  "member",
  "role",
  "role_permission",
  "plan",
  "subscription",
  "pending_payment",
  "refund",
  "donation",
  "donation_statement",
  "event",
  "gallery_image",
  "document",
  "settings",
  "import",
  "invitation",
  "export",
  "email_suppression",
];
const JOBS = ["scheduler", "payment_provider", "email_provider", "setup", "visitor", "database"];

/** Who changed what, and when: every entry of the trail, newest first,
 * narrowed in the address (so a view is bookmarked and shared). */
export function AuditTrail() {
  const { time_zone } = useSettings();
  const state = useQueryState();
  const query = {
    target_type: state.get("target_type") || undefined,
    actor_job: state.get("actor_job") || undefined,
    subject_id: state.get("subject_id") || undefined,
    page: state.page,
    per_page: PER_PAGE,
  };
  const [trail, reload] = useLoad(
    () => unwrap(api.GET("/api/audit", { params: { query } })),
    [JSON.stringify(query)],
  );
  return (
    <Page title={ta("audit.title")}>
      <p>{ta("audit.what")}</p>
      <div class="filters">
        <FilterSelect
          name="target_type"
          label={ta("audit.target")}
          state={state}
          options={TARGETS.map((t) => ({ value: t, label: t }))}
        />
        <FilterSelect
          name="actor_job"
          label={ta("audit.job")}
          state={state}
          options={JOBS.map((j) => ({ value: j, label: j }))}
        />
      </div>
      <Loaded
        state={trail}
        reload={reload}
        empty={ta("audit.none")}
        isEmpty={(p) => p.items.length === 0}
      >
        {(p) => (
          <>
            <DataTable
              headers={[
                ta("audit.when"),
                ta("audit.who"),
                ta("audit.action"),
                ta("audit.about"),
                ta("audit.changes"),
              ]}
            >
              {p.items.map((e) => (
                <tr key={e.id}>
                  <th scope="row">{dateTime(e.created_at, time_zone)}</th>
                  <td>{e.actor_name ?? e.actor_job ?? "—"}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.subject_id ? (
                      <a href={`/admin/members/${e.subject_id}`}>
                        {e.subject_name ?? e.subject_id}
                      </a>
                    ) : (
                      (e.target_type ?? "—")
                    )}
                  </td>
                  <td>{describe(e)}</td>
                </tr>
              ))}
            </DataTable>
            <Pager page={state.page} perPage={PER_PAGE} total={p.total} onPage={state.toPage} />
          </>
        )}
      </Loaded>
    </Page>
  );
}

/** An entry's change in a line: from → to for a member's entry, else each
 * changed field. */
function describe(e: Entry): string {
  if (e.from_value || e.to_value) {
    const move = `${e.from_value ?? "—"} → ${e.to_value ?? "—"}`;
    return e.reason ? `${move} (${e.reason})` : move;
  }
  const changes = e.changes ?? {};
  return Object.entries(changes)
    .map(([field, value]) =>
      Array.isArray(value)
        ? `${field}: ${show(value[0])} → ${show(value[1])}`
        : `${field}: ${show(value)}`,
    )
    .join("; ");
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}
