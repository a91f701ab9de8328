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
