import { api, unwrap } from "../../api/client";
import { useSettings } from "../../org/settings";
import { DownloadButton } from "../../components/DownloadButton";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { day, money } from "../../format";
import { t } from "../../i18n";

/** The member's own gifts, with their receipt numbers. */
export function MyDonations() {
  const { time_zone, currency } = useSettings();
  const [donations, reload] = useLoad(
    () => unwrap(api.GET("/api/donations", { params: { query: { per_page: 100 } } })),
    [],
  );
  return (
    <Page title={t("donations.title")}>
      <Loaded
        state={donations}
        reload={reload}
        empty={t("donations.none")}
        isEmpty={(p) => p.items.length === 0}
      >
        {(p) => (
          <>
            <Statements
              years={[
                ...new Set(
                  p.items
                    .filter((d) => d.receipt_number)
                    .map((d) => new Date(d.donated_at ?? d.created_at).getFullYear()),
                ),
              ]}
            />
            <ul class="cards">
              {p.items.map((d) => (
                <li key={d.id}>
                  <strong>{money(d.amount_cents, d.currency ?? currency)}</strong>
                  <span class="meta">
                    {day(d.donated_at ?? d.created_at, time_zone)} ·{" "}
                    {d.receipt_number
                      ? t("donations.receipt", { number: d.receipt_number })
                      : d.status === "pending"
                        ? t("donations.pending")
                        : t("donations.failed")}
                  </span>
                  {d.receipt_number && (
                    <DownloadButton
                      label={t("donations.receiptPdf")}
                      link={() =>
                        unwrap(
                          api.GET("/api/donations/{id}/receipt/pdf", {
                            params: { path: { id: d.id } },
                          }),
                        )
                      }
                    />
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </Loaded>
    </Page>
  );
}

/** A statement per year the member gave in: every gift, net of refunds,
 * on one numbered PDF (for a tax return). */
function Statements({ years }: { years: number[] }) {
  if (years.length === 0) return null;
  return (
    <section aria-labelledby="statements">
      <h2 id="statements">{t("donations.statements")}</h2>
      <p>
        {years
          .sort((a, b) => b - a)
          .map((year) => (
            <DownloadButton
              key={year}
              label={t("donations.statement", { year })}
              link={() =>
                unwrap(
                  api.GET("/api/donations/statements/{year}/mine", {
                    params: { path: { year } },
                  }),
                )
              }
            />
          ))}
      </p>
    </section>
  );
}
