//! The OpenAPI document, generated from the handlers' signatures so it
//! cannot drift from them: each extractor says what it reads (body, query,
//! path, sign-in, permission) and each answer type what it returns. Routes
//! are registered through `aide`'s `ApiRouter`, which asks these impls; the
//! docs function merges every function's routes and [`finish`]es the result.

use crate::auth::session_cookie::{SessionMode, WithCookie, MODE_HEADER};
use crate::auth::{AuthUser, OptionalUser, Require};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddress, Json, OptionalJson, Path, Query, RawBody};
use crate::pagination::{PageParams, DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::reply::{Accepted, Created, NoContent};
use aide::generate::GenContext;
use aide::openapi::{
    Components, Info, MediaType, OpenApi, Operation, Parameter, ParameterData,
    ParameterSchemaOrContent, PathStyle, QueryStyle, ReferenceOr, RequestBody, Response,
    SchemaObject, SecurityRequirement, SecurityScheme,
};
use aide::operation::{add_parameters, parameters_from_schema, set_body, ParamLocation};
use aide::transform::TransformOperation;
use aide::{OperationInput, OperationOutput};
use indexmap::IndexMap;
use loaf_domain::permissions::Permission;
use schemars::{json_schema, JsonSchema, Schema};
use serde_json::Value;

/// The security scheme every signed-in route names: the access token from
/// `POST /api/auth/login`, as `Authorization: Bearer …`.
const BEARER: &str = "bearer";

/// A path parameter whose name the extractor cannot know (`Path<Uuid>`);
/// [`finish`] renames it after the route's template.
const UNNAMED_PATH: &str = "{unnamed}";

fn schema_object(json_schema: Schema) -> SchemaObject {
    SchemaObject {
        json_schema,
        example: None,
        external_docs: None,
    }
}

/// A body (asked or answered) of `media_type` with `schema`.
fn content(media_type: &str, schema: Schema) -> IndexMap<String, MediaType> {
    IndexMap::from_iter([(
        media_type.to_string(),
        MediaType {
            schema: Some(schema_object(schema)),
            ..Default::default()
        },
    )])
}

/// A parameter's common part, whatever its location.
fn parameter_data(
    name: &str,
    description: Option<&str>,
    required: bool,
    schema: Schema,
) -> ParameterData {
    ParameterData {
        name: name.into(),
        description: description.map(str::to_string),
        required,
        format: ParameterSchemaOrContent::Schema(schema_object(schema)),
        extensions: IndexMap::new(),
        deprecated: None,
        example: None,
        examples: IndexMap::new(),
        explode: None,
    }
}

/// A JSON answer with `schema`.
fn json_response(schema: Schema, description: &str) -> Response {
    Response {
        description: description.to_string(),
        content: content("application/json", schema),
        ..Default::default()
    }
}

/// A body of another media type: CSV, calendar files, HTML.
pub fn text_response(media_type: &str, description: &str) -> Response {
    Response {
        description: description.to_string(),
        content: content(media_type, json_schema!({"type": "string"})),
        ..Default::default()
    }
}

/// The error shape every failure answers with.
fn error_response(ctx: &mut GenContext, description: &str) -> Response {
    json_response(ctx.schema.subschema_for::<ErrorBody>(), description)
}

fn errors(ctx: &mut GenContext, list: &[(u16, &str)]) -> Vec<(Option<u16>, Response)> {
    list.iter()
        .map(|(status, description)| (Some(*status), error_response(ctx, description)))
        .collect()
}

fn require_security(operation: &mut Operation, alternatives: Vec<SecurityRequirement>) {
    for requirement in alternatives {
        if !operation.security.contains(&requirement) {
            operation.security.push(requirement);
        }
    }
}

fn bearer() -> SecurityRequirement {
    IndexMap::from_iter([(BEARER.to_string(), Vec::new())])
}

impl<T: JsonSchema> OperationInput for Json<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        set_body(
            ctx,
            operation,
            RequestBody {
                content: content("application/json", schema),
                required: true,
                ..Default::default()
            },
        );
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        errors(
            ctx,
            &[
                (400, "Not a JSON body, or broken JSON."),
                (413, "The body is over 1 MiB."),
                (422, "A field is missing or wrong; `field` names it."),
            ],
        )
    }
}

