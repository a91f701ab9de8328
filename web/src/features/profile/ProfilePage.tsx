import { api, unwrap } from "../../api/client";
import { reloadMe, type Me } from "../../auth/me";
import { COOKIE_MODE, session } from "../../auth/session";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";
import { useState } from "preact/hooks";
import { ProfileFields } from "./ProfileFields";
import { fromProfile, toProfile } from "./values";

/** Every part of the profile, directory listing and newsletter choices. */
export function ProfilePage({ me }: { me: Me }) {
  const form = useForm(fromProfile(me.profile));
  const [saved, setSaved] = useState(false);
  return (
    <Page title={t("profile.title")}>
      <p>{me.email}</p>
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          setSaved(false);
          await unwrap(api.PATCH("/api/auth/me", { body: toProfile(values) }));
          await reloadMe();
          setSaved(true);
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        {saved && <Notice>{t("form.saved")}</Notice>}
        <ProfileFields form={form} prefix="" />
        <Submit busy={form.busy}>{t("profile.save")}</Submit>
      </form>
      <p>
        <a href="/profile/password">{t("profile.changePassword")}</a>
      </p>
      <p>
        <a href="/profile/email">{t("profile.changeEmail")}</a>
      </p>
      <p>
        <a href="/profile/export">{t("profile.export")}</a>
      </p>
      <p>
        <a href="/profile/erase">{t("profile.erase")}</a>
      </p>
    </Page>
  );
}

export function ChangePassword() {
  const form = useForm({ current_password: "", new_password: "" });
  const [done, setDone] = useState(false);
  return (
    <Page title={t("password.title")}>
      {done ? (
        <Notice>{t("password.done")}</Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async (values) => {
            const started = await unwrap(
              api.POST("/api/auth/change-password", { headers: COOKIE_MODE, body: values }),
            );
            session.start(started);
            setDone(true);
          })}
        >
          {form.problem && <Problem>{form.problem}</Problem>}
          <TextField
            {...form.bind("current_password")}
            label={t("password.current")}
            type="password"
            autocomplete="current-password"
            required
          />
          <TextField
            {...form.bind("new_password")}
            label={t("password.new")}
            type="password"
            autocomplete="new-password"
            required
            hint={t("register.passwordRules")}
          />
          <Submit busy={form.busy}>{t("password.submit")}</Submit>
        </form>
      )}
    </Page>
  );
}
