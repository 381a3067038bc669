//! The caller's own account and other users' public profiles.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::extract::nullable;
use crate::service::{auth, views};
use coterie_model::user::{CurrentUser, User};
use coterie_model::validate::{self, FieldError};
use coterie_store::{StoreError, UserPatch, UserRow};
use serde::{Deserialize, Serialize};

/// Body of `PATCH /users/@me`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ModifyMe {
    username: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    global_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    /// Image data (`data:image/png;base64,…`), or null to remove the avatar.
    #[serde(default, deserialize_with = "nullable")]
    avatar: Option<Option<String>>,
    /// The current password (needed to change username, email or password).
    password: Option<String>,
    new_password: Option<String>,
}

/// The response: the account, plus a fresh token when the password changed.
#[derive(Debug, Serialize)]
pub struct ModifiedMe {
    /// The account.
    #[serde(flatten)]
    pub user: CurrentUser,
    /// New login token (all earlier tokens were revoked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `GET /users/{id}`.
pub async fn get(app: &AppState, id: i64) -> Result<User, ApiError> {
    app.store
        .user(id)
        .await?
        .map(|u| views::user(&u))
        .ok_or(ApiError::Unknown(Unknown::User))
}

/// `PATCH /users/@me`.
pub async fn modify_me(
    app: &AppState,
    user: &UserRow,
    b: ModifyMe,
    base_url: &str,
) -> Result<ModifiedMe, ApiError> {
    let sensitive = b.username.as_ref().is_some_and(|u| u != &user.username)
        || b.email.is_some()
        || b.new_password.is_some();
    if sensitive && !user.bot {
        let ok = match &b.password {
            Some(p) => auth::verify_password(app, p.clone(), user.password_hash.clone()).await?,
            None => false,
        };
        if !ok {
            return Err(field_error(
                "password",
                "PASSWORD_DOES_NOT_MATCH",
                "Password does not match.",
            ));
        }
    }
    let mut errs = FieldErrors::new();
    let mut p = UserPatch::default();
    if let Some(u) = &b.username {
        p.username = errs.check("username", validate::username(u.trim()));
    }
    if let Some(g) = &b.global_name {
        p.global_name = Some(
            match g.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
                Some(g) => errs.check("global_name", validate::text(g, 1, 32)),
                None => None,
            },
        );
    }
    if let Some(e) = &b.email {
        p.email = Some(
            match e.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                Some(e) => errs.check("email", validate::email(e)),
                None => None,
            },
        );
    }
    if let Some(np) = &b.new_password {
        let name = p.username.as_deref().unwrap_or(&user.username);
        if let Err(e) = validate::password(np, name) {
            errs.add("new_password", FieldError::new(e.code, e.message));
        }
    }
    errs.into_result()?;
    if let Some(a) = &b.avatar {
        p.avatar = Some(match a {
            Some(uri) => Some(
                crate::service::media::store_image(app, "avatars", user.id, uri)
                    .await
                    .map_err(|e| field_error("avatar", e.code, e.message))?,
            ),
            None => None,
        });
    }
    let email_changed = p.email.as_ref().is_some_and(|e| {
        e.as_deref().map(str::to_lowercase) != user.email.as_deref().map(str::to_lowercase)
    });
    let updated = app
        .store
        .update_user(user.id, p)
        .await
        .map_err(|e| match e {
            StoreError::Conflict {
                constraint: "users_username_lower_key",
            } => field_error(
                "username",
                "USERNAME_ALREADY_TAKEN",
                "Username is unavailable.",
            ),
            StoreError::Conflict {
                constraint: "users_email_lower_key",
            } => field_error(
                "email",
                "EMAIL_ALREADY_REGISTERED",
                "Email is already registered.",
            ),
            other => other.into(),
        })?;
    if updated.avatar != user.avatar {
        crate::service::media::drop_image(app, "avatars", user.id, user.avatar.as_deref()).await;
    }
    let mut token = None;
    if let Some(np) = b.new_password {
        let hash = auth::hash_password(app, np).await?;
        app.store.set_password(user.id, &hash, None).await?;
        crate::gateway::registry::invalidate_user_sessions(app, user.id);
        token = Some(auth::issue_token(app, user.id).await?);
    }
    if email_changed && let Some(e) = &updated.email {
        auth::send_verification(app, user.id, e, base_url).await?;
    }
    let me = views::current_user(&updated);
    app.bus
        .publish(Event::new(
            "USER_UPDATE",
            &me,
            Audience::Users(vec![user.id]),
            0,
        ))
        .await;
    Ok(ModifiedMe { user: me, token })
}

/// Body of `POST /users/@me/delete`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteMe {
    /// The current password.
    password: String,
}

/// `POST /users/@me/delete` (Discord's client route): after the password, the account leaves every
/// community, its uploaded files and avatar are deleted, its sessions end and it becomes a
/// "deleted user" placeholder; its messages stay. Owners must transfer or delete their
/// communities first (400, code 40011).
pub async fn delete_me(app: &AppState, user: &UserRow, b: DeleteMe) -> Result<(), ApiError> {
    if user.bot {
        return Err(ApiError::Forbidden(20001, "Bots cannot use this endpoint"));
    }
    if !auth::verify_password(app, b.password, user.password_hash.clone()).await? {
        return Err(field_error(
            "password",
            "PASSWORD_DOES_NOT_MATCH",
            "Password does not match.",
        ));
    }
    let guilds = app.store.user_guilds(user.id).await?;
    if guilds.iter().any(|g| g.owner_id == user.id) {
        return Err(ApiError::BadRequest(
            40011,
            "You must transfer ownership of any owned guilds before deleting your account.",
        ));
    }
    for g in &guilds {
        crate::service::members::remove(app, g.id, user).await?;
    }
    app.store.release_attachments_by(user.id).await?;
    app.media.sweep_soon();
    crate::service::media::drop_image(app, "avatars", user.id, user.avatar.as_deref()).await;
    app.store.anonymize_user(user.id).await?;
    crate::gateway::registry::invalidate_user_sessions(app, user.id);
    tracing::info!(user.id = user.id, "account deleted");
    Ok(())
}
