import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { EmailOnlyForm } from "./EmailOnlyForm";
import { t } from "../../i18n";

/** The page the confirmation email opens: the link's token and the
 * password chosen at registration confirm the address. */
export function VerifyEmail() {
  const { query } = useLocation();
  const token = query.token ?? "";
  const form = useForm({ password: "" });
  const [done, setDone] = useState(false);
  return (
    <Page title={t("verify.title")}>
      {done ? (
        <>
          <Notice>{t("verify.done")}</Notice>
          <p>
            <a href="/login">{t("verify.signIn")}</a>
          </p>
        </>
      ) : token ? (
        <>
          <p>{t("verify.intro")}</p>
          <form
            noValidate
            onSubmit={form.submit(async (values) => {
              await unwrap(
                api.POST("/api/auth/verify-email", { body: { token, password: values.password } }),
              );
              setDone(true);
            })}
          >
            {form.problem && <Problem>{form.problem}</Problem>}
            <TextField
              field="password"
              label={t("signIn.password")}
              type="password"
              autocomplete="current-password"
              required
              value={form.values.password}
              error={form.error("password") ?? form.error("token")}
              onInput={(value) => form.set("password", value)}
            />
            <Submit busy={form.busy}>{t("verify.submit")}</Submit>
          </form>
          <p>
            <a href="/forgot-password">{t("verify.forgot")}</a>
          </p>
        </>
      ) : (
        <p>{t("verify.noToken")}</p>
      )}
      {!done && <Resend />}
    </Page>
  );
}

function Resend() {
  return (
    <section aria-labelledby="resend">
      <h2 id="resend">{t("verify.resend")}</h2>
      <p>{t("verify.resendIntro")}</p>
      <EmailOnlyForm
        send={(email) => unwrap(api.POST("/api/auth/resend-verification", { body: { email } }))}
        submit={t("verify.resend")}
        sent={t("verify.resent")}
      />
    </section>
  );
}
