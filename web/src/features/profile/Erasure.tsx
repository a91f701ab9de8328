import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, unwrap } from "../../api/client";
import { type Me, signOut } from "../../auth/me";
import { Submit } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { t } from "../../i18n";

/** Asks for the account to be erased: what goes, what stays, and a link to
 * the account's address that confirms it. */
export function RequestErasure({ me }: { me: Me }) {
  const form = useForm({});
  const [sent, setSent] = useState(false);
  return (
    <Page title={t("erasure.title")}>
      <p>{t("erasure.what")}</p>
      <p>{t("erasure.kept")}</p>
      {sent ? (
        <Notice>{t("erasure.sent", { email: me.email })}</Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async () => {
            await unwrap(api.POST("/api/auth/erasure"));
            setSent(true);
          })}
        >
          {form.problem && <Problem>{form.problem}</Problem>}
          <Submit busy={form.busy}>{t("erasure.ask")}</Submit>
        </form>
      )}
    </Page>
  );
}

/** The page the confirmation email opens: the erasure waits for the click
 * (a mail scanner following the link must not erase anyone). */
export function ConfirmErasure() {
  const { query } = useLocation();
  const form = useForm({});
  const [done, setDone] = useState(false);
  return (
    <Page title={t("erasure.confirmTitle")}>
      {done ? (
        <Notice>{t("erasure.done")}</Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async () => {
            await unwrap(
              api.POST("/api/auth/confirm-erasure", { body: { token: query.token ?? "" } }),
            );
            // The server ended every session; this forgets the browser's.
            await signOut(false);
            setDone(true);
          })}
        >
          <p>{t("erasure.what")}</p>
          {form.problem && <Problem>{form.problem}</Problem>}
          <Submit busy={form.busy}>{t("erasure.confirm")}</Submit>
        </form>
      )}
    </Page>
  );
}
