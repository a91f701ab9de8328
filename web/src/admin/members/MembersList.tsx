import { api, unwrap, type Schemas } from "../../api/client";
import type { paths } from "../../api/schema";
import type { Me } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { day } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { DataTable } from "../ui/DataTable";
import { Export } from "../ui/Export";
import { Pager } from "../ui/Pager";
import { FilterSelect } from "../ui/FilterSelect";
import { useQueryState } from "../ui/query";
import { SearchBox } from "../ui/SearchBox";
import { statusLabel, STATUSES, type Status } from "./status";

/** The list's filters, as the list and the export take them. */
type Filter = Omit<
  NonNullable<paths["/api/members"]["get"]["parameters"]["query"]>,
  "page" | "per_page"
>;

/** The orders the list offers besides by name (its default). */
const SORTS: Schemas["MemberSort"][] = ["email", "-created_at", "-member_since", "status"];

const PER_PAGE = 25;

/** The filters the address holds, as the list and the export take them. */
function filterOf(all: Record<string, string>): Filter {
  const filter: Filter = {};
  if (all.q) filter.q = all.q;
  if (all.status && (STATUSES as string[]).includes(all.status)) {
    filter.status = all.status as Status;
  }
  if (all.role) filter.role = all.role;
  if (all.subscription === "yes") filter.has_active_subscription = true;
  if (all.subscription === "no") filter.has_active_subscription = false;
  const sort = SORTS.find((s) => s === all.sort);
  if (sort) filter.sort = sort;
  return filter;
}

/** Every member, a page at a time (the list never loads whole): search as
 * you type (accents and case ignored), filters and sort, all kept in the
 * address so a view can be bookmarked; export what the filters select. */
export function MembersList({ me }: { me: Me }) {
  const { time_zone } = useSettings();
  const state = useQueryState();
  const filter = filterOf(state.all);
  const page = state.page;
  const key = JSON.stringify([filter, page]);

  const [list, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/members", { params: { query: { ...filter, page, per_page: PER_PAGE } } }),
      ),
    [key],
  );
  const [roles] = useLoad(
    () =>
      me.permissions.includes("permissions.view")
        ? unwrap(api.GET("/api/roles"))
        : Promise.resolve([] as Schemas["Role"][]),
    [],
  );
  const roleOptions = roles.phase === "ready" ? roles.data : [];

  return (
    <Page title={ta("members.title")}>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <SearchBox label={ta("members.search")} hint={ta("members.searchHint")} state={state} />
        <FilterSelect
          name="status"
          label={ta("members.status")}
          state={state}
          options={STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
        {roleOptions.length > 0 && (
          <FilterSelect
            name="role"
            label={ta("members.role")}
            state={state}
            options={roleOptions.map((r) => ({ value: r.code, label: r.name }))}
          />
        )}
        <FilterSelect
          name="subscription"
          label={ta("members.subscription")}
          state={state}
          options={[
            { value: "yes", label: ta("members.subscribed") },
            { value: "no", label: ta("members.notSubscribed") },
          ]}
        />
        <FilterSelect
          name="sort"
          label={ta("members.sort")}
          state={state}
          none={ta("members.sortName")}
          options={[
            { value: "email", label: ta("members.sortEmail") },
            { value: "-created_at", label: ta("members.sortNewest") },
            { value: "-member_since", label: ta("members.sortMemberSince") },
            { value: "status", label: ta("members.sortStatus") },
          ]}
        />
      </form>
      {me.permissions.includes("users.export") && (
        <Export
          label={ta("members.export")}
          run={() => unwrap(api.GET("/api/members/export", { params: { query: filter } }))}
        />
      )}
      <Loaded
        state={list}
        reload={reload}
        empty={ta("members.none")}
        isEmpty={(l) => l.items.length === 0}
      >
        {(l) => (
          <>
            <p aria-live="polite">
              {ta(l.total_is_estimate ? "members.countAbout" : "members.count", { count: l.total })}
            </p>
            <DataTable
              headers={[
                ta("members.name"),
                ta("members.email"),
                ta("members.status"),
                ta("members.role"),
                ta("members.since"),
                ta("members.subscription"),
              ]}
            >
              {l.items.map((m) => (
                <tr key={m.id}>
                  <th scope="row">
                    <a href={`/admin/members/${m.id}`}>
                      {m.last_name}, {m.first_name}
                    </a>
                  </th>
                  <td>{m.email}</td>
                  <td>
                    <span class={`badge ${m.status}`}>{statusLabel(m.status)}</span>
                  </td>
                  <td>{m.role_name ?? ""}</td>
                  <td>{m.member_since ? day(m.member_since, time_zone) : ""}</td>
                  <td>{m.has_active_subscription ? ta("members.yes") : ta("members.no")}</td>
                </tr>
              ))}
            </DataTable>
            <Pager
              page={page}
              perPage={PER_PAGE}
              total={l.total}
              estimated={l.total_is_estimate}
              onPage={state.toPage}
            />
          </>
        )}
      </Loaded>
    </Page>
  );
}
