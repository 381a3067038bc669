//! Application command definitions: validation with Discord's rules and limits, returning the
//! normalised JSON to store. Pure, so it is tested without a server.

use crate::validate::FieldError;
use serde_json::{Map, Value, json};

/// Command types.
pub mod kind {
    /// Slash command.
    pub const CHAT_INPUT: i64 = 1;
    /// User context menu.
    pub const USER: i64 = 2;
    /// Message context menu.
    pub const MESSAGE: i64 = 3;
}

/// Option types.
pub mod option {
    /// Subcommand.
    pub const SUB_COMMAND: i64 = 1;
    /// Group of subcommands.
    pub const SUB_COMMAND_GROUP: i64 = 2;
    /// String.
    pub const STRING: i64 = 3;
    /// Integer.
    pub const INTEGER: i64 = 4;
    /// Boolean.
    pub const BOOLEAN: i64 = 5;
    /// User.
    pub const USER: i64 = 6;
    /// Channel.
    pub const CHANNEL: i64 = 7;
    /// Role.
    pub const ROLE: i64 = 8;
    /// User or role.
    pub const MENTIONABLE: i64 = 9;
    /// Float.
    pub const NUMBER: i64 = 10;
    /// Attachment.
    pub const ATTACHMENT: i64 = 11;
}

/// Errors by dotted path.
pub type Errors = Vec<(String, FieldError)>;

fn err(errs: &mut Errors, path: &str, code: &'static str, msg: impl Into<String>) {
    errs.push((path.to_owned(), FieldError::new(code, msg)));
}

/// Whether `name` is a valid chat-input name: 1–32 of letters, numbers, `-`, `_`, `'`, with no
/// uppercase letter that has a lowercase form.
#[must_use]
pub fn valid_chat_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '\''))
        && name
            .chars()
            .all(|c| !c.is_uppercase() || c.to_lowercase().eq(std::iter::once(c)))
}

fn text_len(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str).map_or(0, |s| s.chars().count())
}

/// Validates a command definition and returns it normalised (defaults filled, unknown keys
/// dropped) plus its type and name.
pub fn validate(v: &Value) -> Result<(i64, String, Value), Errors> {
    let mut errs = Errors::new();
    let Some(o) = v.as_object() else {
        err(
            &mut errs,
            "_root",
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used in a DictType",
        );
        return Err(errs);
    };
    let t = o
        .get("type")
        .and_then(Value::as_i64)
        .unwrap_or(kind::CHAT_INPUT);
    if !(1..=3).contains(&t) {
        err(
            &mut errs,
            "type",
            "BASE_TYPE_CHOICES",
            "Value must be one of {1, 2, 3}.",
        );
    }
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if t == kind::CHAT_INPUT {
        if !valid_chat_name(&name) {
            err(
                &mut errs,
                "name",
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            );
        }
    } else if !(1..=32).contains(&name.chars().count()) {
        err(
            &mut errs,
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 32 in length.",
        );
    }
    let desc = o.get("description").and_then(Value::as_str).unwrap_or("");
    if t == kind::CHAT_INPUT && !(1..=100).contains(&desc.chars().count()) {
        err(
            &mut errs,
            "description",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        );
    }
    if t != kind::CHAT_INPUT && !desc.is_empty() {
        err(
            &mut errs,
            "description",
            "APPLICATION_COMMAND_INVALID_DESCRIPTION",
            "User and message commands have no description.",
        );
    }
    let mut total = name.chars().count() + desc.chars().count();
    let options = match o.get("options") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) if t == kind::CHAT_INPUT => {
            check_options(a, "options", 0, &mut errs, &mut total)
        }
        Some(Value::Array(a)) if a.is_empty() => vec![],
        Some(_) => {
            err(
                &mut errs,
                "options",
                "APPLICATION_COMMAND_OPTIONS_INVALID",
                "Only chat input commands have options.",
            );
            vec![]
        }
    };
    if total > 8000 {
        err(
            &mut errs,
            "_root",
            "APPLICATION_COMMAND_TOO_LARGE",
            "Command exceeds maximum size (8000)",
        );
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut out = Map::new();
    out.insert("type".into(), json!(t));
    out.insert("name".into(), json!(name));
    out.insert("description".into(), json!(desc));
    out.insert("options".into(), Value::Array(options));
    for (k, default) in [
        ("name_localizations", Value::Null),
        ("description_localizations", Value::Null),
        ("default_member_permissions", Value::Null),
        ("dm_permission", json!(true)),
        ("nsfw", json!(false)),
        ("integration_types", json!([0])),
        ("contexts", Value::Null),
    ] {
        out.insert(
            k.into(),
            o.get(k)
                .cloned()
                .filter(|v| !v.is_null() || k.ends_with("localizations"))
                .unwrap_or(default),
        );
    }
    if let Some(p) = out.get("default_member_permissions").and_then(|v| {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    }) {
        out.insert("default_member_permissions".into(), json!(p));
    }
    Ok((t, name, Value::Object(out)))
}

