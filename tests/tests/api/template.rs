//! The SAM template routes path groups to functions with the same table the
//! local gateway uses: the two cannot drift apart.

use loaf::gateway::{owner, ROUTES};

const TEMPLATE: &str = include_str!("../../../template.yaml");

/// `(path, function resource)` for every HttpApi event of the template.
fn template_routes() -> Vec<(String, String)> {
    let mut resource = String::new();
    let mut routes = Vec::new();
    for line in TEMPLATE.lines() {
        // Resources sit at two spaces of indentation.
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !name.starts_with(' ') {
                resource = name.to_string();
            }
        }
        if let Some(rest) = line.split("Path: \"").nth(1) {
            let path = rest.split('"').next().unwrap().to_string();
            routes.push((path, resource.clone()));
        }
    }
    routes
}

#[test]
fn every_template_route_goes_where_the_local_gateway_sends_it() {
    let routes = template_routes();
    assert!(routes.len() >= ROUTES.len(), "{routes:?}");
    for (path, resource) in &routes {
        let concrete = path.replace("{proxy+}", "anything");
        let function = owner(&concrete).unwrap_or_else(|| panic!("{path}: no owner locally"));
        assert_eq!(resource, &format!("{function:?}Function"), "{path}");
    }
}

#[test]
fn every_local_path_group_is_routed_by_the_template() {
    let routes = template_routes();
    for (prefix, _) in ROUTES {
        let covered = routes
            .iter()
            .any(|(path, _)| path == prefix || path.strip_suffix("/{proxy+}") == Some(prefix));
        assert!(covered, "{prefix} is not routed in template.yaml");
    }
}

/// The text of resource `name` (its lines up to the next resource).
fn resource(name: &str) -> String {
    let mut lines = TEMPLATE.lines().skip_while(|l| *l != format!("  {name}:"));
    let first = lines.next().unwrap_or_else(|| panic!("no resource {name}"));
    std::iter::once(first)
        .chain(
            lines.take_while(|l| {
                !(l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
            }),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_function_gets_only_the_database_credentials_it_needs() {
    // Route functions and the jobs: the application role's secret (the
    // Globals' DB_SECRET_ARN); never the owner's.
    for function in [
        "AuthFunction",
        "MembersFunction",
        "EventsFunction",
        "DonationsFunction",
        "DocumentsFunction",
        "JobsFunction",
    ] {
        let text = resource(function);
        assert!(text.contains("!Ref AppDatabaseSecret"), "{function}");
        assert!(!text.contains("MasterUserSecret"), "{function}");
    }
    let globals = TEMPLATE.split("Globals:").nth(1).unwrap();
    assert!(globals.contains("DB_SECRET_ARN: !Ref AppDatabaseSecret"));
    assert!(globals.contains("DB_SSLMODE: verify-full"));
    // Migrate: the owner's secret, and the application role's to keep it.
    let migrate = resource("MigrateFunction");
    assert!(migrate.contains("DB_SECRET_ARN: !If [IsSmall, !GetAtt SmallDatabase.MasterUserSecret"));
    assert!(migrate.contains("DB_APP_SECRET_ARN: !Ref AppDatabaseSecret"));
    // The docs function reads no secret at all.
    assert!(!resource("DocsFunction").contains("secretsmanager"));
}

#[test]
fn a_first_deploy_has_no_traps() {
    // A sender must be given: no placeholder default.
    let sender = TEMPLATE
        .split("  EmailFromAddress:")
        .nth(1)
        .unwrap()
        .split("\n  OrganisationName:")
        .next()
        .unwrap();
    assert!(!sender.contains("Default:"), "{sender}");
    // The proxy gives up on a connection before the function does.
    let borrow: u32 = resource("DatabaseProxyTargets")
        .split("ConnectionBorrowTimeout: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a borrow timeout");
    assert!(borrow < 20, "{borrow} s");
    // Browsers may read how long a throttled sign-in must wait.
    assert!(resource("HttpApi").contains("ExposeHeaders: [retry-after]"));
    // Access logs name the route, never the path (invitation tokens).
    let api = resource("HttpApi");
    assert!(api.contains("$context.routeKey") && !api.contains("$context.path"));
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    assert!(!resource("AlarmTopic").contains("alias/aws/sns"));
    // The existing-VPC parameters are checked, and no second S3 endpoint.
    assert!(TEMPLATE.contains("Rules:"));
    assert!(resource("S3GatewayEndpoint").contains("Condition: CreateS3Endpoint"));
}