impl<T: JsonSchema> OperationInput for OptionalJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Json::<T>::operation_input(ctx, operation);
        if let Some(ReferenceOr::Item(body)) = operation.request_body.as_mut() {
            body.required = false;
        }
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Json::<T>::inferred_early_responses(ctx, operation)
    }
}

impl<T: JsonSchema> OperationOutput for Json<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, _operation: &mut Operation) -> Option<Response> {
        Some(json_response(ctx.schema.subschema_for::<T>(), "OK"))
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|r| vec![(Some(200), r)])
            .unwrap_or_default()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn inferred_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(201),
            json_response(ctx.schema.subschema_for::<T>(), "Created"),
        )]
    }
}

impl<T: JsonSchema> OperationOutput for Accepted<T> {
    type Inner = T;

    fn inferred_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(202),
            json_response(ctx.schema.subschema_for::<T>(), "Accepted"),
        )]
    }
}

impl OperationOutput for NoContent {
    type Inner = ();

    fn inferred_responses(
        _ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        vec![(
            Some(204),
            Response {
                description: "Done; no body.".into(),
                ..Default::default()
            },
        )]
    }
}

/// What any handler may answer besides its success: the statuses the
/// handlers' own checks produce. Sign-in and permission errors come from
/// the extractors, body errors from [`Json`].
impl OperationOutput for ApiError {
    type Inner = ();

    fn inferred_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        errors(
            ctx,
            &[
                (400, "The request cannot be read."),
                (404, "No such resource, or not one the caller may see."),
                (409, "The request conflicts with the current state."),
                (422, "A value is invalid; `field` names it."),
                (
                    503,
                    "A dependency (database, storage, provider) is unavailable; retry.",
                ),
            ],
        )
    }
}

impl<T: JsonSchema> OperationInput for Query<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        let params = parameters_from_schema(ctx, schema, ParamLocation::Query);
        add_parameters(ctx, operation, params);
    }
}

fn query_parameter(name: &str, description: &str, schema: Schema) -> Parameter {
    Parameter::Query {
        parameter_data: parameter_data(name, Some(description), false, schema),
        allow_reserved: false,
        style: QueryStyle::Form,
        allow_empty_value: None,
    }
}

impl OperationInput for PageParams {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let params = [
            query_parameter(
                "page",
                "Page number, from 1.",
                json_schema!({"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
            ),
            query_parameter(
                "per_page",
                "Items per page.",
                json_schema!({
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PER_PAGE,
                    "default": DEFAULT_PER_PAGE,
                }),
            ),
        ];
        add_parameters(ctx, operation, params);
    }
}

fn path_parameter(name: &str, schema: Schema) -> Parameter {
    Parameter::Path {
        parameter_data: parameter_data(name, None, true, schema),
        style: PathStyle::Simple,
    }
}

impl<T: JsonSchema> OperationInput for Path<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        if ctx.resolve_schema(&schema).get("properties").is_some() {
            let params = parameters_from_schema(ctx, schema, ParamLocation::Path);
            add_parameters(ctx, operation, params);
            return;
        }
        add_parameters(ctx, operation, [path_parameter(UNNAMED_PATH, schema)]);
    }
}

impl OperationInput for ClientAddress {}

impl OperationInput for SessionMode {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        operation
            .parameters
            .push(ReferenceOr::Item(Parameter::Header {
                parameter_data: parameter_data(
                    MODE_HEADER,
                    Some(
                        "`cookie` (the web app): the refresh token travels in an HttpOnly cookie \
                     scoped to /api/auth instead of the body, and refresh and logout read it \
                     from there.",
                    ),
                    false,
                    json_schema!({"type": "string", "enum": ["cookie"]}),
                ),
                style: aide::openapi::HeaderStyle::Simple,
            }));
    }
}

