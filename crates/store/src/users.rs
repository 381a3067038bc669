//! Accounts, login tokens, email tokens and instance settings.

use crate::db::args;
use crate::{Result, Store, StoreError, UserRow};

const USER_COLS: &str = "id, username, email, email_verified, password_hash, global_name, avatar, bot, \
    instance_admin, flags, created_at";

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Id.
    pub id: i64,
    /// Handle.
    pub username: String,
    /// Email.
    pub email: Option<String>,
    /// PHC hash.
    pub password_hash: String,
    /// Bot account.
    pub bot: bool,
    /// Display name.
    pub global_name: Option<String>,
    /// Created.
    pub created_at: i64,
}

/// Fields of a user to change (None = unchanged).
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New handle.
    pub username: Option<String>,
    /// New display name (Some(None) clears).
    pub global_name: Option<Option<String>>,
    /// New avatar hash.
    pub avatar: Option<Option<String>>,
    /// New email (marks it unverified).
    pub email: Option<Option<String>>,
}

const SELECT_BY_ID: &str = "select id, username, email, email_verified, password_hash, global_name, avatar, bot, \
    instance_admin, flags, created_at from users where id = $1";
const SELECT_BY_LOGIN: &str = "select id, username, email, email_verified, password_hash, global_name, avatar, bot, \
    instance_admin, flags, created_at from users where username_lower = $1 or email_lower = $1";
const SELECT_BY_TOKEN: &str = "select u.id, u.username, u.email, u.email_verified, u.password_hash, u.global_name, \
    u.avatar, u.bot, u.instance_admin, u.flags, u.created_at from auth_tokens t join users u on u.id = t.user_id \
    where t.token_hash = $1 and not exists (select 1 from suspensions s where s.user_id = u.id)";
const INSERT_USER: &str = "insert into users (id, username, username_lower, email, email_lower, password_hash, bot, \
    instance_admin, created_at, global_name) values ($1, $2, $3, $4, $5, $6, $7, \
    not exists (select 1 from users where bot = $8), $9, $10)";

impl Store {
    /// Creates an account. The first non-bot account of an instance becomes its administrator,
    /// decided inside the insert so two concurrent first registrations cannot both win.
    pub async fn create_user(&self, u: NewUser) -> Result<UserRow> {
        let email_lower = u.email.as_deref().map(str::to_lowercase);
        let mut tx = self.db.begin().await?;
        tx.exec(
            INSERT_USER,
            args![
                u.id,
                &u.username,
                u.username.to_lowercase(),
                u.email.clone(),
                email_lower,
                &u.password_hash,
                u.bot,
                false,
                u.created_at,
                u.global_name.clone()
            ],
        )
        .await?;
        if u.bot {
            tx.exec(
                "update users set instance_admin = $1 where id = $2",
                args![false, u.id],
            )
            .await?;
        }
        let row: Option<UserRow> = tx.opt(SELECT_BY_ID, args![u.id]).await?;
        let done = tx.commit().await;
        self.cache.drop_user(u.id);
        done?;
        row.ok_or(StoreError::NotFound)
    }

    /// One user.
    pub async fn user(&self, id: i64) -> Result<Option<UserRow>> {
        Ok(self.users(&[id]).await?.pop())
    }

