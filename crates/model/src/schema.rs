//! OpenAPI schemas of the hand-serialised value types (ids, permissions, timestamps): all strings.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

fn string(description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([serde_json::json!(example)])
        .into()
}

impl utoipa::PartialSchema for crate::Snowflake {
    fn schema() -> RefOr<Schema> {
        string("A snowflake id as a decimal string.", "1574526435710730240")
    }
}
impl utoipa::ToSchema for crate::Snowflake {}

impl utoipa::PartialSchema for crate::Permissions {
    fn schema() -> RefOr<Schema> {
        string("Permission bits as a decimal string.", "117824")
    }
}
impl utoipa::ToSchema for crate::Permissions {}

impl utoipa::PartialSchema for crate::Timestamp {
    fn schema() -> RefOr<Schema> {
        string(
            "ISO-8601 time with six fraction digits and +00:00.",
            "2026-01-01T00:00:00.000000+00:00",
        )
    }
}
impl utoipa::ToSchema for crate::Timestamp {}
