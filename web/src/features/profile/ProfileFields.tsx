/**
 * Every part of the profile, as registration, an invitation and the
 * profile page ask for it. `prefix` is where the API names its fields
 * (`profile.` inside a registration, nothing on the profile page).
 */
import { Checkbox, Group, TextArea, TextField } from "../../components/fields";
import type { Form } from "../../components/form";
import { t } from "../../i18n";
import type { ProfileValues } from "./values";

interface Props<T extends ProfileValues> {
  form: Form<T>;
  prefix: string;
}

export function ProfileFields<T extends ProfileValues>({ form, prefix }: Props<T>) {
  const v = form.values;
  const text = (key: keyof ProfileValues & string, api: string, label: string, extra = {}) => (
    <TextField
      field={prefix + api}
      label={label}
      value={v[key] as string}
      error={form.error(prefix + api)}
      onInput={(value) => form.set(key, value as T[typeof key])}
      {...extra}
    />
  );
  const check = (key: keyof ProfileValues & string, api: string, label: string) => (
    <Checkbox
      field={prefix + api}
      label={label}
      checked={v[key] as boolean}
      error={form.error(prefix + api)}
      onChange={(value) => form.set(key, value as T[typeof key])}
    />
  );
  const area = (key: keyof ProfileValues & string, api: string, label: string) => (
    <TextArea
      field={prefix + api}
      label={label}
      value={v[key] as string}
      error={form.error(prefix + api)}
      onInput={(value) => form.set(key, value as T[typeof key])}
    />
  );
  return (
    <>
      <Group legend={t("profile.identity")}>
        {text("first_name", "first_name", t("profile.firstName"), {
          required: true,
          autocomplete: "given-name",
        })}
        {text("last_name", "last_name", t("profile.lastName"), {
          required: true,
          autocomplete: "family-name",
        })}
        {text("phone", "phone", t("profile.phone"), { type: "tel", autocomplete: "tel" })}
        {text("date_of_birth", "date_of_birth", t("profile.dateOfBirth"), {
          type: "date",
          autocomplete: "bday",
        })}
      </Group>
      <Group legend={t("profile.address")}>
        {text("street", "address.street", t("profile.street"), { autocomplete: "street-address" })}
        {text("city", "address.city", t("profile.city"), { autocomplete: "address-level2" })}
        {text("zipcode", "address.zipcode", t("profile.zipcode"), {
          autocomplete: "postal-code",
        })}
        {text("state", "address.state", t("profile.state"), { autocomplete: "address-level1" })}
      </Group>
      <Group legend={t("profile.emergency")}>
        {text("emergency_name", "emergency_contact.name", t("profile.emergencyName"))}
        {text("emergency_phone", "emergency_contact.phone", t("profile.emergencyPhone"), {
          type: "tel",
        })}
        {text(
          "emergency_relationship",
          "emergency_contact.relationship",
          t("profile.emergencyRelationship"),
        )}
      </Group>
      <Group legend={t("profile.about")}>
        {text("lead_sources", "lead_sources", t("profile.leadSources"))}
        {text("referred_by_member_name", "referred_by_member_name", t("profile.referredBy"))}
        {text("interests", "interests", t("profile.interests"))}
        {text("volunteer_interests", "volunteer_interests", t("profile.volunteer"))}
        {check("scholarship_requested", "scholarship_requested", t("profile.scholarship"))}
        {v.scholarship_requested &&
          area("scholarship_reason", "scholarship_reason", t("profile.scholarshipReason"))}
      </Group>
      <Group legend={t("profile.partner")}>
        {text("partner_first_name", "partner.first_name", t("profile.partnerFirst"))}
        {text("partner_last_name", "partner.last_name", t("profile.partnerLast"))}
        {check("partner_is_member", "partner.is_member", t("profile.partnerIsMember"))}
        {check(
          "partner_plan_to_become_member",
          "partner.plan_to_become_member",
          t("profile.partnerPlans"),
        )}
      </Group>
      <Group legend={t("profile.newsletter")}>
        {check("newsletter_subscribed", "newsletter.subscribed", t("profile.newsletterSubscribed"))}
        {check("publish_name", "newsletter.publish_name", t("profile.publishName"))}
        {check("publish_photo", "newsletter.publish_photo", t("profile.publishPhoto"))}
        {check("publish_birthday", "newsletter.publish_birthday", t("profile.publishBirthday"))}
      </Group>
      <Group legend={t("profile.directory")}>
        {check("directory_listed", "directory.listed", t("profile.directoryListed"))}
        {v.directory_listed && (
          <>
            <p class="hint">{t("profile.directoryHint")}</p>
            {text("directory_email", "directory.email", t("profile.directoryEmail"), {
              type: "email",
            })}
            {text("directory_phone", "directory.phone", t("profile.directoryPhone"), {
              type: "tel",
            })}
            {text("directory_address", "directory.address", t("profile.directoryAddress"))}
            {area("directory_bio", "directory.bio", t("profile.directoryBio"))}
          </>
        )}
      </Group>
      <Group legend={t("profile.social")}>
        {text("twitter", "social_media.twitter", "Twitter / X")}
        {text("facebook", "social_media.facebook", "Facebook")}
        {text("instagram", "social_media.instagram", "Instagram")}
        {text("linkedin", "social_media.linkedin", "LinkedIn")}
      </Group>
    </>
  );
}