impl<R: OperationOutput> OperationOutput for WithCookie<R> {
    type Inner = R::Inner;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        R::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        R::inferred_responses(ctx, operation)
    }
}

impl OperationInput for RawBody {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        set_body(
            ctx,
            operation,
            RequestBody {
                description: Some("Read as sent: a signature covers its exact bytes.".into()),
                content: content("application/json", json_schema!({"type": "object"})),
                required: true,
                ..Default::default()
            },
        );
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        errors(ctx, &[(413, "The body is over 1 MiB.")])
    }
}

impl OperationInput for AuthUser {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        require_security(operation, vec![bearer()]);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        errors(
            ctx,
            &[
                (401, "No access token, or one that is invalid or expired."),
                (403, "What was asked needs a permission the caller lacks."),
            ],
        )
    }
}

impl OperationInput for OptionalUser {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        // Either anonymous (the empty requirement) or signed in.
        require_security(operation, vec![IndexMap::new(), bearer()]);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        errors(
            ctx,
            &[
                (401, "An access token was sent but is invalid or expired."),
                (403, "What was asked needs a permission the caller lacks."),
            ],
        )
    }
}

impl<P: Permission> OperationInput for Require<P> {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        require_security(operation, vec![bearer()]);
        let needs = format!("Requires the permission `{}`.", P::CODE);
        operation.description = Some(match operation.description.take() {
            Some(text) => format!("{text}\n\n{needs}"),
            None => needs,
        });
        operation
            .extensions
            .insert("x-permission".into(), Value::from(P::CODE));
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        errors(
            ctx,
            &[
                (401, "No access token, or one that is invalid or expired."),
                (403, "Signed in without the permission this route requires."),
            ],
        )
    }
}

/// A route's one-line summary, for `get_with(handler, summary("…"))`.
pub fn summary(
    text: &'static str,
) -> impl for<'t> FnOnce(TransformOperation<'t>) -> TransformOperation<'t> {
    move |op| op.summary(text)
}

/// A summary and the errors particular to one route (a 410 for a used
/// link, a 429 for throttled sign-ins), besides those every route has.
pub fn summary_and_errors(
    text: &'static str,
    list: &'static [(u16, &'static str)],
) -> impl for<'t> FnOnce(TransformOperation<'t>) -> TransformOperation<'t> {
    move |mut op| {
        let responses = op
            .inner_mut()
            .responses
            .get_or_insert_with(Default::default);
        aide::generate::in_context(|ctx| {
            for (status, description) in list {
                responses.responses.insert(
                    aide::openapi::StatusCode::Code(*status),
                    ReferenceOr::Item(error_response(ctx, description)),
                );
            }
        });
        op.summary(text)
    }
}

/// A summary, for a route that reads an access token when one is sent
/// but also serves without (signing out with a refresh token alone).
pub fn summary_sign_in_optional(
    text: &'static str,
) -> impl for<'t> FnOnce(TransformOperation<'t>) -> TransformOperation<'t> {
    move |mut op| {
        let security = &mut op.inner_mut().security;
        if !security.contains(&IndexMap::new()) {
            security.insert(0, IndexMap::new());
        }
        op.summary(text)
    }
}

/// A summary and a required request header (the payment provider's
/// signature on its webhook).
pub fn summary_with_header(
    text: &'static str,
    header: &'static str,
    description: &'static str,
) -> impl for<'t> FnOnce(TransformOperation<'t>) -> TransformOperation<'t> {
    move |mut op| {
        op.inner_mut()
            .parameters
            .push(ReferenceOr::Item(Parameter::Header {
                parameter_data: parameter_data(
                    header,
                    Some(description),
                    true,
                    json_schema!({"type": "string"}),
                ),
                style: aide::openapi::HeaderStyle::Simple,
            }));
        op.summary(text)
    }
}

