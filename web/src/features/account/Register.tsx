import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { useSettings } from "../../org/settings";
import { Checkbox, Group, Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";
import { ProfileFields } from "../profile/ProfileFields";
import { emptyProfile, toProfile, type ProfileValues } from "../profile/values";

interface Values extends ProfileValues {
  email: string;
  password: string;
  accept_terms: boolean;
}

/** Registration: the account, the whole profile, the terms. */
export function Register() {
  const settings = useSettings();
  const form = useForm<Values>({ ...emptyProfile, email: "", password: "", accept_terms: false });
  const [sentTo, setSentTo] = useState<string | null>(null);

  if (sentTo) {
    return (
      <Page title={t("register.sent.title")}>
        <Notice>{t("register.sent.body", { email: sentTo })}</Notice>
      </Page>
    );
  }
  const v = form.values;
  return (
    <Page title={t("register.title")}>
      <p>{t("register.intro")}</p>
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          await unwrap(
            api.POST("/api/auth/register", {
              body: {
                email: values.email.trim(),
                password: values.password,
                accept_terms: values.accept_terms,
                terms_version: settings.terms_version,
                profile: toProfile(values),
              },
            }),
          );
          setSentTo(values.email.trim());
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        <Group legend={t("register.account")}>
          <TextField
            {...form.bind("email")}
            label={t("register.email")}
            type="email"
            autocomplete="email"
            required
          />
          <TextField
            {...form.bind("password")}
            label={t("register.password")}
            type="password"
            autocomplete="new-password"
            required
            hint={t("register.passwordRules")}
          />
        </Group>
        <ProfileFields form={form} prefix="profile." />
        <Checkbox
          field="accept_terms"
          label={t("register.terms", { version: settings.terms_version })}
          required
          checked={v.accept_terms}
          error={form.error("accept_terms") ?? form.error("terms_version")}
          onChange={(value) => form.set("accept_terms", value)}
        />
        <Submit busy={form.busy}>{t("register.submit")}</Submit>
      </form>
      <p>
        <a href="/login">{t("register.haveAccount")}</a>
      </p>
    </Page>
  );
}
