//! Application commands: global and per guild; create (upsert by name), bulk overwrite, list,
//! read, edit, delete. The bot itself or the application's owner may manage them.

use crate::app::AppState;
use crate::error::{ApiError, FieldErrors, Unknown};
use coterie_model::commands;
use coterie_store::{ApplicationRow, CommandRow, NewCommand, UserRow};
use serde_json::{Value, json};

/// Per scope: chat input, user, message.
const LIMITS: [(i64, usize); 3] = [
    (commands::kind::CHAT_INPUT, 100),
    (commands::kind::USER, 15),
    (commands::kind::MESSAGE, 15),
];

/// The wire object of a stored command.
#[must_use]
pub fn view(c: &CommandRow) -> Value {
    let mut v: Value = serde_json::from_str(&c.body).unwrap_or_else(|_| json!({}));
    v["id"] = json!(c.id.to_string());
    v["application_id"] = json!(c.application_id.to_string());
    v["version"] = json!(c.version.to_string());
    v["type"] = json!(c.kind);
    v["name"] = json!(c.name);
    v["default_permission"] = json!(true);
    if c.scope != 0 {
        v["guild_id"] = json!(c.scope.to_string());
    }
    v
}

/// The application, if the caller is its bot or its owner.
async fn managed(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
) -> Result<ApplicationRow, ApiError> {
    let a = app
        .store
        .application(application_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    if who.id != a.id && who.id != a.owner_id {
        return Err(ApiError::MissingAccess);
    }
    Ok(a)
}

/// Guild-scoped commands need the bot in that guild.
async fn scope(app: &AppState, a: &ApplicationRow, guild_id: Option<i64>) -> Result<i64, ApiError> {
    match guild_id {
        None => Ok(0),
        Some(g) => {
            app.store
                .guild(g)
                .await?
                .ok_or(ApiError::Unknown(Unknown::Guild))?;
            if app.store.member(g, a.id).await?.is_none() {
                return Err(ApiError::MissingAccess);
            }
            Ok(g)
        }
    }
}

fn parse(
    app: &AppState,
    a: &ApplicationRow,
    scope: i64,
    body: &Value,
    prefix: &str,
    errs: &mut FieldErrors,
) -> Option<NewCommand> {
    match commands::validate(body) {
        Ok((kind, name, normalised)) => Some(NewCommand {
            id: app.ids.next_i64(),
            application_id: a.id,
            scope,
            kind,
            name,
            body: normalised.to_string(),
            version: app.ids.next_i64(),
        }),
        Err(list) => {
            for (path, e) in list {
                let p = if prefix.is_empty() {
                    path
                } else {
                    format!("{prefix}.{path}")
                };
                errs.add(&p, e);
            }
            None
        }
    }
}

/// List (`GET …/commands`).
pub async fn list(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
    guild_id: Option<i64>,
) -> Result<Vec<Value>, ApiError> {
    let a = managed(app, who, application_id).await?;
    let s = scope(app, &a, guild_id).await?;
    Ok(app
        .store
        .commands(a.id, s)
        .await?
        .iter()
        .map(view)
        .collect())
}

/// Read one.
pub async fn get(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
    guild_id: Option<i64>,
    id: i64,
) -> Result<Value, ApiError> {
    let a = managed(app, who, application_id).await?;
    let s = scope(app, &a, guild_id).await?;
    let c = app
        .store
        .command(a.id, id)
        .await?
        .filter(|c| c.scope == s)
        .ok_or(ApiError::Unknown(Unknown::Command))?;
    Ok(view(&c))
}

/// Create, or replace the command of the same type and name; returns (command, created).
pub async fn create(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
    guild_id: Option<i64>,
    body: Value,
) -> Result<(Value, bool), ApiError> {
    let a = managed(app, who, application_id).await?;
    let s = scope(app, &a, guild_id).await?;
    let mut errs = FieldErrors::new();
    let c = parse(app, &a, s, &body, "", &mut errs);
    errs.into_result()?;
    let Some(c) = c else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "validated command missing"
        )));
    };
    let existing = app.store.commands(a.id, s).await?;
    let replaces = existing
        .iter()
        .any(|e| e.kind == c.kind && e.name == c.name);
    let max = LIMITS
        .iter()
        .find(|(k, _)| *k == c.kind)
        .map_or(100, |(_, m)| *m);
    if !replaces && existing.iter().filter(|e| e.kind == c.kind).count() >= max {
        return Err(ApiError::BadRequest(
            30032,
            "Maximum number of application commands reached",
        ));
    }
    let (row, created) = app.store.upsert_command(&c).await?;
    Ok((view(&row), created))
}

