//! Matching a spreadsheet's header row to member fields. Names are compared
//! after folding case, accents, spaces and punctuation, and each field has
//! the names organisations commonly use (English and French), so "E-mail",
//! "Email address" and "Courriel" all mean the email.

/// A member field an import can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    FirstName,
    LastName,
    /// A full name, split at its last space when the file has no separate
    /// first and last name.
    Name,
    Phone,
    Address,
    City,
    State,
    Zipcode,
    DateOfBirth,
    MemberSince,
    Status,
    Newsletter,
    /// The membership plan the member's current (or last) period is of.
    Plan,
    /// The last day that period covers.
    PaidUntil,
    /// The day it began (the last payment).
    PaidOn,
}

/// Every field with the header names that mean it (already folded).
pub const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::Email,
        &[
            "email",
            "e_mail",
            "email_address",
            "e_mail_address",
            "mail",
            "courriel",
            "adresse_email",
        ],
    ),
    (
        Field::FirstName,
        &[
            "first_name",
            "firstname",
            "first",
            "given_name",
            "forename",
            "prenom",
        ],
    ),
    (
        Field::LastName,
        &[
            "last_name",
            "lastname",
            "last",
            "surname",
            "family_name",
            "nom",
            "nom_de_famille",
        ],
    ),
    (
        Field::Name,
        &[
            "name",
            "full_name",
            "fullname",
            "member_name",
            "nom_complet",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "phone_number",
            "telephone",
            "tel",
            "mobile",
            "cell",
            "portable",
        ],
    ),
    (
        Field::Address,
        &[
            "address",
            "street",
            "street_address",
            "address_line_1",
            "adresse",
            "rue",
        ],
    ),
    (Field::City, &["city", "town", "ville"]),
    (Field::State, &["state", "region", "province", "county"]),
    (
        Field::Zipcode,
        &[
            "zip",
            "zipcode",
            "zip_code",
            "postal_code",
            "postcode",
            "code_postal",
        ],
    ),
    (
        Field::DateOfBirth,
        &[
            "date_of_birth",
            "dob",
            "birth_date",
            "birthdate",
            "birthday",
            "date_de_naissance",
        ],
    ),
    (
        Field::MemberSince,
        &[
            "member_since",
            "joined",
            "joined_on",
            "join_date",
            "date_joined",
            "membership_start",
            "date_adhesion",
            "date_d_adhesion",
            "adhesion",
        ],
    ),
    (Field::Status, &["status", "membership_status", "statut"]),
    (
        Field::Newsletter,
        &[
            "newsletter",
            "newsletter_subscribed",
            "subscribed",
            "subscribe_newsletter",
        ],
    ),
    (
        Field::Plan,
        &[
            "plan",
            "membership_plan",
            "membership_type",
            "membership",
            "formule",
            "type_d_adhesion",
            "type_adhesion",
            "cotisation",
        ],
    ),
    (
        Field::PaidUntil,
        &[
            "paid_until",
            "paid_through",
            "valid_until",
            "expires",
            "expires_on",
            "expiry",
            "expiry_date",
            "expiration_date",
            "membership_end",
            "membership_expires",
            "end_date",
            "date_de_fin",
            "date_fin",
            "valable_jusqu_au",
            "echeance",
        ],
    ),
    (
        Field::PaidOn,
        &[
            "paid_on",
            "last_payment",
            "last_paid",
            "payment_date",
            "renewed_on",
            "start_date",
            "date_de_paiement",
            "date_paiement",
            "date_de_debut",
        ],
    ),
];

/// Where each field is in the file.
#[derive(Debug, Default)]
pub struct Columns {
    positions: Vec<(Field, usize)>,
    /// The file's own header names, for error reports.
    headers: Vec<String>,
    /// Headers that matched nothing; the import ignores them.
    pub ignored: Vec<String>,
}

/// Why a header row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    pub column: Option<String>,
    pub message: String,
}

/// `header` folded for comparison: lower case, common accents removed, runs
/// of anything else than letters and digits made one `_`.
pub fn fold(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

fn field_of(folded: &str) -> Option<Field> {
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&folded))
        .map(|(field, _)| *field)
}

impl Columns {
    /// Reads the header row: refuses a field given twice and a file
    /// without an email or without names.
    pub fn from_header<'a>(header: impl IntoIterator<Item = &'a str>) -> Result<Self, HeaderError> {
        let mut cols = Columns::default();
        for (i, raw) in header.into_iter().enumerate() {
            let raw = raw.trim().to_string();
            match field_of(&fold(&raw)) {
                Some(field) => {
                    if let Some(&(_, first)) = cols.positions.iter().find(|(f, _)| *f == field) {
                        return Err(HeaderError {
                            column: Some(raw.clone()),
                            message: format!(
                                "Columns \"{}\" and \"{raw}\" both mean the same field: keep one.",
                                cols.headers[first]
                            ),
                        });
                    }
                    cols.positions.push((field, i));
                }
                None if raw.is_empty() => {}
                None => cols.ignored.push(raw.clone()),
            }
            cols.headers.push(raw);
        }
        if cols.position(Field::Email).is_none() {
            return Err(HeaderError {
                column: Some("email".into()),
                message: "The file has no email column: name one \"email\".".into(),
            });
        }
        let split =
            cols.position(Field::FirstName).is_some() && cols.position(Field::LastName).is_some();
        if !split && cols.position(Field::Name).is_none() {
            return Err(HeaderError {
                column: Some("first_name".into()),
                message: "The file needs \"first_name\" and \"last_name\" columns, or one \"name\" column.".into(),
            });
        }
        Ok(cols)
    }

    pub fn position(&self, field: Field) -> Option<usize> {
        self.positions
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| *i)
    }

    /// The file's header name for `field`.
    pub fn header(&self, field: Field) -> String {
        self.position(field)
            .and_then(|i| self.headers.get(i).cloned())
            .unwrap_or_default()
    }

    /// Whether names come from separate columns.
    pub fn has_split_names(&self) -> bool {
        self.position(Field::FirstName).is_some() && self.position(Field::LastName).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_whatever_their_case_accents_and_punctuation() {
        assert_eq!(fold("  E-Mail Address "), "e_mail_address");
        assert_eq!(fold("Prénom"), "prenom");
        assert_eq!(fold("Date d'adhésion"), "date_d_adhesion");
        let cols =
            Columns::from_header(["Courriel", "Prénom", "NOM", "Téléphone", "Shoe size"]).unwrap();
        assert_eq!(cols.position(Field::Email), Some(0));
        assert_eq!(cols.position(Field::FirstName), Some(1));
        assert_eq!(cols.position(Field::LastName), Some(2));
        assert_eq!(cols.position(Field::Phone), Some(3));
        assert_eq!(cols.ignored, ["Shoe size"]);
    }

    #[test]
    fn a_full_name_column_stands_for_both_names() {
        let cols = Columns::from_header(["Full name", "email"]).unwrap();
        assert!(!cols.has_split_names());
        assert_eq!(cols.position(Field::Name), Some(0));
    }

    #[test]
    fn missing_and_repeated_columns_are_refused() {
        let err = Columns::from_header(["first_name", "last_name"]).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("email"));
        let err = Columns::from_header(["email", "last_name"]).unwrap_err();
        assert!(err.message.contains("first_name"), "{}", err.message);
        let err = Columns::from_header(["email", "E-mail", "name"]).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("E-mail"));
    }
}
