import { useLocation, useRoute } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { reloadMe } from "../../auth/me";
import { COOKIE_MODE, session } from "../../auth/session";
import { useSettings } from "../../org/settings";
import { Checkbox, Group, Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";
import { ProfileFields } from "../profile/ProfileFields";
import { emptyProfile, toProfile } from "../profile/values";

/** The page an invitation email opens: who invited whom, then the
 * invitee's password and profile; accepting signs them in. */
export function Invitation() {
  const { params } = useRoute();
  const token = params.token ?? "";
  const [state, reload] = useLoad(
    () => unwrap(api.GET("/api/auth/invitations/{token}", { params: { path: { token } } })),
    [token],
  );
  return (
    <Page title={t("invitation.title")}>
      <Loaded state={state} reload={reload}>
        {(invitation) => <Accept token={token} invitation={invitation} />}
      </Loaded>
    </Page>
  );
}

interface Preview {
  email: string;
  first_name?: string | null;
  last_name?: string | null;
  invited_by?: string | null;
  role_name?: string | null;
}

function Accept({ token, invitation }: { token: string; invitation: Preview }) {
  const { route } = useLocation();
  const settings = useSettings();
  const form = useForm({
    ...emptyProfile,
    first_name: invitation.first_name ?? "",
    last_name: invitation.last_name ?? "",
    password: "",
    accept_terms: false,
  });
  return (
    <>
      <p>
        {t("invitation.intro", {
          inviter: invitation.invited_by ?? settings.name,
          role: invitation.role_name ?? "member",
        })}
      </p>
      <p>{t("invitation.for", { email: invitation.email })}</p>
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          const started = await unwrap(
            api.POST("/api/auth/invitations/{token}/accept", {
              params: { path: { token } },
              headers: COOKIE_MODE,
              body: {
                password: values.password,
                accept_terms: values.accept_terms,
                terms_version: settings.terms_version,
                profile: toProfile(values),
              },
            }),
          );
          session.start(started);
          await reloadMe();
          route("/membership");
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        <Group legend={t("register.account")}>
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
          checked={form.values.accept_terms}
          error={form.error("accept_terms") ?? form.error("terms_version")}
          onChange={(value) => form.set("accept_terms", value)}
        />
        <Submit busy={form.busy}>{t("invitation.submit")}</Submit>
      </form>
    </>
  );
}
