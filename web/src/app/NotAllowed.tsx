import { Page } from "../components/Page";
import { t } from "../i18n";

/** The page for an address the account's permissions do not open (an
 * administration page typed by a member, a module their role lacks). */
export function NotAllowed() {
  return (
    <Page title={t("app.notAllowed.title")}>
      <p>{t("app.notAllowed.body")}</p>
      <p>
        <a href="/">{t("app.notFound.home")}</a>
      </p>
    </Page>
  );
}
