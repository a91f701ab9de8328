import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { reloadMe } from "../../auth/me";
import { COOKIE_MODE, session } from "../../auth/session";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";

/** Where to go after signing in: the page that asked, if it is ours. */
export function nextPath(query: Record<string, string>): string {
  const next = query.next ?? "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/membership";
}

export function SignIn() {
  const { query, route } = useLocation();
  const form = useForm({ email: "", password: "" });
  const ended = session.ended();
  return (
    <Page title={t("signIn.title")}>
      {ended && <Notice>{t("app.sessionEnded")}</Notice>}
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          const started = await unwrap(
            api.POST("/api/auth/login", {
              headers: COOKIE_MODE,
              body: { email: values.email.trim(), password: values.password },
            }),
          );
          session.start(started);
          await reloadMe();
          route(nextPath(query));
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        <TextField
          {...form.bind("email")}
          label={t("signIn.email")}
          type="email"
          autocomplete="username"
          required
        />
        <TextField
          {...form.bind("password")}
          label={t("signIn.password")}
          type="password"
          autocomplete="current-password"
          required
        />
        <Submit busy={form.busy}>{t("signIn.submit")}</Submit>
      </form>
      <p>
        <a href="/forgot-password">{t("signIn.forgot")}</a>
      </p>
      <p>
        <a href="/register">{t("signIn.register")}</a>
      </p>
    </Page>
  );
}
