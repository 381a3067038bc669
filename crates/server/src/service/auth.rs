//! Accounts and sessions: argon2id password hashing off the async runtime, 256-bit random tokens
//! stored only as SHA-256 hashes, registration modes, email verification and password reset.

use crate::app::AppState;
use crate::config::RegistrationMode;
use crate::error::{ApiError, FieldErrors, field_error};
use crate::mail::Mail;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use coterie_model::validate;
use coterie_store::{NewUser, StoreError, UserRow};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long an email link stays valid.
const EMAIL_TOKEN_TTL_MS: i64 = 24 * 3600 * 1000;
const SETTING_REGISTRATION: &str = "registration_mode";

/// A fresh random token (32 bytes, base64url) and its hash.
#[must_use]
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// SHA-256 of a token, as stored.
#[must_use]
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn argon_with(memory_kib: u32) -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(memory_kib, 2, 1, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn argon(app: &AppState) -> Result<Argon2<'static>, ApiError> {
    argon_with(app.config.argon2_memory_kib).map_err(ApiError::Internal)
}

/// Hashes a password with argon2id on the blocking pool (also used by `coterie admin`).
pub async fn hash_with_params(memory_kib: u32, password: String) -> anyhow::Result<String> {
    let a = argon_with(memory_kib)?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        a.hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await?
}

/// Hashes a password on the blocking pool, at most a few at a time.
pub async fn hash_password(app: &AppState, password: String) -> Result<String, ApiError> {
    let _permit = app
        .hash_permits
        .acquire()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    hash_with_params(app.config.argon2_memory_kib, password)
        .await
        .map_err(ApiError::Internal)
}

/// Checks a password against a stored PHC string on the blocking pool.
pub async fn verify_password(
    app: &AppState,
    password: String,
    phc: String,
) -> Result<bool, ApiError> {
    if phc.is_empty() {
        return Ok(false);
    }
    let _permit = app
        .hash_permits
        .acquire()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let a = argon(app)?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        a.verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .map_err(ApiError::internal)
}

/// The account a presented token belongs to.
pub async fn authenticate(
    app: &AppState,
    token: &str,
) -> Result<Option<(UserRow, Vec<u8>)>, ApiError> {
    if token.len() > 200 {
        return Ok(None);
    }
    let hash = token_hash(token);
    Ok(app.store.user_by_token(&hash).await?.map(|u| (u, hash)))
}

/// Issues and stores a login token.
pub async fn issue_token(app: &AppState, user_id: i64) -> Result<String, ApiError> {
    let (token, hash) = new_token();
    app.store.insert_token(&hash, user_id, app.now()).await?;
    Ok(token)
}

/// The instance's registration mode.
pub async fn registration_mode(app: &AppState) -> Result<RegistrationMode, ApiError> {
    Ok(app
        .store
        .setting(SETTING_REGISTRATION)
        .await?
        .and_then(|s| RegistrationMode::parse(&s))
        .unwrap_or(RegistrationMode::Open))
}

/// Stores the registration mode.
pub async fn set_registration_mode(
    store: &coterie_store::Store,
    mode: RegistrationMode,
) -> Result<(), StoreError> {
    store.set_setting(SETTING_REGISTRATION, mode.as_str()).await
}

/// A registration request.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    /// Handle.
    pub username: String,
    /// Password.
    pub password: String,
    /// Optional email.
    #[serde(default)]
    pub email: Option<String>,
    /// Invite code (needed in invite-only mode; joins that community too).
    #[serde(default)]
    pub invite: Option<String>,
    /// Display name.
    #[serde(default)]
    pub global_name: Option<String>,
}

/// The outcome of registering.
#[derive(Debug)]
pub struct Registered {
    /// The account.
    pub user: UserRow,
    /// A login token.
    pub token: String,
}

