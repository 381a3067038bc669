//! Applying AutoMod rules: which rules fire on a message, edit, thread title or nickname, and
//! their actions (block, alert, timeout, hold for review, report), each audited and dispatched
//! as AUTO_MODERATION_ACTION_EXECUTION.

use super::engine::Hit;
use super::{Compiled, classifier, rule_set};
use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::ApiError;
use crate::service::audit::{self, Entry};
use crate::service::messages::{post_system, system_row};
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::reports::{self, Reported};
use coterie_model::message::kind;
use coterie_model::moderation::{AutoModAction, action, action_kind, trigger};
use coterie_model::{Intents, Permissions};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

/// The same text this many times within [`SPAM_WINDOW_MS`] is spam.
const SPAM_REPEATS: usize = 3;
const SPAM_WINDOW_MS: i64 = 30_000;
/// Links in one message that make it spam.
const SPAM_LINKS: usize = 10;
/// Distinct members hitting a mention-spam rule within [`RAID_WINDOW_MS`] make a raid.
const RAID_MEMBERS: usize = 3;
const RAID_WINDOW_MS: i64 = 300_000;
/// Bound on remembered (guild, member) pairs.
const RECENT_CAP: usize = 50_000;

/// Short memories of recent messages (duplicate spam) and mention-spam hits (raids).
#[derive(Debug, Default)]
pub struct Recent {
    msgs: HashMap<(i64, i64), VecDeque<(i64, u64)>>,
    raids: HashMap<i64, VecDeque<(i64, i64)>>,
}

impl Recent {
    /// Records a message; true when it repeats enough recent ones to be spam.
    fn repeated(&mut self, guild: i64, user: i64, text: &str, now: i64) -> bool {
        if self.msgs.len() > RECENT_CAP {
            self.msgs
                .retain(|_, q| q.back().is_some_and(|(t, _)| now - t < SPAM_WINDOW_MS));
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.trim().to_lowercase().hash(&mut h);
        let h = h.finish();
        let q = self.msgs.entry((guild, user)).or_default();
        while q.front().is_some_and(|(t, _)| now - t >= SPAM_WINDOW_MS) {
            q.pop_front();
        }
        q.push_back((now, h));
        if q.len() > 20 {
            q.pop_front();
        }
        q.iter().filter(|(_, x)| *x == h).count() >= SPAM_REPEATS
    }

    /// Records a mention-spam hit; true when it completes a raid.
    fn raid(&mut self, guild: i64, user: i64, now: i64) -> bool {
        let q = self.raids.entry(guild).or_default();
        while q.front().is_some_and(|(t, _)| now - t >= RAID_WINDOW_MS) {
            q.pop_front();
        }
        q.push_back((now, user));
        if q.len() > 100 {
            q.pop_front();
        }
        let mut users: Vec<i64> = q.iter().map(|(_, u)| *u).collect();
        users.sort_unstable();
        users.dedup();
        if users.len() >= RAID_MEMBERS {
            q.clear();
            return true;
        }
        false
    }
}

/// What is being screened.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A message being sent or edited; `message_id` is the id it has or will have.
    Message {
        /// Where.
        ctx: &'a ChannelCtx,
        /// Text.
        content: &'a str,
        /// Its id.
        message_id: i64,
    },
    /// A thread or forum post title.
    ThreadTitle {
        /// The parent channel (or the thread).
        ctx: &'a ChannelCtx,
        /// Title.
        name: &'a str,
    },
    /// A nickname being set.
    Nickname {
        /// The guild.
        guild: &'a GuildCtx,
        /// The nickname.
        nick: &'a str,
    },
}

impl Subject<'_> {
    fn guild(&self) -> Option<&GuildCtx> {
        match self {
            Self::Message { ctx, .. } | Self::ThreadTitle { ctx, .. } => ctx.guild.as_ref(),
            Self::Nickname { guild, .. } => Some(guild),
        }
    }

    fn channels(&self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Message { ctx, .. } | Self::ThreadTitle { ctx, .. } => (
                Some(ctx.channel.id),
                ctx.thread.as_ref().map(|t| t.parent.id),
            ),
            Self::Nickname { .. } => (None, None),
        }
    }

    fn text(&self) -> &str {
        match self {
            Self::Message { content, .. } => content,
            Self::ThreadTitle { name, .. } => name,
            Self::Nickname { nick, .. } => nick,
        }
    }
}

