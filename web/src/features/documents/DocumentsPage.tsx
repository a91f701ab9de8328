import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { can, type Me } from "../../auth/me";
import { useSettings } from "../../org/settings";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { day } from "../../format";
import { t, type MessageKey } from "../../i18n";
import { useState } from "preact/hooks";
import { Problem } from "../../components/Notice";

type Kind = "newsletters" | "financial-reports" | "bylaws";

/** The permission that opens each library. */
const LIBRARIES: { kind: Kind; permission: string }[] = [
  { kind: "newsletters", permission: "newsletters.view" },
  { kind: "financial-reports", permission: "financials.view" },
  { kind: "bylaws", permission: "bylaws.view" },
];

/** The libraries the member may read, and their downloads. */
export function DocumentsPage({ me }: { me: Me }) {
  const open = LIBRARIES.filter((l) => can(me, l.permission));
  return (
    <Page title={t("documents.title")}>
      {open.length === 0 &&
        (me.status === "active" ? (
          <p>{t("documents.notAllowed")}</p>
        ) : (
          <p>
            {t("documents.needsMembership")} <a href="/membership">{t("app.renew")}</a>
          </p>
        ))}
      {open.map((l) => (
        <Library key={l.kind} kind={l.kind} />
      ))}
    </Page>
  );
}

function Library({ kind }: { kind: Kind }) {
  const { time_zone } = useSettings();
  const [documents, reload] = useLoad(
    () => unwrap(api.GET("/api/documents/{kind}", { params: { path: { kind } } })),
    [kind],
  );
  const [problem, setProblem] = useState<string | null>(null);
  const download = async (id: string) => {
    setProblem(null);
    try {
      const link = await unwrap(
        api.GET("/api/documents/{kind}/{id}/download", { params: { path: { kind, id } } }),
      );
      window.location.assign(link.url);
    } catch (e) {
      setProblem(e instanceof ApiError ? e.explanation : t("app.error"));
    }
  };
  const heading = `library-${kind}`;
  return (
    <section aria-labelledby={heading}>
      <h2 id={heading}>{t(`documents.${kind}` as MessageKey)}</h2>
      {problem && <Problem>{problem}</Problem>}
      <Loaded
        state={documents}
        reload={reload}
        empty={t("documents.none")}
        isEmpty={(p) => p.items.length === 0}
      >
        {(p) => (
          <ul class="cards">
            {p.items.map((d) => (
              <li key={d.id}>
                <button type="button" class="link" onClick={() => void download(d.id)}>
                  {t("documents.download", { title: d.title })}
                </button>
                <span class="meta">
                  {[
                    d.published_date && day(d.published_date, time_zone),
                    d.year && String(d.year),
                    d.version,
                    d.is_current && t("documents.current"),
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}
