use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

const GOOD: &[(&str, &str)] = &[
    ("DATABASE_URL", "postgres://loaf:pw@localhost:5432/loaf"),
    ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ("S3_BUCKET", "docs"),
    ("EMAIL_FROM", "LOAF <no-reply@example.org>"),
];

#[test]
fn a_renewal_schedule_is_days_around_the_end() {
    let default = RemindersConfig::read(&env(&[])).unwrap();
    assert_eq!(default.renewal_schedule, [-30, -7, 0, 30, 60]);
    let set = RemindersConfig::read(&env(&[("RENEWAL_REMINDER_SCHEDULE", " 14, -1,14 ")]));
    assert_eq!(set.unwrap().renewal_schedule, [-1, 14]);
    let none = RemindersConfig::read(&env(&[("RENEWAL_REMINDER_SCHEDULE", "none")]));
    assert!(none.unwrap().renewal_schedule.is_empty());
    for bad in ["a week before", "-400", "1,2,3,4,5,6,7,8,9,10,11"] {
        let e = RemindersConfig::read(&env(&[("RENEWAL_REMINDER_SCHEDULE", bad)])).unwrap_err();
        assert_eq!(e.var, "RENEWAL_REMINDER_SCHEDULE", "{bad}");
    }
}

#[test]
fn reads_defaults() {
    let cfg = Config::read(&env(GOOD)).unwrap();
    assert_eq!(cfg.db.max_connections, 2);
    assert_eq!(cfg.db.acquire_timeout, Duration::from_secs(5));
    assert_eq!(cfg.auth.access_token_ttl, Duration::from_secs(1800));
    assert_eq!(cfg.auth.jwt_issuer, "loaf");
    assert!(!cfg.storage.path_style());
    assert!(cfg.storage.endpoint.is_none());
}

#[test]
fn a_url_with_startup_options_is_refused() {
    let mut pairs: Vec<(&str, &str)> = GOOD[1..].to_vec();
    pairs.push((
        "DATABASE_URL",
        "postgres://loaf@h/loaf?options=-c%20statement_timeout%3D5000",
    ));
    let err = Config::read(&env(&pairs)).unwrap_err();
    assert_eq!(err.var, "DATABASE_URL");
    assert!(err.problem.contains("RDS Proxy"), "{err}");
}

