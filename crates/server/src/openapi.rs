//! The OpenAPI document, assembled from the same registrations that build the router (see the
//! `api!` macro in `router.rs`), so documentation cannot drift from the routes. Served at
//! `/api/v10/openapi.json`; the web client's types are generated from it.

use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, ResponseBuilder,
};

/// A schema for the document: a named component or an inline schema.
pub enum Body {
    /// No body.
    None,
    /// `$ref` to a component (registered alongside).
    Named(String, Vec<(String, RefOr<Schema>)>),
    /// A list of a named component.
    List(String, Vec<(String, RefOr<Schema>)>),
    /// Any JSON object.
    Object,
}

/// The component `T`, registering it and what it refers to.
#[must_use]
pub fn of<T: ToSchema>() -> Body {
    let mut deps = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut deps);
    Body::Named(T::name().into_owned(), deps)
}

/// A list of `T`.
#[must_use]
pub fn list<T: ToSchema>() -> Body {
    let mut deps = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut deps);
    Body::List(T::name().into_owned(), deps)
}

/// Any JSON object (Coterie extensions documented in prose).
#[must_use]
pub fn object() -> Body {
    Body::Object
}

/// No body.
#[must_use]
pub fn none() -> Body {
    Body::None
}

/// Collects operations while the router is built.
#[derive(Default)]
pub struct Doc {
    paths: BTreeMap<String, Vec<(HttpMethod, utoipa::openapi::path::Operation)>>,
    schemas: BTreeMap<String, RefOr<Schema>>,
}

impl Body {
    fn schema(self, doc: &mut Doc) -> Option<RefOr<Schema>> {
        match self {
            Body::None => None,
            Body::Object => Some(ObjectBuilder::new().into()),
            Body::Named(name, deps) => {
                doc.schemas.extend(deps);
                Some(Ref::from_schema_name(name).into())
            }
            Body::List(name, deps) => {
                doc.schemas.extend(deps);
                Some(
                    ArrayBuilder::new()
                        .items(Ref::from_schema_name(name))
                        .into(),
                )
            }
        }
    }
}

fn method(m: &str) -> HttpMethod {
    match m {
        "post" => HttpMethod::Post,
        "put" => HttpMethod::Put,
        "patch" => HttpMethod::Patch,
        "delete" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

impl Doc {
    /// Records one operation.
    pub fn add(&mut self, m: &str, path: &str, summary: &str, request: Body, response: Body) {
        let tag = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .to_owned();
        let mut op = OperationBuilder::new().summary(Some(summary)).tag(tag);
        if let Some(s) = request.schema(self) {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(s)).build(),
                    )
                    .build(),
            ));
        }
        let ok = match response.schema(self) {
            Some(s) => ResponseBuilder::new().description("Success").content(
                "application/json",
                ContentBuilder::new().schema(Some(s)).build(),
            ),
            None => ResponseBuilder::new().description("Success (no body, or 204)"),
        };
        op = op.response("2XX", ok.build()).response(
            "4XX",
            ResponseBuilder::new()
                .description("Discord-shaped error: {code, message, errors?}")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new()))
                        .build(),
                )
                .build(),
        );
        self.paths
            .entry(path.to_owned())
            .or_default()
            .push((method(m), op.build()));
    }

    /// The finished document.
    #[must_use]
    pub fn build(self) -> OpenApi {
        let mut paths = PathsBuilder::new();
        for (path, ops) in self.paths {
            let mut item: Option<PathItem> = None;
            for (m, op) in ops {
                let pi = PathItem::new(m, op);
                item = Some(match item {
                    None => pi,
                    Some(mut existing) => {
                        existing.merge_operations(pi);
                        existing
                    }
                });
            }
            if let Some(i) = item {
                paths = paths.path(format!("/api/v10{path}"), i);
            }
        }
        let mut components = ComponentsBuilder::new();
        for (name, s) in self.schemas {
            components = components.schema(name, s);
        }
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("Coterie API")
                    .version("10")
                    .description(Some("Discord API v10 compatible, plus Coterie extensions (auth, votes, admin). Authenticate with `Authorization: <token>` or `Bot <token>`."))
                    .build(),
            )
            .paths(paths.build())
            .components(Some(components.build()))
            .build()
    }
}

#[cfg(test)]
mod tests {
    /// The committed document (`crates/server/openapi.json`, from which the web client's types are
    /// generated) must match the routes. `UPDATE_OPENAPI=1 cargo test` rewrites it.
    #[test]
    fn the_committed_openapi_document_matches_the_routes() {
        let doc = crate::router::openapi()
            .to_pretty_json()
            .expect("serialises");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        if std::env::var("UPDATE_OPENAPI").is_ok() {
            std::fs::write(path, format!("{doc}\n")).expect("write openapi.json");
            return;
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed.trim() == doc.trim(),
            "crates/server/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p coterie-server --lib openapi`"
        );
    }
}
