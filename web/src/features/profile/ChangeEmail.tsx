import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { reloadMe, type Me } from "../../auth/me";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";

/** Asks for a new sign-in address; a link to it confirms it. */
export function ChangeEmail({ me }: { me: Me }) {
  const form = useForm({ new_email: "", current_password: "" });
  const [sent, setSent] = useState<string | null>(null);
  return (
    <Page title={t("email.title")}>
      <p>{t("email.current", { email: me.email })}</p>
      {sent ? (
        <Notice>{t("email.sent", { email: sent })}</Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async (values) => {
            await unwrap(api.POST("/api/auth/change-email", { body: values }));
            setSent(values.new_email);
          })}
        >
          {form.problem && <Problem>{form.problem}</Problem>}
          <TextField
            {...form.bind("new_email")}
            label={t("email.new")}
            type="email"
            autocomplete="email"
            required
          />
          <TextField
            {...form.bind("current_password")}
            label={t("password.current")}
            type="password"
            autocomplete="current-password"
            required
          />
          <Submit busy={form.busy}>{t("email.submit")}</Submit>
        </form>
      )}
    </Page>
  );
}

/** The page the confirmation email opens: one click makes the address the
 * account's (a link followed by a mail scanner must not, so it waits for
 * the click). */
export function ConfirmEmailChange() {
  const { query } = useLocation();
  const form = useForm({});
  const [email, setEmail] = useState<string | null>(null);
  return (
    <Page title={t("email.confirmTitle")}>
      {email ? (
        <Notice>{t("email.confirmed", { email })}</Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async () => {
            const changed = await unwrap(
              api.POST("/api/auth/confirm-email-change", { body: { token: query.token ?? "" } }),
            );
            await reloadMe();
            setEmail(changed.email);
          })}
        >
          {form.problem && <Problem>{form.problem}</Problem>}
          <Submit busy={form.busy}>{t("email.confirm")}</Submit>
        </form>
      )}
    </Page>
  );
}
