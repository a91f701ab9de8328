/**
 * The profile as a form holds it (flat, every value a string or a flag)
 * and as the API takes it (nested, empty parts as null).
 */
import type { Schemas } from "../../api/client";

export type Profile = Schemas["Profile"];

export interface ProfileValues {
  first_name: string;
  last_name: string;
  phone: string;
  date_of_birth: string;
  street: string;
  city: string;
  zipcode: string;
  state: string;
  emergency_name: string;
  emergency_phone: string;
  emergency_relationship: string;
  lead_sources: string;
  referred_by_member_name: string;
  interests: string;
  volunteer_interests: string;
  partner_first_name: string;
  partner_last_name: string;
  partner_is_member: boolean;
  partner_plan_to_become_member: boolean;
  scholarship_requested: boolean;
  scholarship_reason: string;
  newsletter_subscribed: boolean;
  publish_name: boolean;
  publish_photo: boolean;
  publish_birthday: boolean;
  directory_listed: boolean;
  directory_email: string;
  directory_phone: string;
  directory_address: string;
  directory_bio: string;
  twitter: string;
  facebook: string;
  instagram: string;
  linkedin: string;
}

export const emptyProfile: ProfileValues = {
  first_name: "",
  last_name: "",
  phone: "",
  date_of_birth: "",
  street: "",
  city: "",
  zipcode: "",
  state: "",
  emergency_name: "",
  emergency_phone: "",
  emergency_relationship: "",
  lead_sources: "",
  referred_by_member_name: "",
  interests: "",
  volunteer_interests: "",
  partner_first_name: "",
  partner_last_name: "",
  partner_is_member: false,
  partner_plan_to_become_member: false,
  scholarship_requested: false,
  scholarship_reason: "",
  newsletter_subscribed: true,
  publish_name: false,
  publish_photo: false,
  publish_birthday: false,
  directory_listed: false,
  directory_email: "",
  directory_phone: "",
  directory_address: "",
  directory_bio: "",
  twitter: "",
  facebook: "",
  instagram: "",
  linkedin: "",
};

const text = (v: string): string | null => (v.trim() === "" ? null : v.trim());
const list = (v: string): string[] =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The API's profile from what the form holds. */
export function toProfile(v: ProfileValues): Profile {
  return {
    first_name: v.first_name.trim(),
    last_name: v.last_name.trim(),
    phone: text(v.phone),
    date_of_birth: text(v.date_of_birth),
    address: {
      street: text(v.street),
      city: text(v.city),
      zipcode: text(v.zipcode),
      state: text(v.state),
    },
    emergency_contact: {
      name: text(v.emergency_name),
      phone: text(v.emergency_phone),
      relationship: text(v.emergency_relationship),
    },
    lead_sources: list(v.lead_sources),
    referred_by_member_name: text(v.referred_by_member_name),
    interests: list(v.interests),
    volunteer_interests: list(v.volunteer_interests),
    partner: {
      first_name: text(v.partner_first_name),
      last_name: text(v.partner_last_name),
      is_member: v.partner_is_member,
      plan_to_become_member: v.partner_plan_to_become_member,
    },
    scholarship_requested: v.scholarship_requested,
    scholarship_reason: text(v.scholarship_reason),
    newsletter: {
      subscribed: v.newsletter_subscribed,
      publish_name: v.publish_name,
      publish_photo: v.publish_photo,
      publish_birthday: v.publish_birthday,
    },
    directory: {
      listed: v.directory_listed,
      email: text(v.directory_email),
      phone: text(v.directory_phone),
      address: text(v.directory_address),
      bio: text(v.directory_bio),
      partner_name: null,
    },
    social_media: {
      twitter: text(v.twitter),
      facebook: text(v.facebook),
      instagram: text(v.instagram),
      linkedin: text(v.linkedin),
    },
  };
}

/** What the form shows for the API's profile. */
export function fromProfile(p: Profile): ProfileValues {
  const s = (v: string | null | undefined) => v ?? "";
  return {
    first_name: p.first_name,
    last_name: p.last_name,
    phone: s(p.phone),
    date_of_birth: s(p.date_of_birth),
    street: s(p.address?.street),
    city: s(p.address?.city),
    zipcode: s(p.address?.zipcode),
    state: s(p.address?.state),
    emergency_name: s(p.emergency_contact?.name),
    emergency_phone: s(p.emergency_contact?.phone),
    emergency_relationship: s(p.emergency_contact?.relationship),
    lead_sources: (p.lead_sources ?? []).join(", "),
    referred_by_member_name: s(p.referred_by_member_name),
    interests: (p.interests ?? []).join(", "),
    volunteer_interests: (p.volunteer_interests ?? []).join(", "),
    partner_first_name: s(p.partner?.first_name),
    partner_last_name: s(p.partner?.last_name),
    partner_is_member: p.partner?.is_member ?? false,
    partner_plan_to_become_member: p.partner?.plan_to_become_member ?? false,
    scholarship_requested: p.scholarship_requested ?? false,
    scholarship_reason: s(p.scholarship_reason),
    newsletter_subscribed: p.newsletter?.subscribed ?? false,
    publish_name: p.newsletter?.publish_name ?? false,
    publish_photo: p.newsletter?.publish_photo ?? false,
    publish_birthday: p.newsletter?.publish_birthday ?? false,
    directory_listed: p.directory?.listed ?? false,
    directory_email: s(p.directory?.email),
    directory_phone: s(p.directory?.phone),
    directory_address: s(p.directory?.address),
    directory_bio: s(p.directory?.bio),
    twitter: s(p.social_media?.twitter),
    facebook: s(p.social_media?.facebook),
    instagram: s(p.social_media?.instagram),
    linkedin: s(p.social_media?.linkedin),
  };
}
