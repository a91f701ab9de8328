//! Route registration that describes the routes for the OpenAPI document
//! only when asked. The docs function and `loaf openapi` need every
//! operation described; a route function's container does not, and
//! describing them (schemas generated as each route is added) cost its cold
//! start 0.2–0.9 ms.
//!
//! A function declares its routes once, `fn api(docs: Docs) -> Routes`,
//! with aide's names: `docs.get_with(handler, describe)` and, on the result,
//! `.post_with(handler, describe)`. With [`Docs::Skip`] the description
//! closures are never called and the routes are plain axum routes.
//!
//! `Docs::Write` exists only with this crate's `describe` feature, which the
//! docs function, the `loaf` CLI and the tests turn on: a route function's
//! release binary then holds none of the generic description code (aide's
//! and schemars' per handler and per type: 0.5–0.7 MiB of each binary).

use crate::state::AppState;
#[cfg(feature = "describe")]
use aide::axum::{routing::ApiMethodRouter, ApiRouter};
use aide::operation::OperationHandler;
use aide::transform::TransformOperation;
use aide::{OperationInput, OperationOutput};
use axum::handler::Handler;
use axum::routing::MethodRouter;
use axum::Router;

/// Whether the routes being declared are also described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Docs {
    /// For the OpenAPI document.
    #[cfg(feature = "describe")]
    Write,
    /// For serving: no description is generated.
    Skip,
}

/// A set of routes, described or not.
pub enum Routes {
    #[cfg(feature = "describe")]
    Described(ApiRouter<AppState>),
    Plain(Router<AppState>),
}

/// The handlers of one path, by method.
pub enum Methods {
    #[cfg(feature = "describe")]
    Described(ApiMethodRouter<AppState>),
    Plain(MethodRouter<AppState>),
}

impl Methods {
    /// No handler yet, described or not as `docs` says.
    fn none(docs: Docs) -> Self {
        match docs {
            #[cfg(feature = "describe")]
            Docs::Write => Methods::Described(ApiMethodRouter::new()),
            Docs::Skip => Methods::Plain(MethodRouter::new()),
        }
    }
}

macro_rules! methods {
    ($($with:ident => $method:ident),*) => {
        impl Docs {
            $(
                #[doc = concat!("Routes `", stringify!($method), "` to `handler`, described by `describe` when writing docs.")]
                pub fn $with<H, I, O, T, F>(self, handler: H, describe: F) -> Methods
                where
                    H: Handler<T, AppState> + OperationHandler<I, O>,
                    I: OperationInput,
                    O: OperationOutput,
                    T: 'static,
                    F: FnOnce(TransformOperation<'_>) -> TransformOperation<'_>,
                {
                    Methods::none(self).$with(handler, describe)
                }
            )*
        }

        impl Methods {
            $(
                #[doc = concat!("Adds `", stringify!($method), "` to this path.")]
                pub fn $with<H, I, O, T, F>(self, handler: H, describe: F) -> Methods
                where
                    H: Handler<T, AppState> + OperationHandler<I, O>,
                    I: OperationInput,
                    O: OperationOutput,
                    T: 'static,
                    F: FnOnce(TransformOperation<'_>) -> TransformOperation<'_>,
                {
                    match self {
                        #[cfg(feature = "describe")]
                        Methods::Described(m) => Methods::Described(m.$with(handler, describe)),
                        Methods::Plain(m) => {
                            let _ = describe;
                            Methods::Plain(m.$method(handler))
                        }
                    }
                }
            )*
        }
    };
}

methods!(
    get_with => get,
    post_with => post,
    put_with => put,
    patch_with => patch,
    delete_with => delete
);

impl Routes {
    pub fn new(docs: Docs) -> Self {
        match docs {
            #[cfg(feature = "describe")]
            Docs::Write => Routes::Described(ApiRouter::new()),
            Docs::Skip => Routes::Plain(Router::new()),
        }
    }

    /// Adds `methods` at `path`.
    pub fn api_route(self, path: &str, methods: Methods) -> Self {
        match (self, methods) {
            #[cfg(feature = "describe")]
            (Routes::Described(r), Methods::Described(m)) => {
                Routes::Described(r.api_route(path, m))
            }
            #[cfg(feature = "describe")]
            (Routes::Described(r), Methods::Plain(m)) => Routes::Described(r.route(path, m)),
            #[cfg(feature = "describe")]
            (Routes::Plain(r), Methods::Described(m)) => Routes::Plain(r.route(path, m.into())),
            (Routes::Plain(r), Methods::Plain(m)) => Routes::Plain(r.route(path, m)),
        }
    }

    /// These routes and `other`'s.
    pub fn merge(self, other: Routes) -> Self {
        match self {
            #[cfg(feature = "describe")]
            Routes::Described(r) => Routes::Described(r.merge(other.into_api())),
            Routes::Plain(r) => Routes::Plain(r.merge(other.into_router())),
        }
    }

    /// Tags every operation described so far (the document's sections).
    pub fn tagged(self, tag: &'static str) -> Self {
        match self {
            #[cfg(feature = "describe")]
            Routes::Described(r) => Routes::Described(r.with_path_items(|item| item.tag(tag))),
            Routes::Plain(r) => {
                let _ = tag;
                Routes::Plain(r)
            }
        }
    }

    /// The routes for aide, to be finished into a document.
    #[cfg(feature = "describe")]
    pub fn into_api(self) -> ApiRouter<AppState> {
        match self {
            Routes::Described(r) => r,
            Routes::Plain(r) => r.into(),
        }
    }

    /// The routes to serve.
    pub fn into_router(self) -> Router<AppState> {
        match self {
            #[cfg(feature = "describe")]
            Routes::Described(r) => r.into(),
            Routes::Plain(r) => r,
        }
    }
}
