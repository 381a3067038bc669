//! Interactions: their tokens (hashed) and whether they were answered.

use crate::db::args;
use crate::{InteractionRow, Result, Store};

const COLS: &str = "id, application_id, token_hash, type, guild_id, channel_id, user_id, message_id, name, created_at, \
    response_type, response_message_id, ephemeral_message";

impl Store {
    /// Stores a new interaction.
    pub async fn create_interaction(&self, i: &InteractionRow) -> Result<()> {
        self.db
            .exec(
                format!("insert into interactions ({COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
                args![i.id, i.application_id, i.token_hash.clone(), i.kind, i.guild_id, i.channel_id, i.user_id, i.message_id, &i.name,
                    i.created_at, i.response_type, i.response_message_id, i.ephemeral_message.clone()],
            )
            .await?;
        Ok(())
    }

    /// An interaction by id.
    pub async fn interaction(&self, id: i64) -> Result<Option<InteractionRow>> {
        self.db
            .opt(
                format!("select {COLS} from interactions where id = $1"),
                args![id],
            )
            .await
    }

    /// An interaction of an application by token hash (follow-ups).
    pub async fn interaction_by_token(
        &self,
        application_id: i64,
        hash: &[u8],
    ) -> Result<Option<InteractionRow>> {
        self.db
            .opt(
                format!(
                    "select {COLS} from interactions where application_id = $1 and token_hash = $2"
                ),
                args![application_id, hash],
            )
            .await
    }

    /// Records the initial response; false if one was already recorded (atomic check-and-set).
    pub async fn respond_interaction(&self, id: i64, response_type: i64) -> Result<bool> {
        Ok(self
            .db
            .exec("update interactions set response_type = $1 where id = $2 and response_type is null", args![response_type, id])
            .await?
            > 0)
    }

    /// Links the response message (or stores an ephemeral one).
    pub async fn set_interaction_message(
        &self,
        id: i64,
        message_id: Option<i64>,
        ephemeral: Option<String>,
    ) -> Result<()> {
        self.db
            .exec(
                "update interactions set response_message_id = $1, ephemeral_message = $2 where id = $3",
                args![message_id, ephemeral, id],
            )
            .await?;
        Ok(())
    }

    /// Deletes interactions older than `before` (their tokens are dead).
    pub async fn prune_interactions(&self, before: i64) -> Result<u64> {
        self.db
            .exec(
                "delete from interactions where created_at < $1",
                args![before],
            )
            .await
    }
}
