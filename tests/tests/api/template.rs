//! The SAM template routes path groups to functions with the same table the
//! local gateway uses: the two cannot drift apart.

use loaf::gateway::{owner, ROUTES};

const TEMPLATE: &str = include_str!("../../../template.yaml");

/// `(path, function resource)` for every route of the template's HTTP API.
fn template_routes() -> Vec<(String, String)> {
    TEMPLATE
        .lines()
        .filter(|line| line.contains("Type: AWS::ApiGatewayV2::Route"))
        .map(|line| {
            let key = line.split("RouteKey: \"").nth(1).unwrap();
            let path = key.split('"').next().unwrap().split(' ').nth(1).unwrap();
            let target = line.split("integrations/${").nth(1).unwrap();
            let function = target.split("Integration}").next().unwrap();
            (path.to_string(), format!("{function}Function"))
        })
        .collect()
}

#[test]
fn each_integration_calls_its_own_function_with_permission() {
    for (_, function) in template_routes() {
        let name = function.strip_suffix("Function").unwrap();
        assert!(
            resource(&format!("{name}Integration"))
                .contains(&format!("IntegrationUri: !GetAtt {function}.Arn")),
            "{name}"
        );
        assert!(
            resource(&format!("{name}Invoke")).contains(&format!("FunctionName: !Ref {function}")),
            "{name}"
        );
    }
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

/// The text of resource `name` (its lines up to the next line at the
/// resources' indentation).
fn resource(name: &str) -> String {
    let (block, flow) = (format!("  {name}:"), format!("  {name}: {{"));
    let mut lines = TEMPLATE
        .lines()
        .skip_while(|l| *l != block && !l.starts_with(&flow));
    let first = lines.next().unwrap_or_else(|| panic!("no resource {name}"));
    std::iter::once(first)
        .chain(lines.take_while(|l| !l.starts_with("  ") || l.starts_with("   ")))
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
    // Access logs name the route, never the path (invitation tokens).
    let api = resource("HttpApiStage");
    assert!(api.contains("$context.routeKey") && !api.contains("$context.path"));
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    assert!(!resource("AlarmTopic").contains("alias/aws/sns"));
    // The existing-VPC parameters are checked, and no second S3 endpoint.
    assert!(TEMPLATE.contains("Rules:"));
    assert!(resource("S3GatewayEndpoint").contains("Condition: CreateS3Endpoint"));
}

#[test]
fn the_web_app_and_the_api_share_one_origin() {
    // Email links open the distribution's pages, without a parameter.
    let globals = TEMPLATE.split("Globals:").nth(1).unwrap();
    assert!(globals.contains("FRONTEND_URL: !Sub \"https://${WebDistribution.DomainName}\""));
    // /api/* goes to the HTTP API, never cached, every viewer header but
    // Host (and, with caching off, Authorization) forwarded.
    let distribution = resource("WebDistribution");
    let api = distribution
        .split("PathPattern: /api/*")
        .nth(1)
        .expect("an /api/* behaviour");
    assert!(api.contains("TargetOriginId: api"));
    assert!(api.contains("4135ea2d-6df8-44a3-9df3-4b5a84be39ad # Managed-CachingDisabled"));
    assert!(
        api.contains("b689b0a8-53d0-40ab-baf2-68738e2966ac # Managed-AllViewerExceptHostHeader")
    );
    assert!(api.contains("[GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE]"));
    // Pages: the private bucket through origin access control, unknown
    // paths answered with the app.
    assert!(distribution.contains("OriginAccessControlId: !GetAtt WebOriginAccess.Id"));
    assert!(distribution.contains("FunctionARN: !GetAtt WebPageRewrite.FunctionARN"));
    assert!(resource("WebPageRewrite").contains("request.uri = '/index.html'"));
    assert!(resource("WebBucket").contains("RestrictPublicBuckets: true"));
}

#[test]
fn pages_in_aws_get_the_headers_loaf_serve_sends() {
    let headers = resource("WebSecurityHeaders");
    let policy =
        loaf::web::content_security_policy("https://${DocumentsBucket.RegionalDomainName}");
    assert!(
        headers.contains(&format!("ContentSecurityPolicy: !Sub \"{policy}\"")),
        "the template's CSP differs from loaf serve's: {policy}"
    );
    assert!(headers.contains("StrictTransportSecurity: {Override: true"));
    assert!(headers.contains("FrameOption: DENY"));
    assert!(headers.contains("ContentTypeOptions: {Override: true}"));
    assert!(headers.contains("ReferrerPolicy: strict-origin-when-cross-origin"));
    // Hashed assets a year, everything else revalidated: the publisher
    // sets it, the cache policy follows it.
    let publisher = resource("WebPublisher");
    assert!(publisher.contains("IMMUTABLE = \"public, max-age=31536000, immutable\""));
    assert!(publisher.contains("REVALIDATE = \"no-cache\""));
    let cache = resource("WebCachePolicy");
    assert!(cache.contains("DefaultTTL: 0") && cache.contains("MaxTTL: 31536000"));
}

#[test]
fn limits_count_the_viewer_behind_the_distribution() {
    use loaf_http::extract::{EDGE_TOKEN_HEADER, VIEWER_ADDRESS_HEADER};
    // The distribution writes the viewer's address on every /api/* request
    // and adds the token the functions are given; both under the names
    // the extractor reads.
    let token = "!Select [2, !Split [\"/\", !Ref AWS::StackId]]";
    let globals = TEMPLATE.split("Globals:").nth(1).unwrap();
    assert!(globals.contains(&format!("EDGE_TOKEN: {token}")));
    let distribution = resource("WebDistribution");
    assert!(distribution.contains(&format!(
        "HeaderName: {EDGE_TOKEN_HEADER}, HeaderValue: {token}"
    )));
    let api = distribution.split("PathPattern: /api/*").nth(1).unwrap();
    assert!(api.contains("FunctionARN: !GetAtt ApiViewerAddress.FunctionARN"));
    assert!(resource("ApiViewerAddress").contains(&format!(
        "event.request.headers['{VIEWER_ADDRESS_HEADER}'] = {{ value: event.viewer.ip }}"
    )));
}
