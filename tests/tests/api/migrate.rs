use loaf_migrate::{Error, NewAdmin, SuperadminOutcome, MIGRATOR};
use loaf_tests::empty_database;
use sqlx::migrate::Migrator;
use sqlx::PgPool;

/// Every migration's version, in order.
fn all_versions() -> Vec<i64> {
    MIGRATOR.iter().map(|m| m.version).collect()
}

const INITIAL_SCHEMA: &str = include_str!("../../../migrations/0001_initial_schema.sql");

const SEED_TABLES: [&str; 16] = [
    "users",
    "events",
    "event_rsvps",
    "event_galleries",
    "subscription_plans",
    "subscriptions",
    "donations",
    "newsletter_archives",
    "financial_reports",
    "bylaws_documents",
    "permissions",
    "roles",
    "role_permissions",
    "storage_usage",
    "user_invitations",
    "import_jobs",
];
const SEED_ENUMS: [&str; 8] = [
    "userstatus",
    "userrole",
    "rsvpstatus",
    "subscriptionstatus",
    "donationtype",
    "donationstatus",
    "invitationstatus",
    "importjobstatus",
];

fn superadmin(email: &str) -> NewAdmin {
    NewAdmin {
        email: email.into(),
        password: "a long and unusual passphrase".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
    }
}

