//! The member profile: the old platform's multi-step registration form as
//! one document. Registration writes it whole; a member's `PATCH
//! /api/auth/me` and an admin's `PATCH /api/members/{id}` replace the parts
//! they name; all go through [`Profile::validated`] and the same columns.

use crate::validate::{
    labels, optional_birth_date, optional_long_text, optional_phone, optional_text, text, Checked,
    FieldError,
};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::types::Json as Jsonb;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zipcode: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EmergencyContact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub relationship: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Partner {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub is_member: bool,
    pub plan_to_become_member: bool,
}

/// What the newsletter may print about the member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Newsletter {
    pub subscribed: bool,
    pub publish_name: bool,
    pub publish_photo: bool,
    pub publish_birthday: bool,
}

impl Default for Newsletter {
    fn default() -> Self {
        Newsletter {
            subscribed: true,
            publish_name: false,
            publish_photo: false,
            publish_birthday: false,
        }
    }
}

/// The member directory entry: shown to other members only when `listed`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Directory {
    pub listed: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub bio: Option<String>,
    pub partner_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SocialMedia {
    pub facebook: Option<String>,
    pub instagram: Option<String>,
    pub twitter: Option<String>,
    pub linkedin: Option<String>,
}

/// Everything a member tells about themselves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Address,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub emergency_contact: EmergencyContact,
    /// How they heard of the organisation.
    #[serde(default)]
    pub lead_sources: Vec<String>,
    #[serde(default)]
    pub referred_by_member_name: Option<String>,
    #[serde(default)]
    pub partner: Partner,
    #[serde(default)]
    pub interests: Vec<String>,
    #[serde(default)]
    pub volunteer_interests: Vec<String>,
    #[serde(default)]
    pub scholarship_requested: bool,
    #[serde(default)]
    pub scholarship_reason: Option<String>,
    #[serde(default)]
    pub newsletter: Newsletter,
    #[serde(default)]
    pub directory: Directory,
    #[serde(default)]
    pub social_media: SocialMedia,
}

/// A profile patch: each top-level key present replaces that part of
/// the profile; `null` clears it (a required name then fails validation);
/// absent keys stay as they are.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(deserialize_with = "crate::validate::present")]
    first_name: Option<Option<String>>,
    #[serde(deserialize_with = "crate::validate::present")]
    last_name: Option<Option<String>>,
    #[serde(deserialize_with = "crate::validate::present")]
    phone: Option<Option<String>>,
    #[serde(deserialize_with = "crate::validate::present")]
    address: Option<Option<Address>>,
    #[serde(deserialize_with = "crate::validate::present")]
    date_of_birth: Option<Option<NaiveDate>>,
    #[serde(deserialize_with = "crate::validate::present")]
    emergency_contact: Option<Option<EmergencyContact>>,
    #[serde(deserialize_with = "crate::validate::present")]
    lead_sources: Option<Option<Vec<String>>>,
    #[serde(deserialize_with = "crate::validate::present")]
    referred_by_member_name: Option<Option<String>>,
    #[serde(deserialize_with = "crate::validate::present")]
    partner: Option<Option<Partner>>,
    #[serde(deserialize_with = "crate::validate::present")]
    interests: Option<Option<Vec<String>>>,
    #[serde(deserialize_with = "crate::validate::present")]
    volunteer_interests: Option<Option<Vec<String>>>,
    #[serde(deserialize_with = "crate::validate::present")]
    scholarship_requested: Option<Option<bool>>,
    #[serde(deserialize_with = "crate::validate::present")]
    scholarship_reason: Option<Option<String>>,
    #[serde(deserialize_with = "crate::validate::present")]
    newsletter: Option<Option<Newsletter>>,
    #[serde(deserialize_with = "crate::validate::present")]
    directory: Option<Option<Directory>>,
    #[serde(deserialize_with = "crate::validate::present")]
    social_media: Option<Option<SocialMedia>>,
}

impl ProfilePatch {
    /// `profile` with this patch applied (not yet validated).
    pub fn apply(self, mut p: Profile) -> Profile {
        // Nullable fields take the value as given; the others fall back to
        // their empty value on `null`.
        macro_rules! nullable {
            ($($field:ident),*) => {$(
                if let Some(v) = self.$field { p.$field = v; }
            )*};
        }
        macro_rules! emptied_by_null {
            ($($field:ident),*) => {$(
                if let Some(v) = self.$field { p.$field = v.unwrap_or_default(); }
            )*};
        }
        nullable!(
            phone,
            date_of_birth,
            referred_by_member_name,
            scholarship_reason
        );
        emptied_by_null!(
            first_name,
            last_name,
            address,
            emergency_contact,
            lead_sources,
            partner,
            interests,
            volunteer_interests,
            scholarship_requested,
            newsletter,
            directory,
            social_media
        );
        p
    }
}

const NAME: usize = 100;
const LINE: usize = 255;