    /// Several users (missing ids are skipped; order is not kept).
    pub async fn users(&self, ids: &[i64]) -> Result<Vec<UserRow>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let (mut found, missing) = self.cache.users(&ids);
        if missing.is_empty() {
            return Ok(found);
        }
        let ticket = self.cache.ticket();
        let sql = format!(
            "select {USER_COLS} from users where id in ({})",
            crate::db::placeholders(1, missing.len())
        );
        let rows: Vec<UserRow> = self
            .db
            .all(sql, missing.iter().map(|i| (*i).into()).collect())
            .await?;
        if let Some(t) = ticket {
            self.cache.fill_users(t, &rows);
        }
        found.extend(rows);
        Ok(found)
    }

    /// The user whose username or email (case-insensitive) is `login`.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserRow>> {
        self.db
            .opt(SELECT_BY_LOGIN, args![login.trim().to_lowercase()])
            .await
    }

    /// Applies a patch; returns the new row.
    pub async fn update_user(&self, id: i64, p: UserPatch) -> Result<UserRow> {
        let mut tx = self.db.begin().await?;
        if let Some(name) = &p.username {
            tx.exec(
                "update users set username = $1, username_lower = $2 where id = $3",
                args![name, name.to_lowercase(), id],
            )
            .await?;
        }
        if let Some(g) = p.global_name {
            tx.exec(
                "update users set global_name = $1 where id = $2",
                args![g, id],
            )
            .await?;
        }
        if let Some(a) = p.avatar {
            tx.exec("update users set avatar = $1 where id = $2", args![a, id])
                .await?;
        }
        if let Some(e) = p.email {
            let lower = e.as_deref().map(str::to_lowercase);
            tx.exec(
                "update users set email = $1, email_lower = $2, email_verified = $3 where id = $4",
                args![e, lower, false, id],
            )
            .await?;
        }
        let row: Option<UserRow> = tx.opt(SELECT_BY_ID, args![id]).await?;
        let done = tx.commit().await;
        self.cache.drop_user(id);
        done?;
        row.ok_or(StoreError::NotFound)
    }

    /// Sets a new password hash and revokes every login token of the account except `keep`.
    pub async fn set_password(&self, id: i64, hash: &str, keep: Option<&[u8]>) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .exec(
                "update users set password_hash = $1 where id = $2",
                args![hash, id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        match keep {
            Some(k) => {
                tx.exec(
                    "delete from auth_tokens where user_id = $1 and token_hash <> $2",
                    args![id, k],
                )
                .await?
            }
            None => {
                tx.exec("delete from auth_tokens where user_id = $1", args![id])
                    .await?
            }
        };
        let done = tx.commit().await;
        self.cache.drop_user(id);
        done
    }

    /// Grants or revokes instance administration.
    pub async fn set_instance_admin(&self, id: i64, admin: bool) -> Result<()> {
        let done = self
            .db
            .exec(
                "update users set instance_admin = $1 where id = $2",
                args![admin, id],
            )
            .await;
        self.cache.drop_user(id);
        match done? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Marks the email verified if it still equals `email`.
    pub async fn verify_email(&self, id: i64, email: &str) -> Result<bool> {
        let n = self
            .db
            .exec(
                "update users set email_verified = $1 where id = $2 and email_lower = $3",
                args![true, id, email.to_lowercase()],
            )
            .await;
        self.cache.drop_user(id);
        Ok(n? > 0)
    }

    /// Stores a login token's hash.
    pub async fn insert_token(&self, hash: &[u8], user_id: i64, now: i64) -> Result<()> {
        self.db
            .exec(
                "insert into auth_tokens (token_hash, user_id, created_at) values ($1, $2, $3)",
                args![hash, user_id, now],
            )
            .await?;
        Ok(())
    }

    /// The account a token hash belongs to.
    pub async fn user_by_token(&self, hash: &[u8]) -> Result<Option<UserRow>> {
        if let Some(u) = self.cache.token(hash) {
            return Ok(Some(u));
        }
        let ticket = self.cache.ticket();
        let row: Option<UserRow> = self.db.opt(SELECT_BY_TOKEN, args![hash]).await?;
        if let (Some(t), Some(u)) = (ticket, &row) {
            self.cache.fill_token(t, hash, u);
        }
        Ok(row)
    }

    /// Revokes every token of a user; returns how many.
    pub async fn delete_user_tokens(&self, user_id: i64) -> Result<u64> {
        let done = self
            .db
            .exec("delete from auth_tokens where user_id = $1", args![user_id])
            .await;
        self.cache.drop_user(user_id);
        done
    }

    /// Revokes one token.
    pub async fn delete_token(&self, hash: &[u8]) -> Result<bool> {
        let done = self
            .db
            .exec("delete from auth_tokens where token_hash = $1", args![hash])
            .await;
        self.cache.drop_token(hash);
        Ok(done? > 0)
    }

    /// Stores a single-use email token (verification or password reset).
    pub async fn insert_email_token(
        &self,
        hash: &[u8],
        user_id: i64,
        purpose: &str,
        email: Option<&str>,
        expires_at: i64,
    ) -> Result<()> {
        self.db
            .exec(
                "insert into email_tokens (token_hash, user_id, purpose, email, expires_at) values ($1, $2, $3, $4, $5)",
                args![hash, user_id, purpose, email, expires_at],
            )
            .await?;
        Ok(())
    }

    /// Consumes an email token: returns `(user_id, email)` if it existed for `purpose` and had not expired.
    pub async fn take_email_token(
        &self,
        hash: &[u8],
        purpose: &str,
        now: i64,
    ) -> Result<Option<(i64, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct T {
            user_id: i64,
            email: Option<String>,
            expires_at: i64,
        }
        let mut tx = self.db.begin().await?;
        let t: Option<T> = tx
            .opt("select user_id, email, expires_at from email_tokens where token_hash = $1 and purpose = $2", args![hash, purpose])
            .await?;
        tx.exec(
            "delete from email_tokens where token_hash = $1",
            args![hash],
        )
        .await?;
        tx.commit().await?;
        Ok(t.filter(|t| t.expires_at > now)
            .map(|t| (t.user_id, t.email)))
    }

    /// An instance setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        #[derive(sqlx::FromRow)]
        struct V {
            value: String,
        }
        let v: Option<V> = self
            .db
            .opt(
                "select value from instance_settings where key = $1",
                args![key],
            )
            .await?;
        Ok(v.map(|v| v.value))
    }

    /// Sets an instance setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.db
            .exec(
                "insert into instance_settings (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value",
                args![key, value],
            )
            .await?;
        Ok(())
    }

    /// Sets an instance setting unless it already has a value (several nodes racing at start).
    pub async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<()> {
        self.db
            .exec(
                "insert into instance_settings (key, value) values ($1, $2) on conflict (key) do nothing",
                args![key, value],
            )
            .await?;
        Ok(())
    }

    /// Turns an account into a tombstone: a placeholder name, no email, avatar or usable password,
    /// no tokens. Its messages stay, attributed to the placeholder.
    pub async fn anonymize_user(&self, id: i64) -> Result<()> {
        let name = format!("deleted_user_{id:x}");
        let mut tx = self.db.begin().await?;
        tx.exec(
            "update users set username = $1, username_lower = $1, email = null, email_lower = null, \
             email_verified = $2, global_name = null, avatar = null, password_hash = '!' where id = $3",
            args![name, false, id],
        )
        .await?;
        tx.exec("delete from auth_tokens where user_id = $1", args![id])
            .await?;
        let done = tx.commit().await;
        self.cache.drop_user(id);
        done
    }
}