/// Rules whose REPORT action files a report once the message exists.
#[derive(Debug, Default)]
pub struct Verdict {
    reports: Vec<String>,
}

fn applies(c: &Compiled, s: &Subject<'_>, member_roles: &[i64]) -> bool {
    let r = &c.rule;
    let on_names = matches!(
        r.trigger_type,
        trigger::MEMBER_PROFILE | trigger::KEYWORD | trigger::KEYWORD_PRESET
    );
    let ok = match s {
        Subject::Message { .. } | Subject::ThreadTitle { .. } => {
            super::engine::on_messages(r.trigger_type)
        }
        Subject::Nickname { .. } => on_names,
    };
    if !ok
        || r.exempt_roles
            .iter()
            .any(|x| member_roles.contains(&x.get()))
    {
        return false;
    }
    let (ch, parent) = s.channels();
    !r.exempt_channels
        .iter()
        .any(|x| Some(x.get()) == ch || Some(x.get()) == parent)
}

fn evaluate(app: &AppState, c: &Compiled, s: &Subject<'_>, gid: i64, uid: i64) -> Option<Hit> {
    let text = s.text();
    let m = &c.rule.trigger_metadata;
    let flag = || Hit {
        keyword: String::new(),
        content: String::new(),
    };
    match c.rule.trigger_type {
        trigger::KEYWORD | trigger::KEYWORD_PRESET | trigger::MEMBER_PROFILE => {
            c.text.as_ref()?.find(text)
        }
        trigger::MENTION_SPAM => {
            let Subject::Message { .. } = s else {
                return None;
            };
            let p = coterie_model::mentions::parse(text);
            let n = p.users.len() + p.roles.len();
            if n <= m.mention_total_limit.unwrap_or(50) as usize {
                return None;
            }
            if m.mention_raid_protection_enabled
                && let Ok(mut r) = app.automod.recent.lock()
                && r.raid(gid, uid, app.now())
            {
                let app = app.clone();
                tokio::spawn(async move {
                    crate::service::moderation::raid_detected(&app, gid, "mention spam").await;
                });
            }
            Some(flag())
        }
        trigger::SPAM => {
            let Subject::Message { .. } = s else {
                return None;
            };
            let links = text.matches("http://").count() + text.matches("https://").count();
            let repeated = app
                .automod
                .recent
                .lock()
                .is_ok_and(|mut r| r.repeated(gid, uid, text, app.now()));
            (repeated || links >= SPAM_LINKS).then(flag)
        }
        trigger::TOXICITY | trigger::SPAM_CLASSIFIER => {
            let model = if c.rule.trigger_type == trigger::TOXICITY {
                classifier::toxicity()
            } else {
                classifier::spam()
            }?;
            let score = model.score(text);
            (score >= m.threshold.unwrap_or(0.8)).then(|| Hit {
                keyword: format!("{}≥{:.2}", model.name, m.threshold.unwrap_or(0.8)),
                content: format!("{score:.3}"),
            })
        }
        _ => None,
    }
}

/// Screens `s` written by `author`: runs every action of every rule that fires, and fails with
/// 400 code 200000 when one of them blocks it. Members with ADMINISTRATOR or MANAGE_GUILD, and
/// content outside guilds, are never screened.
pub async fn screen(app: &AppState, author: i64, s: Subject<'_>) -> Result<Verdict, ApiError> {
    let mut verdict = Verdict::default();
    let Some(g) = s.guild() else {
        return Ok(verdict);
    };
    if g.base()
        .intersects(Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD)
    {
        return Ok(verdict);
    }
    let gid = g.guild.id;
    let set = rule_set(app, gid).await?;
    if set.rules.is_empty() {
        return Ok(verdict);
    }
    let mut blocked: Option<(i64, Option<String>)> = None;
    for c in &set.rules {
        if !applies(c, &s, &g.member.roles) {
            continue;
        }
        let Some(hit) = evaluate(app, c, &s, gid, author) else {
            continue;
        };
        for a in &c.rule.actions {
            execute(app, c, a, &s, author, &hit, &mut blocked, &mut verdict).await?;
        }
    }
    match blocked {
        Some((rule_id, custom_message)) => Err(ApiError::AutoModBlocked {
            custom_message,
            rule_id,
        }),
        None => Ok(verdict),
    }
}

