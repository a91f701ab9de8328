import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Loaded, useLoad } from "../../components/Loaded";
import { Page } from "../../components/Page";
import { t } from "../../i18n";

/** Members who chose to be listed, with what they chose to show. */
export function DirectoryPage() {
  const [q, setQ] = useState("");
  const [directory, reload] = useLoad(
    () => unwrap(api.GET("/api/members/directory", { params: { query: { q: q || null } } })),
    [q],
  );
  const notListed = directory.phase === "failed" && directory.error.code === "not_listed";
  return (
    <Page title={t("directory.title")}>
      {notListed ? (
        <p>
          {t("directory.notListed")} <a href="/profile">{t("nav.profile")}</a>
        </p>
      ) : (
        <>
          <div class="field">
            <label htmlFor="directory-q">{t("directory.search")}</label>
            <input
              id="directory-q"
              type="search"
              value={q}
              onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
          <Loaded
            state={directory}
            reload={reload}
            empty={t("directory.none")}
            isEmpty={(p) => p.items.length === 0}
          >
            {(p) => (
              <ul class="cards">
                {p.items.map((m) => (
                  <li key={m.id}>
                    <strong>
                      {m.first_name} {m.last_name}
                    </strong>
                    {m.bio && <span>{m.bio}</span>}
                    <span class="meta">
                      {[m.email, m.phone, m.address, m.partner_name].filter(Boolean).join(" · ")}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </Loaded>
        </>
      )}
    </Page>
  );
}
