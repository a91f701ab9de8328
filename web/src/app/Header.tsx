import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { adminEntry } from "../admin/sections";
import { can, signOut, useMe } from "../auth/me";
import { t } from "../i18n";
import { useSettings } from "../org/settings";

/** The organisation's name and logo, the navigation (what the signed-in
 * person may open), and signing out (here, or on every device). */
export function Header() {
  const settings = useSettings();
  const me = useMe();
  const { route, path } = useLocation();
  const [open, setOpen] = useState(false);
  const link = (href: string, label: string) => (
    <li>
      <a
        href={href}
        aria-current={path === href ? "page" : undefined}
        onClick={() => setOpen(false)}
      >
        {label}
      </a>
    </li>
  );
  const out = (everywhere: boolean) => async () => {
    await signOut(everywhere);
    route("/");
  };
  return (
    <header class="site">
      <a class="brand" href="/">
        {settings.logo_url && <img src={settings.logo_url} alt="" width={40} height={40} />}
        <span>{settings.name}</span>
      </a>
      <button
        type="button"
        class="menu"
        aria-expanded={open}
        aria-controls="main-nav"
        onClick={() => setOpen(!open)}
      >
        {t("nav.menu")}
      </button>
      <nav id="main-nav" aria-label={t("nav.label")} class={open ? "open" : ""}>
        <ul>
          {link("/events", t("nav.events"))}
          {me.phase === "signed-in" && (
            <>
              {link("/membership", t("nav.membership"))}
              {(can(me.me, "newsletters.view") ||
                can(me.me, "financials.view") ||
                can(me.me, "bylaws.view")) &&
                link("/documents", t("nav.documents"))}
              {can(me.me, "users.directory") && link("/directory", t("nav.directory"))}
              {link("/donations", t("nav.donations"))}
              {link("/profile", t("nav.profile"))}
              {adminEntry(me.me) && (
                <li>
                  <a
                    href={adminEntry(me.me)}
                    aria-current={path.startsWith("/admin") ? "page" : undefined}
                    onClick={() => setOpen(false)}
                  >
                    {t("nav.admin")}
                  </a>
                </li>
              )}
            </>
          )}
          {link("/donate", t("nav.donate"))}
          {me.phase === "signed-in" ? (
            <>
              <li>
                <button type="button" class="link" onClick={out(false)}>
                  {t("nav.signOut")}
                </button>
              </li>
              <li>
                <button type="button" class="link" onClick={out(true)}>
                  {t("nav.signOutEverywhere")}
                </button>
              </li>
            </>
          ) : (
            <>
              {link("/login", t("nav.signIn"))}
              {link("/register", t("nav.register"))}
            </>
          )}
        </ul>
      </nav>
    </header>
  );
}