/// Completes a document built from every function's routes: title, the
/// bearer scheme, and path parameters named after the route templates.
pub fn finish(api: &mut OpenApi) {
    api.info = Info {
        title: "LOAF membership platform API".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: Some(
            "Every route of every function. Errors answer \
             `{\"error\": {\"code\", \"message\", \"field\"}}`. Signed-in routes take \
             `Authorization: Bearer <access token>` from `POST /api/auth/login`; a route \
             that needs a permission names it (`x-permission`)."
                .into(),
        ),
        ..Default::default()
    };
    let components = api.components.get_or_insert_with(Components::default);
    components.security_schemes.insert(
        BEARER.into(),
        ReferenceOr::Item(SecurityScheme::Http {
            scheme: "bearer".into(),
            bearer_format: Some("JWT".into()),
            description: Some("The access token from POST /api/auth/login.".into()),
            extensions: IndexMap::new(),
        }),
    );
    for schema in components.schemas.values_mut() {
        if let Some(object) = schema.json_schema.as_object_mut() {
            prefix_items_in(object);
        }
    }
    let Some(paths) = api.paths.as_mut() else {
        return;
    };
    for (template, item) in paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let names = template_names(template);
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            name_path_parameters(&names, operation);
        }
    }
}

/// Rewrites tuples in OpenAPI 3.1's JSON Schema dialect: aide generates
/// schemas with draft-07's settings, which write a tuple as an array of
/// `items` (and `additionalItems`); 3.1 wants `prefixItems` (and `items`).
fn tuples_as_prefix_items(value: &mut Value) {
    match value {
        Value::Object(object) => prefix_items_in(object),
        Value::Array(items) => items.iter_mut().for_each(tuples_as_prefix_items),
        _ => {}
    }
}

/// [`tuples_as_prefix_items`] for a schema object and all it holds.
fn prefix_items_in(object: &mut serde_json::Map<String, Value>) {
    if matches!(object.get("items"), Some(Value::Array(_))) {
        if let Some(items) = object.remove("items") {
            object.insert("prefixItems".into(), items);
        }
        if let Some(rest) = object.remove("additionalItems") {
            object.insert("items".into(), rest);
        }
    }
    object.values_mut().for_each(tuples_as_prefix_items);
}

/// `/api/events/{id}/photos/{photo}` → `["id", "photo"]`.
fn template_names(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_string)
        .collect()
}

/// Gives an unnamed path parameter the template's names: one parameter per
/// name, a tuple's items in order.
fn name_path_parameters(names: &[String], operation: &mut Operation) {
    let Some(at) = operation.parameters.iter().position(|p| {
        matches!(p, ReferenceOr::Item(Parameter::Path { parameter_data, .. })
            if parameter_data.name == UNNAMED_PATH)
    }) else {
        return;
    };
    let ReferenceOr::Item(Parameter::Path { parameter_data, .. }) = operation.parameters.remove(at)
    else {
        unreachable!("found above");
    };
    let ParameterSchemaOrContent::Schema(schema) = parameter_data.format else {
        return;
    };
    let items: Vec<Schema> = match schema
        .json_schema
        .get("prefixItems")
        .or_else(|| schema.json_schema.get("items"))
    {
        Some(Value::Array(items)) if names.len() > 1 => items
            .iter()
            .filter_map(|item| Schema::try_from(item.clone()).ok())
            .collect(),
        _ => vec![schema.json_schema.clone()],
    };
    for (name, schema) in names.iter().zip(items) {
        operation
            .parameters
            .push(ReferenceOr::Item(path_parameter(name, schema)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_in_order() {
        assert_eq!(
            template_names("/api/events/{id}/photos/{photo}"),
            vec!["id", "photo"]
        );
        assert!(template_names("/api/events").is_empty());
    }

    #[test]
    fn tuples_are_written_with_prefix_items() {
        let mut pairs = serde_json::json!({"type": "array", "items": {
            "type": "array", "items": [{"type": "string"}, {"type": "integer"}],
            "additionalItems": false, "minItems": 2, "maxItems": 2}});
        tuples_as_prefix_items(&mut pairs);
        assert_eq!(
            pairs,
            serde_json::json!({"type": "array", "items": {
                "type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
                "items": false, "minItems": 2, "maxItems": 2}})
        );
    }
}