impl Profile {
    /// The profile trimmed and checked, or a 422 naming the first bad field
    /// under `prefix` (`profile.` in a registration, nothing in a patch).
    pub fn validated(self, prefix: &str) -> Checked<Profile> {
        let f = |name: &str| format!("{prefix}{name}");
        let opt = |name: &str, v: &Option<String>, max| optional_text(&f(name), v.as_deref(), max);
        let phone = |name: &str, v: &Option<String>| optional_phone(&f(name), v.as_deref());
        let directory_email = match opt("directory.email", &self.directory.email, LINE)? {
            Some(e) => Some(
                crate::domain::Email::parse(&e)
                    .map_err(|err| FieldError::invalid(f("directory.email"), err.to_string()))?
                    .to_string(),
            ),
            None => None,
        };
        Ok(Profile {
            first_name: text(&f("first_name"), &self.first_name, NAME)?,
            last_name: text(&f("last_name"), &self.last_name, NAME)?,
            phone: phone("phone", &self.phone)?,
            address: Address {
                street: opt("address.street", &self.address.street, LINE)?,
                city: opt("address.city", &self.address.city, NAME)?,
                state: opt("address.state", &self.address.state, NAME)?,
                zipcode: opt("address.zipcode", &self.address.zipcode, 20)?,
            },
            date_of_birth: optional_birth_date(&f("date_of_birth"), self.date_of_birth)?,
            emergency_contact: EmergencyContact {
                name: opt("emergency_contact.name", &self.emergency_contact.name, 200)?,
                phone: phone("emergency_contact.phone", &self.emergency_contact.phone)?,
                relationship: opt(
                    "emergency_contact.relationship",
                    &self.emergency_contact.relationship,
                    NAME,
                )?,
            },
            lead_sources: labels(&f("lead_sources"), &self.lead_sources, 10, 100)?,
            referred_by_member_name: opt(
                "referred_by_member_name",
                &self.referred_by_member_name,
                200,
            )?,
            partner: Partner {
                first_name: opt("partner.first_name", &self.partner.first_name, NAME)?,
                last_name: opt("partner.last_name", &self.partner.last_name, NAME)?,
                ..self.partner
            },
            interests: labels(&f("interests"), &self.interests, 30, 100)?,
            volunteer_interests: labels(
                &f("volunteer_interests"),
                &self.volunteer_interests,
                30,
                100,
            )?,
            scholarship_requested: self.scholarship_requested,
            scholarship_reason: optional_long_text(
                &f("scholarship_reason"),
                self.scholarship_reason.as_deref(),
                2000,
            )?,
            newsletter: self.newsletter,
            directory: Directory {
                listed: self.directory.listed,
                email: directory_email,
                phone: phone("directory.phone", &self.directory.phone)?,
                address: opt("directory.address", &self.directory.address, LINE)?,
                bio: optional_long_text(&f("directory.bio"), self.directory.bio.as_deref(), 2000)?,
                partner_name: opt("directory.partner_name", &self.directory.partner_name, 200)?,
            },
            social_media: SocialMedia {
                facebook: opt("social_media.facebook", &self.social_media.facebook, LINE)?,
                instagram: opt("social_media.instagram", &self.social_media.instagram, LINE)?,
                twitter: opt("social_media.twitter", &self.social_media.twitter, LINE)?,
                linkedin: opt("social_media.linkedin", &self.social_media.linkedin, LINE)?,
            },
        })
    }