#[test]
fn the_app_role_is_managed_only_when_named() {
    assert_eq!(AppRoleConfig::managed(&env(GOOD)).unwrap(), None);
    let role = AppRoleConfig::managed(&env(&[
        ("DB_APP_USER", "loaf_app"),
        ("DB_APP_PASSWORD", "s3cret"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(role.name, "loaf_app");
    assert_eq!(role.statement_timeout, Duration::from_secs(5));
    assert!(!format!("{role:?}").contains("s3cret"));
    for bad in ["Loaf", "loaf-app", "x; DROP ROLE loaf", "9lives"] {
        let err = AppRoleConfig::managed(&env(&[("DB_APP_USER", bad)])).unwrap_err();
        assert_eq!(err.var, "DB_APP_USER", "{bad}");
    }
    let err = AppRoleConfig::managed(&env(&[
        ("DB_APP_USER", "loaf_app"),
        ("DB_STATEMENT_TIMEOUT_MS", "10"),
    ]))
    .unwrap_err();
    assert_eq!(err.var, "DB_STATEMENT_TIMEOUT_MS");
}

#[test]
fn missing_variable_is_named() {
    let err = Config::read(&env(&GOOD[1..])).unwrap_err();
    assert_eq!(err.var, "DATABASE_URL");
    assert!(err.to_string().contains("DATABASE_URL is not set"), "{err}");
}

#[test]
fn malformed_variables_are_named() {
    let cases: &[(&str, &str)] = &[
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "postgres://u@h:notaport/db"),
        ("JWT_SECRET", "short"),
        ("DB_MAX_CONNECTIONS", "0"),
        ("DB_MAX_CONNECTIONS", "two"),
        ("ACCESS_TOKEN_TTL_SECS", "5"),
        ("S3_ENDPOINT", "localhost:9000"),
        ("S3_FORCE_PATH_STYLE", "maybe"),
        ("REFRESH_TOKEN_TTL_SECS", "60"),
        ("INVITATION_TTL_DAYS", "0"),
        ("EMAIL_FROM", "nobody"),
        ("FRONTEND_URL", "members.example.org"),
        ("DOCUMENT_TYPES", "pdf, exe"),
        ("DOCUMENT_MAX_MB", "0"),
    ];
    for (var, value) in cases {
        let mut pairs: Vec<(&str, &str)> = GOOD.iter().filter(|(k, _)| k != var).copied().collect();
        pairs.push((var, value));
        let err = Config::read(&env(&pairs)).unwrap_err();
        assert_eq!(&err.var, var, "{var}={value}: {err}");
    }
}

#[test]
fn half_a_key_pair_names_the_missing_half() {
    for (given, missing) in [
        ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"),
        ("S3_SECRET_ACCESS_KEY", "S3_ACCESS_KEY_ID"),
        ("PAYMENT_SECRET_KEY", "PAYMENT_WEBHOOK_SECRET"),
        ("PAYMENT_WEBHOOK_SECRET", "PAYMENT_SECRET_KEY"),
    ] {
        let mut pairs = GOOD.to_vec();
        pairs.push((given, "local"));
        let err = Config::read(&env(&pairs)).unwrap_err();
        assert_eq!(err.var, missing, "{given}");
        assert_eq!(err.problem, format!("is not set: {given} needs it"));
    }
}

#[test]
fn values_that_contradict_each_other_name_the_one_to_change() {
    let err = RemindersConfig::read(&env(&[
        ("VERIFICATION_REMINDER_DAYS", "30"),
        ("ABANDON_AFTER_DAYS", "30"),
    ]))
    .unwrap_err();
    assert_eq!(err.var, "ABANDON_AFTER_DAYS");
    let err = PaymentsConfig::read(&env(&[
        ("PAYMENT_MIN_CENTS", "500"),
        ("PAYMENT_MAX_CENTS", "499"),
    ]))
    .unwrap_err();
    assert_eq!(err.var, "PAYMENT_MAX_CENTS");
    assert!(!err.to_string().contains('\n'), "{err}");
}

#[test]
fn email_from_may_be_left_out_only_with_a_mail_dir() {
    let without: Vec<_> = GOOD
        .iter()
        .filter(|(k, _)| *k != "EMAIL_FROM")
        .copied()
        .collect();
    assert_eq!(Config::read(&env(&without)).unwrap_err().var, "EMAIL_FROM");
    let mut local = without.clone();
    local.push(("MAIL_DIR", "/tmp/mail"));
    let cfg = Config::read(&env(&local)).unwrap();
    assert!(cfg.email.from.contains('@'));
    assert_eq!(cfg.email.frontend_url, "http://localhost:5173");
}

#[test]
fn payments_are_off_without_keys_and_checked_with_them() {
    assert!(Config::read(&env(GOOD)).unwrap().payments.is_none());
    let keys = [
        ("PAYMENT_SECRET_KEY", "sk_test_123"),
        ("PAYMENT_WEBHOOK_SECRET", "whsec_123"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = GOOD.to_vec();
        pairs.extend_from_slice(extra);
        Config::read(&env(&pairs))
    };
    let on = with(&keys).unwrap().payments.unwrap();
    assert_eq!(on.api_url, "https://api.stripe.com");
    assert_eq!(
        (on.min_cents, on.max_cents),
        (50, DEFAULT_MAX_PAYMENT_CENTS)
    );
    assert!(!format!("{on:?}").contains("sk_test_123"));
    for bad in [
        ("PAYMENT_API_URL", "api.stripe.com"),
        ("PAYMENT_MIN_CENTS", "0"),
    ] {
        let mut pairs = keys.to_vec();
        pairs.push(bad);
        assert_eq!(with(&pairs).unwrap_err().var, bad.0);
    }
}

#[test]
fn endpoint_implies_path_style() {
    let mut pairs = GOOD.to_vec();
    pairs.push(("S3_ENDPOINT", "http://127.0.0.1:9000"));
    let cfg = Config::read(&env(&pairs)).unwrap();
    assert!(cfg.storage.path_style());
}

#[test]
fn secret_is_not_printed() {
    let cfg = Config::read(&env(GOOD)).unwrap();
    assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
}