/// Everything about the schema and seed that a re-run must not change.
async fn fingerprint(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable \
           FROM information_schema.columns WHERE table_schema = 'public' \
         UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
         UNION ALL SELECT 'perm ' || code || ' ' || name || ' ' || module FROM permissions \
         UNION ALL SELECT 'role ' || code || ' ' || name || ' ' || is_system_role FROM roles \
         UNION ALL SELECT 'grant ' || r.code || ' ' || p.code FROM role_permissions rp \
             JOIN roles r ON r.id = rp.role_id JOIN permissions p ON p.id = rp.permission_id \
         UNION ALL SELECT 'migration ' || version || ' ' || success FROM _sqlx_migrations \
         UNION ALL SELECT 'storage ' || total_bytes_used || ' ' || max_bytes_allowed FROM storage_usage \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn fresh_database_passes_the_seed_guides_verification() {
    let (pool, _) = empty_database().await;
    let summary = loaf_migrate::run(&pool, &MIGRATOR, Some(&superadmin("ada@example.org")), None)
        .await
        .unwrap();
    assert!(!summary.baseline_adopted);
    assert_eq!(
        summary
            .applied
            .iter()
            .map(|a| a.version)
            .collect::<Vec<_>>(),
        all_versions()
    );
    assert_eq!(summary.superadmin, SuperadminOutcome::Created);
    let c = summary.counts;
    assert_eq!((c.users, c.permissions, c.roles, c.plans), (1, 59, 5, 0));

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for t in SEED_TABLES {
        assert!(tables.iter().any(|have| have == t), "missing table {t}");
    }
    let enums: Vec<String> =
        sqlx::query_scalar("SELECT typname::text FROM pg_type WHERE typcategory = 'E'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut sorted = enums.clone();
    sorted.sort();
    let mut expected = SEED_ENUMS.map(String::from).to_vec();
    expected.sort();
    assert_eq!(sorted, expected);
    let indexes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(indexes >= 30, "{indexes} indexes");
    let storage_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM storage_usage")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(storage_rows, 1, "the default storage_usage row");
    let modules: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT module) FROM permissions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(modules, 10);
    let (status, role, verified): (String, String, bool) = sqlx::query_as(
        "SELECT u.status::text, r.code, u.email_verified FROM users u JOIN roles r ON r.id = u.role_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), role.as_str(), verified),
        ("active", "superadmin", true)
    );
}

#[tokio::test]
async fn migrating_twice_changes_nothing_the_second_time() {
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    let before = fingerprint(&pool).await;
    let second = loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    assert!(second.applied.is_empty());
    assert_eq!(second.seed, loaf_migrate::SeedSummary::default());
    assert_eq!(fingerprint(&pool).await, before);
}

#[tokio::test]
async fn the_old_platforms_database_is_adopted_not_rebuilt() {
    let (pool, _) = empty_database().await;
    // What the old platform's 000_initial_schema.sql leaves: the schema,
    // some data, no migration record.
    sqlx::raw_sql(INITIAL_SCHEMA).execute(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role) \
         VALUES ('Old.Member@Example.org', 'legacy-hash', 'Old', 'Member', 'active', 'member')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO donations (amount_cents, status, payment_method, notes) VALUES \
         (100, 'completed', 'Stripe', NULL), (200, 'completed', 'check', NULL), \
         (300, 'completed', 'paypal', 'from the fair'), (400, 'completed', NULL, NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let summary = loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    assert!(summary.baseline_adopted);
    assert_eq!(
        summary
            .applied
            .iter()
            .map(|a| a.version)
            .collect::<Vec<_>>(),
        all_versions()[1..],
        "the baseline is recorded, every later migration applied"
    );
    assert_eq!(
        summary.seed.users_linked_to_roles, 1,
        "legacy role mapped to a dynamic role"
    );
    let (email, role): (String, String) =
        sqlx::query_as("SELECT u.email, r.code FROM users u JOIN roles r ON r.id = u.role_id")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (email.as_str(), role.as_str()),
        ("Old.Member@Example.org", "member")
    );

    // Its payment methods are brought into the known set; one with no
    // known meaning is kept in the notes.
    let methods: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT payment_method, notes FROM donations ORDER BY amount_cents")
            .fetch_all(&pool)
            .await
            .unwrap();
    let note = |n: &str| Some(n.to_string());
    assert_eq!(
        methods,
        [
            (note("online"), None),
            (note("cheque"), None),
            (
                None,
                note("from the fair\nPayment method on the old platform: paypal")
            ),
            (None, None),
        ]
    );

    let again = loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    assert!(!again.baseline_adopted);
    assert!(again.applied.is_empty());
}

#[tokio::test]
async fn a_partial_old_schema_is_refused_with_what_is_missing() {
    let (pool, _) = empty_database().await;
    sqlx::raw_sql(INITIAL_SCHEMA).execute(&pool).await.unwrap();
    sqlx::raw_sql("DROP TABLE import_jobs; DROP TYPE importjobstatus;")
        .execute(&pool)
        .await
        .unwrap();
    match loaf_migrate::run(&pool, &MIGRATOR, None, None).await {
        Err(Error::Legacy(message)) => {
            assert!(message.contains("import_jobs"), "{message}");
            assert!(message.contains("importjobstatus"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let recorded: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!recorded, "nothing recorded for a refused database");
}

#[tokio::test]
async fn a_failing_migration_is_rolled_back_and_named() {
    let dir = std::env::temp_dir().join(format!("loaf-broken-migrations-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        dir.join("9000_broken_step.sql"),
        "CREATE TABLE half_done (id INT);\nSELECT * FROM no_such_table;\n",
    )
    .unwrap();
    let broken = Migrator::new(dir.as_path()).await.unwrap();
    let (pool, _) = empty_database().await;

    match loaf_migrate::run(&pool, &broken, None, None).await {
        Err(Error::Migration {
            version,
            description,
            cause,
        }) => {
            assert_eq!(version, 9000);
            assert_eq!(description, "broken step");
            assert!(cause.contains("no_such_table"), "{cause}");
        }
        other => panic!("expected the migration to fail, got {other:?}"),
    }
    let half_done: bool = sqlx::query_scalar("SELECT to_regclass('half_done') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !half_done,
        "the failed migration's first statement was rolled back"
    );
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(versions, all_versions(), "earlier migrations stay applied");
    // The lock was released: the real migrator runs straight after.
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_database_ahead_of_this_build_is_refused() {
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99999, 'from the future', TRUE, '\\x00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert!(matches!(
        loaf_migrate::run(&pool, &MIGRATOR, None, None).await,
        Err(Error::UnknownApplied(99999))
    ));
}

#[tokio::test]
async fn reseeding_keeps_what_an_admin_changed() {
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    // An admin takes a permission away from members, renames a system role
    // and creates a role of their own.
    sqlx::raw_sql(
        "DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE code = 'member') \
           AND permission_id = (SELECT id FROM permissions WHERE code = 'financials.view'); \
         UPDATE roles SET name = 'Membre' WHERE code = 'member'; \
         INSERT INTO roles (code, name) VALUES ('host', 'Event host'); \
         INSERT INTO role_permissions (role_id, permission_id) \
           SELECT r.id, p.id FROM roles r, permissions p WHERE r.code = 'host' AND p.code = 'events.create';",
    )
    .execute(&pool)
    .await
    .unwrap();
    let before = fingerprint(&pool).await;

    let summary = loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    assert_eq!(summary.seed, loaf_migrate::SeedSummary::default());
    assert_eq!(fingerprint(&pool).await, before);
    assert_eq!(summary.counts.roles, 6);
}

#[tokio::test]
async fn a_new_permission_reaches_the_roles_that_should_hold_it() {
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    // As if the previous release did not have `events.rsvp` yet.
    sqlx::query("DELETE FROM permissions WHERE code = 'events.rsvp'")
        .execute(&pool)
        .await
        .unwrap();

    let summary = loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    assert_eq!(summary.seed.permissions_added, 1);
    let holders: Vec<String> = sqlx::query_scalar(
        "SELECT r.code FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
         JOIN permissions p ON p.id = rp.permission_id WHERE p.code = 'events.rsvp' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(holders, ["admin", "finance", "member", "superadmin"]);
}

#[tokio::test]
async fn bootstrap_creates_one_superadmin_only() {
    let (pool, _) = empty_database().await;
    let first = loaf_migrate::run(
        &pool,
        &MIGRATOR,
        Some(&superadmin("first@example.org")),
        None,
    )
    .await
    .unwrap();
    assert_eq!(first.superadmin, SuperadminOutcome::Created);
    let second = loaf_migrate::run(
        &pool,
        &MIGRATOR,
        Some(&superadmin("second@example.org")),
        None,
    )
    .await
    .unwrap();
    assert_eq!(second.superadmin, SuperadminOutcome::AlreadyPresent);
    assert_eq!(second.counts.users, 1);
}

#[tokio::test]
async fn create_superadmin_refuses_bad_input_and_existing_accounts() {
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let create = loaf_migrate::admin::create_superadmin;

    let mut weak = superadmin("weak@example.org");
    weak.password = "password123".into();
    let mut bad_email = superadmin("not-an-email");
    bad_email.email = "not-an-email".into();
    for (admin, field) in [(weak, "password"), (bad_email, "email")] {
        let err = create(&mut conn, &admin).await.unwrap_err();
        assert!(err.to_string().starts_with(field), "{err}");
    }

    create(&mut conn, &superadmin("ada@example.org"))
        .await
        .unwrap();
    let err = create(&mut conn, &superadmin("ADA@example.org"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn concurrent_runs_take_turns() {
    let (pool, _) = empty_database().await;
    let (a, b) = tokio::join!(
        loaf_migrate::run(&pool, &MIGRATOR, None, None),
        loaf_migrate::run(&pool, &MIGRATOR, None, None)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut applied = [a.applied.len(), b.applied.len()];
    applied.sort();
    assert_eq!(
        applied,
        [0, all_versions().len()],
        "one run applied everything, the other nothing"
    );
    assert_eq!(a.seed.permissions_added + b.seed.permissions_added, 59);
}

/// A connection as `role` with `password`, straight to the test server
/// (which checks passwords of every role but the owner and `loaf_app`).
async fn connect_as(
    db_url: &str,
    role: &str,
    password: &str,
) -> Result<sqlx::PgConnection, sqlx::Error> {
    use sqlx::Connection;
    let server: sqlx::postgres::PgConnectOptions = loaf_tests::server_url().await.parse().unwrap();
    let db: sqlx::postgres::PgConnectOptions = db_url.parse().unwrap();
    let options = server
        .database(db.get_database().unwrap())
        .username(role)
        .password(password)
        .extra_float_digits(None);
    sqlx::PgConnection::connect_with(&options).await
}

#[tokio::test]
async fn migrate_keeps_the_application_role_its_grants_password_and_limit() {
    let (pool, url) = empty_database().await;
    let name = format!("app_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let role = |password: &str| loaf_core::config::AppRoleConfig {
        name: name.clone(),
        password: Some(password.into()),
        statement_timeout: std::time::Duration::from_millis(2500),
    };

    let summary = loaf_migrate::run(&pool, &MIGRATOR, None, Some(&role("first secret")))
        .await
        .unwrap();
    assert_eq!(summary.app_role.as_deref(), Some(name.as_str()));
    let mut conn = connect_as(&url, &name, "first secret").await.unwrap();
    let limit: String = sqlx::query_scalar("SELECT current_setting('statement_timeout')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(limit, "2500ms");
    sqlx::query("INSERT INTO subscription_plans (name, price_cents) VALUES ('Basic', 1000)")
        .execute(&mut conn)
        .await
        .expect("the role writes data");
    let refused = sqlx::query("CREATE TABLE mine (id int)")
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(
        refused
            .as_database_error()
            .and_then(|e| e.code())
            .as_deref(),
        Some("42501")
    );
    // The password travels as a SCRAM verifier, never in clear.
    let stored: String = sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
        .bind(&name)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");

    // The next run (a deploy after the secret rotated) sets the new one.
    loaf_migrate::run(&pool, &MIGRATOR, None, Some(&role("second secret")))
        .await
        .unwrap();
    assert!(connect_as(&url, &name, "first secret").await.is_err());
    connect_as(&url, &name, "second secret").await.unwrap();
}

/// Values of the CHECK constraint `name` (`... IN ('a', 'b')`), in order.
async fn checked_values(pool: &PgPool, name: &str) -> Vec<String> {
    let definition: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap();
    definition
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

async fn enum_labels(pool: &PgPool, type_name: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT e.enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
         WHERE t.typname = $1 ORDER BY e.enumsortorder",
    )
    .bind(type_name)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_string()).collect()
}

#[tokio::test]
async fn the_rust_enums_name_what_the_database_holds() {
    use loaf_domain::domain::UserStatus;
    use loaf_domain::enums::*;
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    let pairs = [
        ("userstatus", names(&UserStatus::ALL, UserStatus::as_str)),
        (
            "subscriptionstatus",
            names(SubscriptionStatus::ALL, SubscriptionStatus::as_str),
        ),
        (
            "donationstatus",
            names(DonationStatus::ALL, DonationStatus::as_str),
        ),
        (
            "donationtype",
            names(DonationType::ALL, DonationType::as_str),
        ),
        (
            "invitationstatus",
            names(InvitationStatus::ALL, InvitationStatus::as_str),
        ),
        ("rsvpstatus", names(RsvpStatus::ALL, RsvpStatus::as_str)),
        (
            "importjobstatus",
            names(ImportJobStatus::ALL, ImportJobStatus::as_str),
        ),
    ];
    for (type_name, rust) in pairs {
        assert_eq!(enum_labels(&pool, type_name).await, rust, "{type_name}");
    }
    let checks = [
        (
            "membership_checkouts_status_check",
            names(CheckoutStatus::ALL, CheckoutStatus::as_str),
        ),
        (
            "subscription_plans_billing_cycle_check",
            names(BillingCycle::ALL, BillingCycle::as_str),
        ),
        (
            "events_visibility_check",
            names(Visibility::ALL, Visibility::as_str),
        ),
    ];
    for (constraint, rust) in checks {
        assert_eq!(
            checked_values(&pool, constraint).await,
            rust,
            "{constraint}"
        );
    }
    // A membership is not paid in kind, and a gift is neither complimentary
    // nor imported (an import carries memberships); every other method is
    // allowed to both.
    let mut membership = names(PaymentMethod::ALL, PaymentMethod::as_str);
    membership.retain(|m| m != PaymentMethod::InKind.as_str());
    assert_eq!(
        checked_values(&pool, "subscriptions_payment_method_check").await,
        membership
    );
    let mut gifts = names(PaymentMethod::ALL, PaymentMethod::as_str);
    gifts.retain(|m| {
        m != PaymentMethod::Complimentary.as_str() && m != PaymentMethod::Imported.as_str()
    });
    assert_eq!(
        checked_values(&pool, "donations_payment_method_check").await,
        gifts
    );
}
