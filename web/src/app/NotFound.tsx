import { Page } from "../components/Page";
import { t } from "../i18n";

export function NotFound() {
  return (
    <Page title={t("app.notFound.title")}>
      <p>{t("app.notFound.body")}</p>
      <p>
        <a href="/">{t("app.notFound.home")}</a>
      </p>
    </Page>
  );
}
