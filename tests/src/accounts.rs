//! A complete registration, for tests and benchmarks that need an account.

use serde_json::{json, Value};

/// The password of accounts made from [`registration`].
pub const PASSWORD: &str = "analytical engine 1843";
/// The terms version test apps require.
pub const TERMS: &str = "2026-01";

/// A registration with every part of the profile filled in.
pub fn registration(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "accept_terms": true,
        "terms_version": TERMS,
        "profile": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0958",
            "address": {"street": "12 St James's Square", "city": "London", "zipcode": "SW1Y 4JH"},
            "date_of_birth": "1985-12-10",
            "emergency_contact": {"name": "Mary Somerville", "phone": "+44 20 7946 0000", "relationship": "friend"},
            "lead_sources": ["friend", "newsletter"],
            "referred_by_member_name": "Charles Babbage",
            "partner": {"first_name": "William", "last_name": "King", "is_member": false, "plan_to_become_member": true},
            "interests": ["mathematics", "music"],
            "volunteer_interests": ["events"],
            "scholarship_requested": false,
            "newsletter": {"subscribed": true, "publish_name": true, "publish_photo": false, "publish_birthday": false},
            "directory": {"listed": true, "bio": "Poetical science."},
            "social_media": {"twitter": "@ada"}
        }
    })
}