/// Creates an account, subject to the registration mode.
pub async fn register(
    app: &AppState,
    req: RegisterRequest,
    base_url: &str,
) -> Result<Registered, ApiError> {
    let mode = registration_mode(app).await?;
    let invite_code = req
        .invite
        .as_deref()
        .map(|c| c.trim().rsplit('/').next().unwrap_or("").to_owned());
    match mode {
        RegistrationMode::Closed => {
            return Err(ApiError::Forbidden(
                1_000_001,
                "Registration is closed on this instance.",
            ));
        }
        RegistrationMode::Invite => {
            let live = match &invite_code {
                Some(c) if !c.is_empty() => app.store.invite(c, app.now()).await?.is_some(),
                _ => false,
            };
            if !live {
                return Err(field_error(
                    "invite",
                    "INVITE_REQUIRED",
                    "An invite to a community on this instance is required to register.",
                ));
            }
        }
        RegistrationMode::Open => {}
    }
    let mut errs = FieldErrors::new();
    let username = errs.check("username", validate::username(req.username.trim()));
    errs.check(
        "password",
        validate::password(&req.password, req.username.trim()),
    );
    let email = match req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => errs.check("email", validate::email(e)),
        None => None,
    };
    let global_name = match req
        .global_name
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        Some(g) => errs.check("global_name", validate::text(g, 1, 32)),
        None => None,
    };
    errs.into_result()?;
    let username = username
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("validated username missing")))?;
    let hash = hash_password(app, req.password).await?;
    let id = app.ids.next_i64();
    let user = app
        .store
        .create_user(NewUser {
            id,
            username,
            email: email.clone(),
            password_hash: hash,
            bot: false,
            global_name,
            created_at: app.now(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict {
                constraint: "users_username_lower_key",
            } => field_error(
                "username",
                "USERNAME_ALREADY_TAKEN",
                "Username is unavailable. Try adding numbers, letters, underscores _, or periods.",
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
    if user.instance_admin {
        tracing::info!(
            user.id = user.id,
            "first account registered; it administers this instance"
        );
    }
    if let Some(e) = &email {
        send_verification(app, user.id, e, base_url).await?;
    }
    let token = issue_token(app, user.id).await?;
    if let Some(code) = invite_code.filter(|c| !c.is_empty()) {
        // Joining is best effort: the account exists either way, and the invite may be used up.
        let _ = crate::service::invites::accept(app, &user, &code).await;
    }
    Ok(Registered { user, token })
}

/// Checks a login (username or email) and password; on success issues a token.
pub async fn login(
    app: &AppState,
    login: &str,
    password: String,
) -> Result<(String, UserRow), ApiError> {
    let user = app.store.user_by_login(login).await?;
    let Some(user) = user.filter(|u| !u.bot) else {
        // Spend the same time as a real check so response times do not reveal which accounts exist.
        let _ = hash_password(app, password).await;
        return Err(field_error(
            "login",
            "INVALID_LOGIN",
            "Login or password is invalid.",
        ));
    };
    if !verify_password(app, password, user.password_hash.clone()).await? {
        return Err(field_error(
            "password",
            "INVALID_LOGIN",
            "Login or password is invalid.",
        ));
    }
    if app.store.is_suspended(user.id).await? {
        return Err(ApiError::Forbidden(
            20013,
            "This account is suspended by the instance's administrators.",
        ));
    }
    let token = issue_token(app, user.id).await?;
    Ok((token, user))
}

/// Emails a verification link.
pub async fn send_verification(
    app: &AppState,
    user_id: i64,
    email: &str,
    base_url: &str,
) -> Result<(), ApiError> {
    let (token, hash) = new_token();
    app.store
        .insert_email_token(
            &hash,
            user_id,
            "verify",
            Some(email),
            app.now() + EMAIL_TOKEN_TTL_MS,
        )
        .await?;
    let body = format!(
        "Confirm your email address for Coterie by opening this link within 24 hours:\n\n{base_url}/verify?token={token}\n\n\
         If you did not create an account, ignore this message."
    );
    deliver(
        app,
        Mail {
            to: email.to_owned(),
            subject: "Verify your email address".into(),
            body,
        },
    )
    .await;
    Ok(())
}

/// Consumes a verification token.
pub async fn verify_email(app: &AppState, token: &str) -> Result<(), ApiError> {
    let taken = app
        .store
        .take_email_token(&token_hash(token), "verify", app.now())
        .await?;
    let Some((user_id, Some(email))) = taken else {
        return Err(ApiError::Unknown(crate::error::Unknown::Token));
    };
    if !app.store.verify_email(user_id, &email).await? {
        return Err(ApiError::Unknown(crate::error::Unknown::Token));
    }
    Ok(())
}

/// Emails a password-reset link if the account exists and has an email; silent otherwise.
pub async fn forgot_password(app: &AppState, login: &str, base_url: &str) -> Result<(), ApiError> {
    let Some(user) = app.store.user_by_login(login).await? else {
        return Ok(());
    };
    let Some(email) = user.email.clone() else {
        return Ok(());
    };
    let (token, hash) = new_token();
    app.store
        .insert_email_token(
            &hash,
            user.id,
            "reset",
            Some(&email),
            app.now() + 3600 * 1000,
        )
        .await?;
    let body = format!(
        "Someone asked to reset the password of your Coterie account {}.\n\nOpen this link within one hour to choose a new one:\n\n\
         {base_url}/reset-password?token={token}\n\nIf it was not you, ignore this message; your password is unchanged.",
        user.username
    );
    deliver(
        app,
        Mail {
            to: email,
            subject: "Reset your password".into(),
            body,
        },
    )
    .await;
    Ok(())
}

/// Consumes a reset token, sets the password, revokes every session and logs in afresh.
pub async fn reset_password(
    app: &AppState,
    token: &str,
    password: String,
) -> Result<(String, UserRow), ApiError> {
    let taken = app
        .store
        .take_email_token(&token_hash(token), "reset", app.now())
        .await?;
    let Some((user_id, _)) = taken else {
        return Err(ApiError::Unknown(crate::error::Unknown::Token));
    };
    let user = app
        .store
        .user(user_id)
        .await?
        .ok_or(ApiError::Unknown(crate::error::Unknown::Token))?;
    validate::password(&password, &user.username)
        .map_err(|e| field_error("password", e.code, e.message))?;
    let hash = hash_password(app, password).await?;
    app.store.set_password(user_id, &hash, None).await?;
    crate::gateway::registry::invalidate_user_sessions(app, user_id);
    let token = issue_token(app, user_id).await?;
    Ok((token, user))
}

async fn deliver(app: &AppState, mail: Mail) {
    if let Err(e) = app.mailer.send(mail).await {
        tracing::warn!(error = format!("{e:#}"), "sending mail failed");
    }
}
