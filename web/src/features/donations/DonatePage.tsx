import { api, unwrap } from "../../api/client";
import { useMe } from "../../auth/me";
import { useSettings } from "../../org/settings";
import { Checkbox, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { money, toCents } from "../../format";
import { t } from "../../i18n";

/** A gift, as a guest or signed in (the receipt then goes to the account). */
export function DonatePage() {
  const settings = useSettings();
  const me = useMe();
  const signedIn = me.phase === "signed-in";
  const form = useForm({
    amount: "25",
    donor_name: "",
    donor_email: "",
    message: "",
    dedication: "",
    anonymous: false,
  });
  const v = form.values;
  const cents = toCents(v.amount);
  return (
    <Page title={t("donate.title")}>
      <p>{t("donate.intro", { name: settings.name })}</p>
      <form
        noValidate
        onSubmit={form.submit(async (values) => {
          const text = (s: string) => (s.trim() === "" ? null : s.trim());
          const checkout = await unwrap(
            api.POST("/api/donations/checkout", {
              body: {
                amount_cents: cents ?? -1,
                donor_name: signedIn ? null : text(values.donor_name),
                donor_email: signedIn ? null : text(values.donor_email),
                message: text(values.message),
                dedication: text(values.dedication),
                anonymous: values.anonymous,
              },
            }),
          );
          window.location.assign(checkout.checkout_url);
        })}
      >
        {form.problem && <Problem>{form.problem}</Problem>}
        <TextField
          field="amount_cents"
          label={t("donate.amount", { currency: settings.currency })}
          inputMode="decimal"
          required
          value={v.amount}
          error={form.error("amount_cents")}
          onInput={(value) => form.set("amount", value)}
        />
        {!signedIn && (
          <>
            <TextField
              {...form.bind("donor_name")}
              label={t("donate.name")}
              autocomplete="name"
              required
            />
            <TextField
              {...form.bind("donor_email")}
              label={t("donate.email")}
              type="email"
              autocomplete="email"
              required
            />
          </>
        )}
        <TextField {...form.bind("dedication")} label={t("donate.dedication")} />
        <TextArea {...form.bind("message")} label={t("donate.message")} />
        <Checkbox
          field="anonymous"
          label={t("donate.anonymous")}
          checked={v.anonymous}
          onChange={(value) => form.set("anonymous", value)}
        />
        <Submit busy={form.busy}>
          {t("donate.submit", { amount: cents ? money(cents, settings.currency) : "" })}
        </Submit>
      </form>
    </Page>
  );
}
