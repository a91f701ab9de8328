import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { reloadMe, type Me } from "../../auth/me";
import { Checkbox, Submit } from "../../components/fields";
import { useForm } from "../../components/form";
import { Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";

/** Shown instead of any page while the terms in force wait to be accepted. */
export function AcceptTerms({ me }: { me: Me }) {
  const { url, route } = useLocation();
  const version = me.terms.current_version;
  const form = useForm({ accept: false });
  return (
    <Page title={t("terms.title")}>
      <p>{t("terms.intro", { version })}</p>
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          if (!values.accept) {
            throw new ApiError(422, "required", t("terms.accept", { version }), "version");
          }
          await unwrap(api.POST("/api/auth/accept-tos", { body: { version } }));
          await reloadMe();
          route(url);
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        <Checkbox
          field="version"
          label={t("terms.accept", { version })}
          checked={form.values.accept}
          error={form.error("version")}
          onChange={(value) => form.set("accept", value)}
        />
        <Submit busy={form.busy}>{t("terms.submit")}</Submit>
      </form>
    </Page>
  );
}
