//! Roles and permissions: the catalogue by module, custom roles and their
//! sets, giving members a role, and the rules against escalation.

use http::StatusCode;
use loaf_tests::{spawn_app, TestApp, TestUser};
use serde_json::json;

async fn role_id(app: &TestApp, code: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM roles WHERE code = $1")
        .bind(code)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn superadmin(app: &TestApp) -> (TestUser, String) {
    let user = app.user_with_role("superadmin").await;
    let token = app.token_for(&user).await;
    (user, token)
}

#[tokio::test]
async fn the_catalogue_is_grouped_by_module() {
    let app = spawn_app().await;
    let (_, token) = superadmin(&app).await;
    let reply = app.with_token(&token).roles().catalogue().await;
    assert_eq!(reply.status, StatusCode::OK);
    let modules = reply.body.as_array().unwrap();
    assert_eq!(modules.len(), 10);
    let total: usize = modules
        .iter()
        .map(|m| m["permissions"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 59);
    let users = modules.iter().find(|m| m["module"] == "users").unwrap();
    assert!(users["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "users.approve" && p["name"] == "Validate applicants"));

    let roles = app.with_token(&token).roles().list().await;
    let codes: Vec<&str> = roles
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 5);
    let superadmin = roles
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "superadmin")
        .unwrap();
    assert_eq!(superadmin["permissions"].as_array().unwrap().len(), 59);
    assert_eq!(superadmin["is_system_role"], true);
}

#[tokio::test]
async fn a_superadmin_shapes_a_custom_role_and_its_holders_feel_it_at_once() {
    let app = spawn_app().await;
    let (_, token) = superadmin(&app).await;
    let created = app.with_token(&token).roles().create(json!({"code": "events_team", "name": "Events team", "permissions": ["events.view", "events.create"]}))
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(
        created.body["permissions"],
        json!(["events.create", "events.view"])
    );
    assert_eq!(created.body["is_system_role"], false);
    let id: uuid::Uuid = created.body["id"].as_str().unwrap().parse().unwrap();

    let duplicate = app
        .with_token(&token)
        .roles()
        .create(json!({"code": "events_team", "name": "Again"}))
        .await;
    assert_eq!(
        duplicate.status,
        StatusCode::CONFLICT,
        "{:?}",
        duplicate.body
    );

    let renamed = app
        .with_token(&token)
        .roles()
        .update(id, json!({"name": "Events crew"}))
        .await;
    assert_eq!(renamed.body["name"], "Events crew");

    // A holder gains users.view as soon as the role gets it.
    let holder = app.user_with_role("member").await;
    let assigned = app
        .with_token(&token)
        .members()
        .set_role(holder.id, id)
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{:?}", assigned.body);
    assert_eq!(assigned.body["role_code"], "events_team");
    let legacy: String = sqlx::query_scalar("SELECT role::text FROM users WHERE id = $1")
        .bind(holder.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        legacy, "member",
        "a custom role keeps the legacy column at member"
    );
    let holder_token = app.token_for(&holder).await;
    assert_eq!(
        app.with_token(&holder_token)
            .members()
            .list("")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let set = app
        .with_token(&token)
        .roles()
        .set_permissions(id, json!({"codes": ["events.view", "users.view"]}))
        .await;
    assert_eq!(
        set.body["permissions"],
        json!(["events.view", "users.view"])
    );
    assert_eq!(
        app.with_token(&holder_token)
            .members()
            .list("")
            .await
            .status,
        StatusCode::OK
    );

    // Held, it cannot be deleted; once nobody holds it, it can.
    let refused = app.with_token(&token).roles().delete(id).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let member_role = role_id(&app, "member").await;
    app.with_token(&token)
        .members()
        .set_role(holder.id, member_role)
        .await;
    let deleted = app.with_token(&token).roles().delete(id).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let trail = app.with_token(&token).members().audit(holder.id).await;
    let moves: Vec<(&str, &str)> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from_value"].as_str().unwrap(),
                e["to_value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [("events_team", "member"), ("member", "events_team")]
    );
}

#[tokio::test]
async fn system_roles_keep_their_shape() {
    let app = spawn_app().await;
    let (_, token) = superadmin(&app).await;
    let admin = role_id(&app, "admin").await;
    let superadmin_role = role_id(&app, "superadmin").await;
    let reply = app.with_token(&token).roles().delete(admin).await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::CONFLICT, "system_role")
    );
    let reply = app
        .with_token(&token)
        .roles()
        .update(admin, json!({"name": "Boss"}))
        .await;
    assert_eq!(reply.error_code(), "system_role");
    let reply = app
        .with_token(&token)
        .roles()
        .set_permissions(superadmin_role, json!({"codes": ["users.view"]}))
        .await;
    assert_eq!(reply.error_code(), "system_role");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM role_permissions WHERE role_id = $1")
        .bind(superadmin_role)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(kept, 59);
}

#[tokio::test]
async fn bad_role_requests_are_clear_errors() {
    let app = spawn_app().await;
    let (user, token) = superadmin(&app).await;
    for (body, field) in [
        (json!({"code": "Bad Code", "name": "X"}), "code"),
        (json!({"code": "x", "name": "X"}), "code"),
        (json!({"code": "ok_code", "name": ""}), "name"),
        (
            json!({"code": "ok_code", "name": "X", "permissions": ["users.view", "users.fly"]}),
            "permissions[1]",
        ),
        (
            json!({"code": "ok_code", "name": "X", "colour": "red"}),
            "colour",
        ),
    ] {
        let reply = app.with_token(&token).roles().create(body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["error"]["field"], field,
            "{body}: {:?}",
            reply.body
        );
    }
    let roles: i64 = sqlx::query_scalar("SELECT count(*) FROM roles")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(roles, 5, "nothing was created");

    let reply = app
        .with_token(&token)
        .members()
        .set_role(user.id, uuid::Uuid::new_v4())
        .await;
    assert_eq!(reply.body["error"]["field"], "role_id");
    let missing = app
        .with_token(&token)
        .roles()
        .show(uuid::Uuid::new_v4())
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nobody_grants_what_they_do_not_hold() {
    let app = spawn_app().await;
    let (_, boss) = superadmin(&app).await;
    // A role manager who may edit roles and assign them, and see members,
    // but holds nothing else.
    let created = app.with_token(&boss).roles().create(json!({"code": "role_manager", "name": "Role manager",
            "permissions": ["permissions.view", "permissions.edit", "permissions.assign", "users.view"]}))
    .await;
    let manager_role: uuid::Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    let manager = app.user_with_role("member").await;
    app.with_token(&boss)
        .members()
        .set_role(manager.id, manager_role)
        .await;
    let token = app.token_for(&manager).await;

    // Adding users.delete to its own role: refused, nothing changed.
    let reply = app.with_token(&token).roles().set_permissions(manager_role, json!({"codes": ["permissions.view", "permissions.edit", "permissions.assign", "users.view", "users.delete"]}))
    .await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::FORBIDDEN, "cannot_grant")
    );
    // Giving itself, or anyone, a role that holds more: refused.
    for code in ["admin", "superadmin", "finance"] {
        let role = role_id(&app, code).await;
        let reply = app
            .with_token(&token)
            .members()
            .set_role(manager.id, role)
            .await;
        assert_eq!(reply.error_code(), "cannot_grant", "{code}");
    }
    // Removing a permission it does not hold from another role is fine:
    // only additions need holding.
    let member_role = role_id(&app, "member").await;
    let reply = app
        .with_token(&token)
        .roles()
        .set_permissions(
            member_role,
            json!({"codes": ["users.directory", "events.view", "events.rsvp"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    // Creating roles needs permissions.create, which it lacks.
    let reply = app
        .with_token(&token)
        .roles()
        .create(json!({"code": "sneaky", "name": "Sneaky"}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // An admin holds permissions.assign but not permissions.create: it
    // cannot make anyone superadmin, itself included.
    let admin = app.user_with_role("admin").await;
    let admin_token = app.token_for(&admin).await;
    let reply = app
        .with_token(&admin_token)
        .members()
        .set_role(admin.id, role_id(&app, "superadmin").await)
        .await;
    assert_eq!(reply.error_code(), "cannot_grant");
    let role: String = sqlx::query_scalar("SELECT role::text FROM users WHERE id = $1")
        .bind(admin.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(role, "admin");
}