#[expect(clippy::too_many_arguments, reason = "one action's whole context")]
async fn execute(
    app: &AppState,
    c: &Compiled,
    a: &AutoModAction,
    s: &Subject<'_>,
    author: i64,
    hit: &Hit,
    blocked: &mut Option<(i64, Option<String>)>,
    verdict: &mut Verdict,
) -> Result<(), ApiError> {
    let Some(g) = s.guild() else { return Ok(()) };
    let gid = g.guild.id;
    let r = &c.rule;
    let (channel, _) = s.channels();
    let message_id = match s {
        Subject::Message { message_id, .. } => Some(*message_id),
        _ => None,
    };
    let mut options = json!({
        "auto_moderation_rule_name": r.name,
        "auto_moderation_rule_trigger_type": r.trigger_type.to_string(),
    });
    if let Some(ch) = channel {
        options["channel_id"] = json!(ch.to_string());
    }
    let entry = |t: u16| Entry::new(t, Some(author), Some(author)).options(options.clone());
    let reason = Some(format!("AutoMod rule \"{}\"", r.name));
    let mut alert_id = None;
    match a.kind {
        action_kind::BLOCK_MESSAGE | action_kind::BLOCK_MEMBER_INTERACTION => {
            if blocked.is_none() {
                *blocked = Some((r.id.get(), a.metadata.custom_message.clone()));
            }
            audit::record_with_reason(
                app,
                gid,
                entry(action::AUTO_MODERATION_BLOCK_MESSAGE),
                reason,
            )
            .await;
        }
        action_kind::SEND_ALERT_MESSAGE => {
            if let Some(to) = a.metadata.channel_id {
                alert_id = alert(app, to.get(), gid, author, c, s, hit).await;
            }
            audit::record_with_reason(
                app,
                gid,
                entry(action::AUTO_MODERATION_FLAG_TO_CHANNEL),
                reason,
            )
            .await;
        }
        action_kind::TIMEOUT => {
            let secs = i64::from(a.metadata.duration_seconds.unwrap_or(60));
            let until = app.now() + secs * 1000;
            crate::service::members::set_timeout(app, gid, author, Some(until)).await?;
            audit::record_with_reason(
                app,
                gid,
                entry(action::AUTO_MODERATION_USER_COMMUNICATION_DISABLED),
                reason,
            )
            .await;
        }
        action_kind::HOLD_FOR_REVIEW => {
            report_unsent(
                app,
                gid,
                channel,
                author,
                s,
                &format!("Held by AutoMod rule \"{}\"", r.name),
            )
            .await?;
            if blocked.is_none() {
                *blocked = Some((
                    r.id.get(),
                    Some("Your message is waiting for a moderator's review.".to_owned()),
                ));
            }
            audit::record_with_reason(
                app,
                gid,
                entry(action::AUTO_MODERATION_HOLD_MESSAGE),
                reason,
            )
            .await;
        }
        action_kind::REPORT => match s {
            Subject::Message { .. } => verdict.reports.push(r.name.clone()),
            _ => {
                report_unsent(
                    app,
                    gid,
                    channel,
                    author,
                    s,
                    &format!("Flagged by AutoMod rule \"{}\"", r.name),
                )
                .await?;
            }
        },
        _ => {}
    }
    let mut d = json!({
        "guild_id": gid.to_string(),
        "action": a,
        "rule_id": r.id,
        "rule_trigger_type": r.trigger_type,
        "user_id": author.to_string(),
        "content": s.text(),
        "matched_keyword": if hit.keyword.is_empty() { Value::Null } else { json!(hit.keyword) },
        "matched_content": if hit.content.is_empty() { Value::Null } else { json!(hit.content) },
    });
    if let Some(ch) = channel {
        d["channel_id"] = json!(ch.to_string());
    }
    if let Some(m) = message_id.filter(|_| blocked.is_none()) {
        d["message_id"] = json!(m.to_string());
    }
    if let Some(id) = alert_id {
        d["alert_system_message_id"] = json!(id.to_string());
    }
    // Without MESSAGE_CONTENT, sessions get the event with the text fields empty (as in Discord).
    let mut stripped = d.clone();
    for k in ["content", "matched_keyword", "matched_content"] {
        stripped[k] = json!("");
    }
    app.bus
        .publish(
            Event::new(
                "AUTO_MODERATION_ACTION_EXECUTION",
                &d,
                Audience::GuildPerm {
                    guild: gid,
                    perm: Permissions::MANAGE_GUILD.0,
                },
                Intents::AUTO_MODERATION_EXECUTION,
            )
            .with_stripped(&stripped, vec![]),
        )
        .await;
    Ok(())
}

