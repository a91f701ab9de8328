import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { DownloadButton } from "../../components/DownloadButton";
import { Select } from "../../components/fields";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice } from "../../components/Notice";
import { dateTime, money } from "../../format";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Confirm } from "../ui/Confirm";
import { DataTable } from "../ui/DataTable";

/** A year's donors, each with their statement (a numbered PDF), and the
 * action that emails every donor of a finished year theirs, once. */
export function Statements({ maySend }: { maySend: boolean }) {
  const { time_zone } = useSettings();
  const thisYear = new Date().getFullYear();
  const [year, setYear] = useState(thisYear - 1);
  const [sent, setSent] = useState<string | null>(null);
  const [donors, reload] = useLoad(
    () => unwrap(api.GET("/api/donations/statements/{year}", { params: { path: { year } } })),
    [year],
  );
  const years = Array.from({ length: 6 }, (_, i) => String(thisYear - i));
  return (
    <section aria-labelledby="statements">
      <h2 id="statements">{ta("statements.title")}</h2>
      <Select
        field="statement_year"
        label={ta("statements.year")}
        value={String(year)}
        options={years.map((y) => ({ value: y, label: y }))}
        onChange={(y) => {
          setSent(null);
          setYear(Number(y));
        }}
      />
      {maySend && year < thisYear && (
        <Confirm
          label={ta("statements.send", { year })}
          warning={ta("statements.sendWarning", { year })}
          danger={false}
          action={async () => {
            const done = await unwrap(
              api.POST("/api/donations/statements/{year}/send", { params: { path: { year } } }),
            );
            setSent(ta("statements.sent", { emailed: done.emailed, before: done.already_emailed }));
          }}
          done={reload}
        />
      )}
      {sent && <Notice>{sent}</Notice>}
      <Loaded
        state={donors}
        reload={reload}
        empty={ta("statements.none", { year })}
        isEmpty={(d) => d.items.length === 0}
      >
        {(d) => (
          <DataTable
            headers={[
              ta("statements.donor"),
              ta("statements.gifts"),
              ta("statements.total"),
              ta("statements.number"),
              ta("statements.emailed"),
              "",
            ]}
          >
            {d.items.map((donor) => (
              <tr key={donor.user_id ?? donor.email}>
                <th scope="row">
                  {donor.name ?? "—"}
                  <br />
                  <small>{donor.email}</small>
                </th>
                <td>{donor.gifts}</td>
                <td>
                  {Object.entries(donor.totals)
                    .map(([c, cents]) => money(cents, c))
                    .join(" + ")}
                </td>
                <td>{donor.number ?? "—"}</td>
                <td>{donor.emailed_at ? dateTime(donor.emailed_at, time_zone) : "—"}</td>
                <td>
                  <DownloadButton
                    label={ta("statements.pdf")}
                    link={() =>
                      unwrap(
                        api.GET("/api/donations/statements/{year}/pdf", {
                          params: {
                            path: { year },
                            query: donor.user_id
                              ? { user_id: donor.user_id }
                              : { email: donor.email ?? "" },
                          },
                        }),
                      )
                    }
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