fn check_options(
    a: &[Value],
    path: &str,
    depth: usize,
    errs: &mut Errors,
    total: &mut usize,
) -> Vec<Value> {
    if a.len() > 25 {
        err(
            errs,
            path,
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        );
        return vec![];
    }
    let mut seen_optional = false;
    let mut names = Vec::new();
    let mut out = Vec::new();
    for (i, opt) in a.iter().enumerate() {
        let p = format!("{path}.{i}");
        let Some(o) = opt.as_object() else {
            err(
                errs,
                &p,
                "DICT_TYPE_CONVERT",
                "Only dictionaries may be used in a DictType",
            );
            continue;
        };
        let t = o.get("type").and_then(Value::as_i64).unwrap_or(0);
        if !(1..=11).contains(&t) {
            err(
                errs,
                &format!("{p}.type"),
                "BASE_TYPE_CHOICES",
                "Value must be one of {1..11}.",
            );
            continue;
        }
        let name = o.get("name").and_then(Value::as_str).unwrap_or("");
        if !valid_chat_name(name) {
            err(
                errs,
                &format!("{p}.name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                "Option name is invalid",
            );
        }
        if names.contains(&name) {
            err(
                errs,
                &format!("{p}.name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            );
        }
        names.push(name);
        let d = text_len(o.get("description"));
        if !(1..=100).contains(&d) {
            err(
                errs,
                &format!("{p}.description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            );
        }
        *total += name.chars().count() + d;
        let mut norm = o.clone();
        let is_sub = t == option::SUB_COMMAND || t == option::SUB_COMMAND_GROUP;
        if is_sub {
            if depth >= 2 || (t == option::SUB_COMMAND_GROUP && depth >= 1) {
                err(
                    errs,
                    &format!("{p}.type"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Subcommands nest at most two levels.",
                );
            }
            let sub = o
                .get("options")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if t == option::SUB_COMMAND_GROUP
                && sub
                    .iter()
                    .any(|s| s.get("type").and_then(Value::as_i64) != Some(option::SUB_COMMAND))
            {
                err(
                    errs,
                    &format!("{p}.options"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Groups contain only subcommands.",
                );
            }
            norm.insert(
                "options".into(),
                Value::Array(check_options(
                    sub,
                    &format!("{p}.options"),
                    depth + 1,
                    errs,
                    total,
                )),
            );
        } else {
            if depth == 0
                || a.iter()
                    .all(|x| x.get("type").and_then(Value::as_i64).is_some_and(|t| t > 2))
            {
                let required = o.get("required").and_then(Value::as_bool).unwrap_or(false);
                if required && seen_optional {
                    err(
                        errs,
                        &format!("{p}.required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    );
                }
                seen_optional |= !required;
            }
            if let Some(choices) = o.get("choices").and_then(Value::as_array) {
                if choices.len() > 25 {
                    err(
                        errs,
                        &format!("{p}.choices"),
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.",
                    );
                }
                if ![option::STRING, option::INTEGER, option::NUMBER].contains(&t) {
                    err(
                        errs,
                        &format!("{p}.choices"),
                        "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                        "Only string, integer and number options have choices.",
                    );
                }
                if o.get("autocomplete").and_then(Value::as_bool) == Some(true) {
                    err(
                        errs,
                        &format!("{p}.autocomplete"),
                        "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                        "Autocomplete cannot be used with choices.",
                    );
                }
                for (j, c) in choices.iter().enumerate() {
                    let cn = text_len(c.get("name"));
                    if !(1..=100).contains(&cn) {
                        err(
                            errs,
                            &format!("{p}.choices.{j}.name"),
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 100 in length.",
                        );
                    }
                    let ok = match t {
                        option::STRING => c
                            .get("value")
                            .and_then(Value::as_str)
                            .is_some_and(|s| s.chars().count() <= 100),
                        option::INTEGER => c.get("value").is_some_and(Value::is_i64),
                        _ => c.get("value").is_some_and(Value::is_number),
                    };
                    if !ok {
                        err(
                            errs,
                            &format!("{p}.choices.{j}.value"),
                            "APPLICATION_COMMAND_OPTION_CHOICE_VALUE_INVALID",
                            "Choice value does not match the option type.",
                        );
                    }
                    *total += cn + c.get("value").map_or(0, |v| v.to_string().len());
                }
            }
        }
        out.push(Value::Object(norm));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_discords_pattern() {
        assert!(valid_chat_name("ping"));
        assert!(valid_chat_name("größe"));
        assert!(valid_chat_name("it's-ok_1"));
        assert!(!valid_chat_name("Ping"));
        assert!(!valid_chat_name("two words"));
        assert!(!valid_chat_name(""));
        assert!(!valid_chat_name(&"a".repeat(33)));
    }

    #[test]
    fn a_good_command_is_normalised_and_bad_ones_name_the_field() {
        let (t, n, v) = validate(&json!({"name": "ping", "description": "Pong!", "options": [{"type": 5, "name": "loud", "description": "x"}]})).unwrap();
        assert_eq!((t, n.as_str()), (1, "ping"));
        assert_eq!(v["dm_permission"], true);
        let e = validate(&json!({"name": "Ping", "description": ""})).unwrap_err();
        let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"name") && paths.contains(&"description"));
        let e = validate(&json!({"name": "x", "description": "d", "options": [
            {"type": 3, "name": "a", "description": "d"},
            {"type": 3, "name": "b", "description": "d", "required": true}
        ]}))
        .unwrap_err();
        assert_eq!(e[0].0, "options.1.required");
        let e = validate(&json!({"name": "x", "description": "d", "options": [{"type": 5, "name": "a", "description": "d", "choices": [{"name": "n", "value": 1}]}]})).unwrap_err();
        assert_eq!(e[0].0, "options.0.choices");
        assert!(validate(&json!({"type": 2, "name": "Report User", "description": ""})).is_ok());
    }
}
