//! Polls on messages: the poll beside its message, one row per (voter, answer).

use crate::db::{Arg, args, placeholders};
use crate::{Result, Store};
use sqlx::FromRow;

/// A poll as stored.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PollRow {
    /// Its message.
    pub message_id: i64,
    /// The message's channel.
    pub channel_id: i64,
    /// Question media (JSON).
    pub question: String,
    /// Answers with their ids (JSON array).
    pub answers: String,
    /// Several answers may be chosen.
    pub allow_multiselect: bool,
    /// Layout.
    pub layout_type: i64,
    /// When it ends (ms).
    pub expires_at: i64,
    /// Ended, counts final.
    pub finalized: bool,
}

/// Votes for one answer of one poll, and whether the viewer is among them.
#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct PollCountRow {
    /// Poll message.
    pub message_id: i64,
    /// Answer.
    pub answer_id: i64,
    /// Votes.
    pub n: i64,
    /// 1 if the viewer voted for it.
    pub me: i64,
}

const POLL_COLS: &str = "message_id, channel_id, question, answers, allow_multiselect, layout_type, expires_at, finalized";

pub(crate) async fn insert_poll(tx: &mut crate::db::Tx, p: &PollRow) -> Result<()> {
    tx.exec(
        format!("insert into polls ({POLL_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8)"),
        args![
            p.message_id,
            p.channel_id,
            &p.question,
            &p.answers,
            p.allow_multiselect,
            p.layout_type,
            p.expires_at,
            p.finalized
        ],
    )
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct AnswerId {
    answer_id: i64,
}

impl Store {
    /// Polls of the given messages.
    pub async fn polls(&self, ids: &[i64]) -> Result<Vec<PollRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "select {POLL_COLS} from polls where message_id in ({})",
            placeholders(1, ids.len())
        );
        self.db
            .all(sql, ids.iter().map(|i| Arg::from(*i)).collect())
            .await
    }

    /// Vote counts of the given polls, with the viewer's choices.
    pub async fn poll_counts(&self, ids: &[i64], viewer: i64) -> Result<Vec<PollCountRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "select message_id, answer_id, count(*) as n, sum(case when user_id = $1 then 1 else 0 end) as me \
             from poll_votes where message_id in ({}) group by message_id, answer_id order by message_id, answer_id",
            placeholders(2, ids.len())
        );
        let mut a = args![viewer];
        a.extend(ids.iter().map(|i| Arg::from(*i)));
        self.db.all(sql, a).await
    }

    /// Replaces a user's choices; returns `(added, removed)` answer ids.
    pub async fn set_poll_votes(
        &self,
        message_id: i64,
        user: i64,
        answers: &[i64],
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let mut tx = self.db.begin().await?;
        let old: Vec<AnswerId> = tx
            .all(
                "select answer_id from poll_votes where message_id = $1 and user_id = $2",
                args![message_id, user],
            )
            .await?;
        let old: Vec<i64> = old.into_iter().map(|a| a.answer_id).collect();
        let added: Vec<i64> = answers
            .iter()
            .copied()
            .filter(|a| !old.contains(a))
            .collect();
        let removed: Vec<i64> = old
            .iter()
            .copied()
            .filter(|a| !answers.contains(a))
            .collect();
        for a in &removed {
            tx.exec(
                "delete from poll_votes where message_id = $1 and user_id = $2 and answer_id = $3",
                args![message_id, user, *a],
            )
            .await?;
        }
        for a in &added {
            tx.exec(
                "insert into poll_votes (message_id, answer_id, user_id) values ($1, $2, $3)",
                args![message_id, *a, user],
            )
            .await?;
        }
        tx.commit().await?;
        Ok((added, removed))
    }

    /// Voters for one answer by user id after `after`.
    pub async fn poll_voters(
        &self,
        message_id: i64,
        answer: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let rows: Vec<crate::IdRow> = self
            .db
            .all(
                "select user_id as id from poll_votes where message_id = $1 and answer_id = $2 and user_id > $3 \
                 order by user_id limit $4",
                args![message_id, answer, after, limit],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Ends a poll now; false if it had already ended.
    pub async fn finalize_poll(&self, message_id: i64, now: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                format!(
                    "update polls set finalized = $1, expires_at = case when expires_at < $2 then expires_at else $2 end \
                     where message_id = $3 and finalized = {}",
                    crate::db::bool_lit(self.engine(), false)
                ),
                args![true, now, message_id],
            )
            .await?
            > 0)
    }

    /// Polls past their end that are not yet finalized.
    pub async fn due_polls(&self, now: i64, limit: i64) -> Result<Vec<PollRow>> {
        self.db
            .all(
                format!(
                    "select {POLL_COLS} from polls where finalized = {} and expires_at <= $1 order by expires_at limit $2",
                    crate::db::bool_lit(self.engine(), false)
                ),
                args![now, limit],
            )
            .await
    }
}