    /// Reads the profile of user `id`.
    /// The parts (`phone`, `newsletter`, `directory`…) that differ in
    /// `after`, for the audit trail: which parts changed, not their values.
    pub fn changed_parts(&self, after: &Profile) -> Vec<String> {
        let (b, a) = (
            serde_json::to_value(self).unwrap_or_default(),
            serde_json::to_value(after).unwrap_or_default(),
        );
        match (b.as_object(), a.as_object()) {
            (Some(b), Some(a)) => a
                .iter()
                .filter(|(k, v)| b.get(*k) != Some(v))
                .map(|(k, _)| k.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Profile, sqlx::Error> {
        let r = sqlx::query_as!(
            Row,
            r#"SELECT first_name, last_name, phone, address, city, state, zipcode, date_of_birth,
                emergency_contact_name, emergency_contact_phone, emergency_contact_relationship,
                lead_sources AS "lead_sources: Jsonb<Vec<String>>", referred_by_member_name,
                partner_first_name, partner_last_name, partner_is_member,
                partner_plan_to_become_member, interests AS "interests: Jsonb<Vec<String>>",
                volunteer_interests AS "volunteer_interests: Jsonb<Vec<String>>",
                scholarship_requested, scholarship_reason, newsletter_subscribed,
                newsletter_publish_name, newsletter_publish_photo, newsletter_publish_birthday,
                show_in_directory, directory_email, directory_phone, directory_address,
                directory_bio, directory_partner_name, social_media_facebook,
                social_media_instagram, social_media_twitter, social_media_linkedin
            FROM users WHERE id = $1"#,
            id,
        )
        .fetch_one(conn)
        .await?;
        Ok(r.into())
    }

    /// Writes every profile column of user `id` (a validated profile).
    pub async fn store(&self, conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
        let p = self;
        sqlx::query!(
            "UPDATE users SET first_name = $2, last_name = $3, phone = $4, address = $5, \
                city = $6, state = $7, zipcode = $8, date_of_birth = $9, \
                emergency_contact_name = $10, emergency_contact_phone = $11, \
                emergency_contact_relationship = $12, lead_sources = $13, \
                referred_by_member_name = $14, partner_first_name = $15, partner_last_name = $16, \
                partner_is_member = $17, partner_plan_to_become_member = $18, interests = $19, \
                volunteer_interests = $20, scholarship_requested = $21, scholarship_reason = $22, \
                newsletter_subscribed = $23, newsletter_publish_name = $24, \
                newsletter_publish_photo = $25, newsletter_publish_birthday = $26, \
                show_in_directory = $27, directory_email = $28, directory_phone = $29, \
                directory_address = $30, directory_bio = $31, directory_partner_name = $32, \
                social_media_facebook = $33, social_media_instagram = $34, \
                social_media_twitter = $35, social_media_linkedin = $36, updated_at = now() \
             WHERE id = $1",
            id,
            p.first_name,
            p.last_name,
            p.phone,
            p.address.street,
            p.address.city,
            p.address.state,
            p.address.zipcode,
            p.date_of_birth,
            p.emergency_contact.name,
            p.emergency_contact.phone,
            p.emergency_contact.relationship,
            Jsonb(&p.lead_sources) as _,
            p.referred_by_member_name,
            p.partner.first_name,
            p.partner.last_name,
            p.partner.is_member,
            p.partner.plan_to_become_member,
            Jsonb(&p.interests) as _,
            Jsonb(&p.volunteer_interests) as _,
            p.scholarship_requested,
            p.scholarship_reason,
            p.newsletter.subscribed,
            p.newsletter.publish_name,
            p.newsletter.publish_photo,
            p.newsletter.publish_birthday,
            p.directory.listed,
            p.directory.email,
            p.directory.phone,
            p.directory.address,
            p.directory.bio,
            p.directory.partner_name,
            p.social_media.facebook,
            p.social_media.instagram,
            p.social_media.twitter,
            p.social_media.linkedin,
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// A user's profile columns as stored.
struct Row {
    first_name: String,
    last_name: String,
    phone: Option<String>,
    address: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zipcode: Option<String>,
    date_of_birth: Option<NaiveDate>,
    emergency_contact_name: Option<String>,
    emergency_contact_phone: Option<String>,
    emergency_contact_relationship: Option<String>,
    lead_sources: Jsonb<Vec<String>>,
    referred_by_member_name: Option<String>,
    partner_first_name: Option<String>,
    partner_last_name: Option<String>,
    partner_is_member: bool,
    partner_plan_to_become_member: bool,
    interests: Jsonb<Vec<String>>,
    volunteer_interests: Jsonb<Vec<String>>,
    scholarship_requested: bool,
    scholarship_reason: Option<String>,
    newsletter_subscribed: bool,
    newsletter_publish_name: bool,
    newsletter_publish_photo: bool,
    newsletter_publish_birthday: bool,
    show_in_directory: bool,
    directory_email: Option<String>,
    directory_phone: Option<String>,
    directory_address: Option<String>,
    directory_bio: Option<String>,
    directory_partner_name: Option<String>,
    social_media_facebook: Option<String>,
    social_media_instagram: Option<String>,
    social_media_twitter: Option<String>,
    social_media_linkedin: Option<String>,
}

impl From<Row> for Profile {
    fn from(r: Row) -> Self {
        Profile {
            first_name: r.first_name,
            last_name: r.last_name,
            phone: r.phone,
            address: Address {
                street: r.address,
                city: r.city,
                state: r.state,
                zipcode: r.zipcode,
            },
            date_of_birth: r.date_of_birth,
            emergency_contact: EmergencyContact {
                name: r.emergency_contact_name,
                phone: r.emergency_contact_phone,
                relationship: r.emergency_contact_relationship,
            },
            lead_sources: r.lead_sources.0,
            referred_by_member_name: r.referred_by_member_name,
            partner: Partner {
                first_name: r.partner_first_name,
                last_name: r.partner_last_name,
                is_member: r.partner_is_member,
                plan_to_become_member: r.partner_plan_to_become_member,
            },
            interests: r.interests.0,
            volunteer_interests: r.volunteer_interests.0,
            scholarship_requested: r.scholarship_requested,
            scholarship_reason: r.scholarship_reason,
            newsletter: Newsletter {
                subscribed: r.newsletter_subscribed,
                publish_name: r.newsletter_publish_name,
                publish_photo: r.newsletter_publish_photo,
                publish_birthday: r.newsletter_publish_birthday,
            },
            directory: Directory {
                listed: r.show_in_directory,
                email: r.directory_email,
                phone: r.directory_phone,
                address: r.directory_address,
                bio: r.directory_bio,
                partner_name: r.directory_partner_name,
            },
            social_media: SocialMedia {
                facebook: r.social_media_facebook,
                instagram: r.social_media_instagram,
                twitter: r.social_media_twitter,
                linkedin: r.social_media_linkedin,
            },
        }
    }
}
