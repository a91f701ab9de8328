import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { Me } from "../../auth/me";
import { Checkbox, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Loaded, useLoad } from "../../components/Loaded";
import { Notice, Problem } from "../../components/Notice";
import { Page } from "../../components/Page";
import { dateTime } from "../../format";
import { t } from "../../i18n";
import { reloadSettings, useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { Confirm } from "../ui/Confirm";
import { declared, useUploads } from "../ui/files";
import { Progress } from "../ui/Progress";
import { TimeZoneField } from "../ui/TimeZoneField";

/** The organisation: name, contact address, time zone, currency, the grace
 * period, whether staff need a membership in force, the logo (the navigation shows a new
 * one at once) and the storage used. */
export function AdminSettings({ me }: { me: Me }) {
  const may = (code: string) => me.permissions.includes(code);
  return (
    <Page title={ta("settings.title")}>
      {may("settings.edit") && <Organisation />}
      {may("settings.logo") && <Logo />}
      {may("settings.storage") && <Storage />}
    </Page>
  );
}

function Organisation() {
  const settings = useSettings();
  const [saved, setSaved] = useState(false);
  const form = useForm({
    name: settings.name,
    contact_email: settings.contact_email ?? "",
    time_zone: settings.time_zone,
    currency: settings.currency,
    staff_need_membership: settings.staff_need_membership,
    grace_days: String(settings.grace_days),
    payment_instructions: settings.payment_instructions ?? "",
    pending_payment_access: settings.pending_payment_access,
    record_retention_years: String(settings.record_retention_years),
    postal_address: settings.postal_address ?? "",
  });
  return (
    <form
      noValidate
      onSubmit={form.submit(async (v) => {
        setSaved(false);
        await unwrap(
          api.PATCH("/api/settings", {
            body: {
              name: v.name.trim(),
              contact_email: v.contact_email.trim() || null,
              time_zone: v.time_zone.trim(),
              currency: v.currency.trim().toUpperCase(),
              staff_need_membership: v.staff_need_membership,
              // Not a whole number: -1, which the API refuses naming the field.
              grace_days: /^\d+$/.test(v.grace_days.trim()) ? Number(v.grace_days.trim()) : -1,
              payment_instructions: v.payment_instructions,
              pending_payment_access: v.pending_payment_access,
              record_retention_years: /^\d+$/.test(v.record_retention_years.trim())
                ? Number(v.record_retention_years.trim())
                : -1,
              postal_address: v.postal_address,
            },
          }),
        );
        await reloadSettings();
        setSaved(true);
      })}
    >
      <h2>{ta("settings.organisation")}</h2>
      {form.problem && <Problem>{form.problem}</Problem>}
      {saved && <Notice>{ta("settings.saved")}</Notice>}
      <TextField {...form.bind("name")} label={ta("settings.name")} required />
      <TextField
        {...form.bind("contact_email")}
        type="email"
        label={ta("settings.contact")}
        hint={ta("settings.contactHint")}
      />
      <TimeZoneField
        field="time_zone"
        label={ta("settings.timeZone")}
        value={form.values.time_zone}
        error={form.error("time_zone")}
        onInput={(zone) => form.set("time_zone", zone)}
      />
      <TextField
        {...form.bind("currency")}
        label={ta("settings.currency")}
        hint={ta("settings.currencyHint")}
      />
      <TextField
        {...form.bind("grace_days")}
        inputMode="numeric"
        label={ta("settings.graceDays")}
        hint={ta("settings.graceDaysHint")}
      />
      <TextField
        {...form.bind("record_retention_years")}
        inputMode="numeric"
        label={ta("settings.retention")}
        hint={ta("settings.retentionHint")}
      />
      <TextArea
        {...form.bind("postal_address")}
        label={ta("settings.postalAddress")}
        hint={ta("settings.postalAddressHint")}
      />
      <Checkbox
        field="staff_need_membership"
        label={ta("settings.staffNeedMembership")}
        hint={ta("settings.staffNeedMembershipHint")}
        checked={form.values.staff_need_membership}
        error={form.error("staff_need_membership")}
        onChange={(checked) => form.set("staff_need_membership", checked)}
      />
      <TextArea
        {...form.bind("payment_instructions")}
        label={ta("settings.paymentInstructions")}
        hint={ta("settings.paymentInstructionsHint")}
      />
      <Checkbox
        field="pending_payment_access"
        label={ta("settings.pendingPaymentAccess")}
        hint={ta("settings.pendingPaymentAccessHint")}
        checked={form.values.pending_payment_access}
        error={form.error("pending_payment_access")}
        onChange={(checked) => form.set("pending_payment_access", checked)}
      />
      <Submit busy={form.busy}>{ta("settings.save")}</Submit>
    </form>
  );
}

function Logo() {
  const settings = useSettings();
  const [problem, setProblem] = useState<string | null>(null);
  const { sending, send } = useUploads(
    (file) => unwrap(api.POST("/api/settings/logo/uploads", { body: declared(file) })),
    (reserved) =>
      unwrap(api.PUT("/api/settings/logo", { body: { upload_id: reserved.upload_id } })),
  );
  return (
    <section aria-labelledby="logo">
      <h2 id="logo">{ta("settings.logo")}</h2>
      {problem && <Problem>{problem}</Problem>}
      {settings.logo_url ? (
        <img class="logo-preview" src={settings.logo_url} alt={ta("settings.currentLogo")} />
      ) : (
        <p>{ta("settings.noLogo")}</p>
      )}
      <div class="field">
        <label htmlFor="logo-file">
          {settings.logo_url ? ta("settings.replaceLogo") : ta("settings.addLogo")}
        </label>
        <p class="hint" id="logo-file-hint">
          {ta("settings.logoHint")}
        </p>
        <input
          id="logo-file"
          type="file"
          accept="image/png,image/jpeg,image/webp,image/svg+xml"
          aria-describedby="logo-file-hint"
          disabled={sending.length > 0}
          onChange={async (e) => {
            const input = e.currentTarget as HTMLInputElement;
            const file = input.files?.[0];
            if (!file) return;
            setProblem(null);
            try {
              await send([file]);
              await reloadSettings();
            } catch (failure) {
              setProblem(failure instanceof ApiError ? failure.explanation : t("app.error"));
            } finally {
              input.value = "";
            }
          }}
        />
      </div>
      {sending.map((s) => (
        <Progress key={s.name} name={s.name} fraction={s.fraction} />
      ))}
      {settings.logo_url && (
        <Confirm
          label={ta("settings.removeLogo")}
          warning={ta("settings.removeLogoWarning")}
          action={() => unwrap(api.DELETE("/api/settings/logo"))}
          done={() => void reloadSettings()}
        />
      )}
    </section>
  );
}

function Storage() {
  const { time_zone } = useSettings();
  const [usage] = useLoad(() => unwrap(api.GET("/api/storage/usage")), []);
  const size = (bytes: number) =>
    new Intl.NumberFormat("en-GB", {
      style: "unit",
      unit: bytes >= 1024 ** 3 ? "gigabyte" : "megabyte",
      maximumFractionDigits: 1,
    }).format(bytes / (bytes >= 1024 ** 3 ? 1024 ** 3 : 1024 ** 2));
  return (
    <section aria-labelledby="storage">
      <h2 id="storage">{ta("settings.storage")}</h2>
      <Loaded state={usage}>
        {(u) => (
          <>
            <p>
              <label>
                {ta("settings.used", {
                  used: size(u.total_bytes_used),
                  quota: size(u.max_bytes_allowed),
                })}
                <meter min={0} max={u.max_bytes_allowed} value={u.total_bytes_used} />
              </label>
            </p>
            <table class="data">
              <tbody>
                <tr>
                  <th scope="row">{ta("documents.newsletters")}</th>
                  <td>{size(u.newsletters_bytes)}</td>
                </tr>
                <tr>
                  <th scope="row">{ta("documents.financial-reports")}</th>
                  <td>{size(u.financial_reports_bytes)}</td>
                </tr>
                <tr>
                  <th scope="row">{ta("documents.bylaws")}</th>
                  <td>{size(u.bylaws_bytes)}</td>
                </tr>
                <tr>
                  <th scope="row">{ta("gallery.title")}</th>
                  <td>{size(u.galleries_bytes)}</td>
                </tr>
                <tr>
                  <th scope="row">{ta("settings.logo")}</th>
                  <td>{size(u.logo_bytes)}</td>
                </tr>
              </tbody>
            </table>
            <p class="meta">
              {ta("settings.measured", { when: dateTime(u.last_updated, time_zone) })}
            </p>
          </>
        )}
      </Loaded>
    </section>
  );
}
