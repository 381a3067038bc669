//! Applications (bot accounts) and their commands.

use crate::db::args;
use crate::{ApplicationRow, CommandRow, Result, Store, StoreError};

const APP_COLS: &str = "id, owner_id, name, description, icon, bot_public, bot_require_code_grant, flags, verify_key, \
    has_bot, created_at";
const COMMAND_COLS: &str = "id, application_id, scope, type, name, body, version";

/// A command to store: the scope is a guild id or 0 for global.
#[derive(Debug, Clone)]
pub struct NewCommand {
    /// Id to use when the command is new.
    pub id: i64,
    /// Application.
    pub application_id: i64,
    /// Guild or 0.
    pub scope: i64,
    /// Type.
    pub kind: i64,
    /// Name.
    pub name: String,
    /// Definition JSON (without id/version).
    pub body: String,
    /// Version.
    pub version: i64,
}

impl Store {
    /// Creates an application.
    pub async fn create_application(&self, a: &ApplicationRow) -> Result<()> {
        let sql = format!(
            "insert into applications ({APP_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        self.db
            .exec(
                sql,
                args![
                    a.id,
                    a.owner_id,
                    &a.name,
                    &a.description,
                    a.icon.clone(),
                    a.bot_public,
                    a.bot_require_code_grant,
                    a.flags,
                    &a.verify_key,
                    a.has_bot,
                    a.created_at
                ],
            )
            .await?;
        Ok(())
    }

    /// One application.
    pub async fn application(&self, id: i64) -> Result<Option<ApplicationRow>> {
        self.db
            .opt(
                format!("select {APP_COLS} from applications where id = $1"),
                args![id],
            )
            .await
    }

    /// Applications owned by a user.
    pub async fn applications_of(&self, owner_id: i64) -> Result<Vec<ApplicationRow>> {
        self.db
            .all(
                format!("select {APP_COLS} from applications where owner_id = $1 order by id"),
                args![owner_id],
            )
            .await
    }

    /// Updates name, description, flags and bot_public.
    pub async fn update_application(&self, a: &ApplicationRow) -> Result<()> {
        let n = self
            .db
            .exec(
                "update applications set name = $1, description = $2, flags = $3, bot_public = $4, icon = $5 where id = $6",
                args![&a.name, &a.description, a.flags, a.bot_public, a.icon.clone(), a.id],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Marks that the application has its bot user.
    pub async fn set_has_bot(&self, id: i64) -> Result<()> {
        self.db
            .exec(
                "update applications set has_bot = $1 where id = $2",
                args![true, id],
            )
            .await?;
        Ok(())
    }

    /// Revokes every token of a user and stores a new one (bot token reset), atomically.
    pub async fn replace_tokens(&self, user_id: i64, hash: &[u8], now: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.exec("delete from auth_tokens where user_id = $1", args![user_id])
            .await?;
        tx.exec(
            "insert into auth_tokens (token_hash, user_id, created_at) values ($1, $2, $3)",
            args![hash, user_id, now],
        )
        .await?;
        let done = tx.commit().await;
        self.cache.drop_user(user_id);
        done
    }

    /// Commands of an application in a scope (0 = global), by name.
    pub async fn commands(&self, application_id: i64, scope: i64) -> Result<Vec<CommandRow>> {
        self.db
            .all(
                format!("select {COMMAND_COLS} from application_commands where application_id = $1 and scope = $2 order by type, name"),
                args![application_id, scope],
            )
            .await
    }

    /// One command.
    pub async fn command(&self, application_id: i64, id: i64) -> Result<Option<CommandRow>> {
        self.db
            .opt(format!("select {COMMAND_COLS} from application_commands where application_id = $1 and id = $2"), args![application_id, id])
            .await
    }

    /// Every command usable in a guild: global ones of applications whose bot is a member, and
    /// the guild's own.
    pub async fn guild_command_index(&self, guild_id: i64) -> Result<Vec<CommandRow>> {
        self.db
            .all(
                format!(
                    "select {COMMAND_COLS} from application_commands c where (c.scope = $1 or c.scope = 0) \
                     and exists (select 1 from members m where m.guild_id = $1 and m.user_id = c.application_id) \
                     order by c.application_id, c.type, c.name"
                ),
                args![guild_id],
            )
            .await
    }

    /// Creates a command or replaces the one with the same (scope, type, name); returns the row.
    pub async fn upsert_command(&self, c: &NewCommand) -> Result<(CommandRow, bool)> {
        let mut tx = self.db.begin().await?;
        let existing: Option<CommandRow> = tx
            .opt(
                format!(
                    "select {COMMAND_COLS} from application_commands where application_id = $1 and scope = $2 and type = $3 and name = $4"
                ),
                args![c.application_id, c.scope, c.kind, &c.name],
            )
            .await?;
        let (id, created) = match &existing {
            Some(e) => {
                tx.exec(
                    "update application_commands set body = $1, version = $2 where id = $3",
                    args![&c.body, c.version, e.id],
                )
                .await?;
                (e.id, false)
            }
            None => {
                tx.exec(
                    "insert into application_commands (id, application_id, scope, type, name, body, version) values ($1, $2, $3, $4, $5, $6, $7)",
                    args![c.id, c.application_id, c.scope, c.kind, &c.name, &c.body, c.version],
                )
                .await?;
                (c.id, true)
            }
        };
        let row: Option<CommandRow> = tx
            .opt(
                format!("select {COMMAND_COLS} from application_commands where id = $1"),
                args![id],
            )
            .await?;
        tx.commit().await?;
        Ok((row.ok_or(StoreError::NotFound)?, created))
    }

    /// Replaces one command by id (name or type may change).
    pub async fn update_command(&self, id: i64, c: &NewCommand) -> Result<()> {
        let n = self
            .db
            .exec(
                "update application_commands set name = $1, type = $2, body = $3, version = $4 where id = $5 and application_id = $6",
                args![&c.name, c.kind, &c.body, c.version, id, c.application_id],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Deletes a command.
    pub async fn delete_command(&self, application_id: i64, id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from application_commands where id = $1 and application_id = $2",
                args![id, application_id],
            )
            .await?
            > 0)
    }

    /// Bulk overwrite: the scope's commands become exactly `cmds` (same-name commands keep their
    /// ids), in one transaction.
    pub async fn overwrite_commands(
        &self,
        application_id: i64,
        scope: i64,
        cmds: &[NewCommand],
    ) -> Result<Vec<CommandRow>> {
        let mut tx = self.db.begin().await?;
        let existing: Vec<CommandRow> = tx
            .all(format!("select {COMMAND_COLS} from application_commands where application_id = $1 and scope = $2"), args![application_id, scope])
            .await?;
        let mut keep = Vec::new();
        for c in cmds {
            match existing
                .iter()
                .find(|e| e.kind == c.kind && e.name == c.name)
            {
                Some(e) => {
                    tx.exec(
                        "update application_commands set body = $1, version = $2 where id = $3",
                        args![&c.body, c.version, e.id],
                    )
                    .await?;
                    keep.push(e.id);
                }
                None => {
                    tx.exec(
                        "insert into application_commands (id, application_id, scope, type, name, body, version) values ($1, $2, $3, $4, $5, $6, $7)",
                        args![c.id, application_id, scope, c.kind, &c.name, &c.body, c.version],
                    )
                    .await?;
                    keep.push(c.id);
                }
            }
        }
        for e in existing.iter().filter(|e| !keep.contains(&e.id)) {
            tx.exec(
                "delete from application_commands where id = $1",
                args![e.id],
            )
            .await?;
        }
        let rows: Vec<CommandRow> = tx
            .all(
                format!("select {COMMAND_COLS} from application_commands where application_id = $1 and scope = $2 order by type, name"),
                args![application_id, scope],
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }
}