/// Files an AutoMod report about text that is not (or not yet) a message.
async fn report_unsent(
    app: &AppState,
    gid: i64,
    channel: Option<i64>,
    author: i64,
    s: &Subject<'_>,
    why: &str,
) -> Result<(), ApiError> {
    let what = Reported {
        guild_id: gid,
        channel_id: channel,
        message_id: None,
        target: author,
        content: Some(s.text().to_owned()),
    };
    reports::file(app, what, None, why.to_owned()).await?;
    Ok(())
}

/// Posts AutoMod's alert (type 24, authored by the member, with the rule and match in an
/// `auto_moderation_message` embed). Failures are logged: the alert must not undo the verdict.
async fn alert(
    app: &AppState,
    channel_id: i64,
    gid: i64,
    author: i64,
    c: &Compiled,
    s: &Subject<'_>,
    hit: &Hit,
) -> Option<i64> {
    let (channel, _) = s.channels();
    let mut fields = vec![json!({"name": "rule_name", "value": c.rule.name, "inline": false})];
    if let Some(ch) = channel {
        fields.push(json!({"name": "channel_id", "value": ch.to_string(), "inline": false}));
    }
    if !hit.keyword.is_empty() {
        fields.push(json!({"name": "keyword", "value": hit.keyword, "inline": false}));
        fields.push(
            json!({"name": "keyword_matched_content", "value": hit.content, "inline": false}),
        );
    }
    let embed = json!([{
        "type": "auto_moderation_message",
        "description": s.text(),
        "fields": fields,
    }]);
    let id = app.ids.next_i64();
    let mut row = system_row(
        id,
        channel_id,
        Some(gid),
        author,
        kind::AUTO_MODERATION_ACTION,
        None,
    );
    row.embeds = embed.to_string();
    let posted = async {
        let ctx = ChannelCtx::system(app, channel_id, author).await?;
        post_system(app, &ctx, author, row).await
    };
    match posted.await {
        Ok(()) => Some(id),
        Err(e) => {
            tracing::warn!(guild.id = gid, channel.id = channel_id, error = %e, "AutoMod alert not posted");
            None
        }
    }
}

/// Files the reports a message's REPORT actions asked for, now that it exists.
pub async fn after_post(
    app: &AppState,
    ctx: &ChannelCtx,
    author: i64,
    verdict: Verdict,
    message_id: i64,
    content: &str,
) -> Result<(), ApiError> {
    let Some(gid) = ctx.guild_id() else {
        return Ok(());
    };
    for rule in verdict.reports {
        let what = Reported {
            guild_id: gid,
            channel_id: Some(ctx.channel.id),
            message_id: Some(message_id),
            target: author,
            content: Some(content.to_owned()),
        };
        reports::file(
            app,
            what,
            None,
            format!("Flagged by AutoMod rule \"{rule}\""),
        )
        .await?;
    }
    Ok(())
}
