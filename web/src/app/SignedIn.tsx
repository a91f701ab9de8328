import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { useMe, type Me } from "../auth/me";
import { t } from "../i18n";
import { AcceptTerms } from "../features/account/Terms";

/** A page for the signed in: anyone else is sent to sign in and brought
 * back after; terms that changed are accepted first. */
export function SignedIn({ children }: { children: (me: Me) => ComponentChildren }) {
  const state = useMe();
  const { url, route } = useLocation();
  useEffect(() => {
    if (state.phase === "anonymous") route(`/login?next=${encodeURIComponent(url)}`, true);
  }, [state.phase, url, route]);
  if (state.phase !== "signed-in") {
    return (
      <p class="loading" role="status">
        {state.phase === "starting" ? t("app.loading") : t("app.signInFirst")}
      </p>
    );
  }
  if (state.me.terms.must_accept) return <AcceptTerms me={state.me} />;
  return <>{children(state.me)}</>;
}
