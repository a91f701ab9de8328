import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { EmailOnlyForm } from "./EmailOnlyForm";
import { t } from "../../i18n";

export function ForgotPassword() {
  return (
    <Page title={t("forgot.title")}>
      <p>{t("forgot.intro")}</p>
      <EmailOnlyForm
        send={(email) => unwrap(api.POST("/api/auth/forgot-password", { body: { email } }))}
        submit={t("forgot.submit")}
        sent={t("forgot.sent")}
      />
    </Page>
  );
}

/** The page the reset email opens. */
export function ResetPassword() {
  const { query } = useLocation();
  const form = useForm({ new_password: "" });
  const [done, setDone] = useState(false);
  return (
    <Page title={t("reset.title")}>
      {done ? (
        <>
          <Notice>{t("reset.done")}</Notice>
          <p>
            <a href="/login">{t("signIn.submit")}</a>
          </p>
        </>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async (values) => {
            await unwrap(
              api.POST("/api/auth/reset-password", {
                body: { token: query.token ?? "", new_password: values.new_password },
              }),
            );
            setDone(true);
          })}
        >
          {form.problem && <Problem>{form.problem}</Problem>}
          <TextField
            field="new_password"
            label={t("password.new")}
            type="password"
            autocomplete="new-password"
            required
            hint={t("register.passwordRules")}
            value={form.values.new_password}
            error={form.error("new_password") ?? form.error("token")}
            onInput={(value) => form.set("new_password", value)}
          />
          <Submit busy={form.busy}>{t("reset.submit")}</Submit>
        </form>
      )}
    </Page>
  );
}