/// Bulk overwrite (`PUT …/commands`): the scope's commands become exactly these.
pub async fn overwrite(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
    guild_id: Option<i64>,
    body: Vec<Value>,
) -> Result<Vec<Value>, ApiError> {
    let a = managed(app, who, application_id).await?;
    let s = scope(app, &a, guild_id).await?;
    let mut errs = FieldErrors::new();
    let mut cmds: Vec<NewCommand> = Vec::new();
    for (i, b) in body.iter().enumerate() {
        if let Some(c) = parse(app, &a, s, b, &i.to_string(), &mut errs) {
            if cmds.iter().any(|x| x.kind == c.kind && x.name == c.name) {
                errs.add(
                    &format!("{i}.name"),
                    coterie_model::validate::FieldError::new(
                        "APPLICATION_COMMAND_ALREADY_EXISTS",
                        "Application command names must be unique",
                    ),
                );
            }
            cmds.push(c);
        }
    }
    for (k, max) in LIMITS {
        if cmds.iter().filter(|c| c.kind == k).count() > max {
            errs.add(
                "_root",
                coterie_model::validate::FieldError::new(
                    "BASE_TYPE_MAX_LENGTH",
                    format!("At most {max} commands of type {k}."),
                ),
            );
        }
    }
    errs.into_result()?;
    Ok(app
        .store
        .overwrite_commands(a.id, s, &cmds)
        .await?
        .iter()
        .map(view)
        .collect())
}

/// Edit (`PATCH …/commands/{id}`): fields given replace the stored ones.
pub async fn edit(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
    guild_id: Option<i64>,
    id: i64,
    patch: Value,
) -> Result<Value, ApiError> {
    let a = managed(app, who, application_id).await?;
    let s = scope(app, &a, guild_id).await?;
    let c = app
        .store
        .command(a.id, id)
        .await?
        .filter(|c| c.scope == s)
        .ok_or(ApiError::Unknown(Unknown::Command))?;
    let mut merged: Value = serde_json::from_str(&c.body).unwrap_or_else(|_| json!({}));
    if let (Some(m), Some(p)) = (merged.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            if k != "type" {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    merged["type"] = json!(c.kind);
    let mut errs = FieldErrors::new();
    let n = parse(app, &a, s, &merged, "", &mut errs);
    errs.into_result()?;
    let Some(n) = n else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "validated command missing"
        )));
    };
    app.store
        .update_command(id, &n)
        .await
        .map_err(|e| match e {
            coterie_store::StoreError::Conflict { .. } => crate::error::field_error(
                "name",
                "APPLICATION_COMMAND_ALREADY_EXISTS",
                "Application command names must be unique",
            ),
            other => other.into(),
        })?;
    let row = app
        .store
        .command(a.id, id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Command))?;
    Ok(view(&row))
}

/// Delete.
pub async fn delete(
    app: &AppState,
    who: &UserRow,
    application_id: i64,
    guild_id: Option<i64>,
    id: i64,
) -> Result<(), ApiError> {
    let a = managed(app, who, application_id).await?;
    let s = scope(app, &a, guild_id).await?;
    app.store
        .command(a.id, id)
        .await?
        .filter(|c| c.scope == s)
        .ok_or(ApiError::Unknown(Unknown::Command))?;
    app.store.delete_command(a.id, id).await?;
    Ok(())
}

/// Commands members of a guild can use (for the client's `/` menu).
pub async fn guild_index(app: &AppState, who: &UserRow, guild_id: i64) -> Result<Value, ApiError> {
    crate::service::perms::GuildCtx::load(app, guild_id, who.id).await?;
    let rows = app.store.guild_command_index(guild_id).await?;
    let mut apps: Vec<i64> = rows.iter().map(|r| r.application_id).collect();
    apps.dedup();
    let mut applications = vec![];
    for id in apps {
        if let Some(a) = app.store.application(id).await? {
            applications.push(json!({"id": a.id.to_string(), "name": a.name, "icon": a.icon, "description": a.description}));
        }
    }
    Ok(
        json!({"applications": applications, "application_commands": rows.iter().map(view).collect::<Vec<_>>()}),
    )
}
