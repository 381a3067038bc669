//! One suite, both engines: every test runs on SQLite always, and on PostgreSQL too when
//! `TEST_DATABASE_URL` is set (each run in a fresh schema).

use coterie_store::*;

type R = std::result::Result<(), Box<dyn std::error::Error>>;

async fn stores() -> Vec<(&'static str, Store)> {
    #![expect(clippy::expect_used, reason = "test setup")]
    let dir = std::env::temp_dir().join(format!("coterie-conf-{}-{}", std::process::id(), uniq()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut v = vec![];
    let sqlite = Store::open(&DbConfig::Sqlite {
        path: dir.join("c.db"),
        readers: 2,
    })
    .await
    .expect("sqlite");
    sqlite.migrate(0).await.expect("migrate sqlite");
    v.push(("sqlite", sqlite));
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        let schema = format!("conf_{}_{}", std::process::id(), uniq());
        let pg = Store::open(&DbConfig::Postgres {
            url,
            max_connections: 4,
            schema: Some(schema),
        })
        .await
        .expect("postgres");
        pg.migrate(0).await.expect("migrate postgres");
        v.push(("postgres", pg));
    }
    v
}

fn uniq() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t % 1_000_000_000 + N.fetch_add(1, Ordering::Relaxed)
}

fn user(id: i64, name: &str) -> NewUser {
    NewUser {
        id,
        username: name.into(),
        email: Some(format!("{name}@example.com")),
        password_hash: "x".into(),
        bot: false,
        global_name: None,
        created_at: 1,
    }
}

fn guild(id: i64, owner: i64) -> NewGuild {
    NewGuild {
        id,
        name: "g".into(),
        owner_id: owner,
        everyone_permissions: 1024 | 2048,
        category_id: id + 1,
        text_channel_id: id + 2,
        voice_category_id: id + 3,
        voice_channel_id: id + 4,
        now: 5,
    }
}

/// A plain role at `position` with `permissions`.
fn role(id: i64, guild: i64, position: i64, permissions: i64) -> RoleRow {
    RoleRow {
        id,
        guild_id: guild,
        name: format!("r{id}"),
        color: 0,
        hoist: false,
        position,
        permissions,
        managed: false,
        mentionable: false,
        icon: None,
        unicode_emoji: None,
        flags: 0,
        bot_id: None,
    }
}

fn msg(id: i64, channel: i64, author: i64) -> NewMessage {
    NewMessage {
        row: MessageRow {
            id,
            channel_id: channel,
            guild_id: None,
            author_id: author,
            kind: 0,
            content: format!("m{id}"),
            flags: 0,
            tts: false,
            mention_everyone: false,
            mention_users: "[]".into(),
            mention_roles: "[]".into(),
            embeds: "[]".into(),
            components: "[]".into(),
            nonce: None,
            pinned_at: None,
            edited_at: None,
            ref_message_id: None,
            ref_channel_id: None,
            ref_guild_id: None,
            ..Default::default()
        },
        mention_user_ids: vec![],
        mention_role_ids: vec![],
        poll: None,
        attachment_ids: vec![],
    }
}

#[tokio::test]
async fn the_first_account_administers_the_instance_and_usernames_are_unique_ignoring_case() -> R {
    for (engine, s) in stores().await {
        let a = s.create_user(user(1, "Alice")).await?;
        let b = s.create_user(user(2, "bob")).await?;
        assert!(a.instance_admin, "{engine}");
        assert!(!b.instance_admin, "{engine}");
        let dup = s
            .create_user(NewUser {
                email: None,
                ..user(3, "ALICE")
            })
            .await;
        assert!(
            matches!(
                dup,
                Err(StoreError::Conflict {
                    constraint: "users_username_lower_key"
                })
            ),
            "{engine}: {dup:?}"
        );
        let dup_mail = s
            .create_user(NewUser {
                email: Some("BOB@example.com".into()),
                ..user(4, "carol")
            })
            .await;
        assert!(
            matches!(
                dup_mail,
                Err(StoreError::Conflict {
                    constraint: "users_email_lower_key"
                })
            ),
            "{engine}"
        );
        assert_eq!(
            s.user_by_login("alice@EXAMPLE.com").await?.map(|u| u.id),
            Some(1),
            "{engine}"
        );
        assert_eq!(
            s.user_by_login("ALICE").await?.map(|u| u.id),
            Some(1),
            "{engine}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn tokens_are_found_by_hash_and_revoked_on_password_change() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.insert_token(b"h1", 1, 1).await?;
        s.insert_token(b"h2", 1, 1).await?;
        assert_eq!(
            s.user_by_token(b"h1").await?.map(|u| u.id),
            Some(1),
            "{engine}"
        );
        s.set_password(1, "new", Some(b"h2")).await?;
        assert!(s.user_by_token(b"h1").await?.is_none(), "{engine}");
        assert!(s.user_by_token(b"h2").await?.is_some(), "{engine}");
        assert!(s.delete_token(b"h2").await?, "{engine}");
        assert!(s.user_by_token(b"h2").await?.is_none(), "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn a_new_guild_has_everyone_default_channels_and_its_owner_as_member() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_guild(guild(100, 1)).await?;
        let roles = s.roles(100).await?;
        assert_eq!(roles.len(), 1, "{engine}");
        assert_eq!(roles[0].id, 100, "{engine}");
        let chans = s.guild_channels(100).await?;
        assert_eq!(chans.len(), 4, "{engine}");
        assert!(s.member(100, 1).await?.is_some(), "{engine}");
        assert_eq!(s.member_count(100).await?, 1, "{engine}");
        s.delete_guild(100).await?;
        assert!(s.guild(100).await?.is_none(), "{engine}");
        assert!(s.guild_channels(100).await?.is_empty(), "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn the_member_count_follows_joins_leaves_and_bans() -> R {
    for (engine, s) in stores().await {
        for (i, n) in ["alice", "bob", "carol"].iter().enumerate() {
            s.create_user(user(i as i64 + 1, n)).await?;
        }
        s.create_guild(guild(100, 1)).await?;
        assert!(s.add_member(100, 2, 5, false, false).await?, "{engine}");
        assert!(s.add_member(100, 3, 5, false, false).await?, "{engine}");
        assert!(!s.add_member(100, 3, 6, false, false).await?, "{engine}");
        assert_eq!(s.member_count(100).await?, 3, "{engine}");
        assert!(s.remove_member(100, 2).await?, "{engine}");
        assert!(!s.remove_member(100, 2).await?, "{engine}");
        s.ban(
            &BanRow {
                guild_id: 100,
                user_id: 3,
                reason: None,
                created_at: 1,
            },
            None,
        )
        .await?;
        assert_eq!(s.member_count(100).await?, 1, "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn history_pages_come_newest_first_in_every_direction() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_guild(guild(100, 1)).await?;
        for id in 1000..1010 {
            s.create_message(&msg(id, 102, 1)).await?;
        }
        let ids = |v: Vec<MessageRow>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.messages(102, MessagePage::Latest, 3).await?),
            vec![1009, 1008, 1007],
            "{engine}"
        );
        assert_eq!(
            ids(s.messages(102, MessagePage::Before(1005,), 2).await?),
            vec![1004, 1003],
            "{engine}"
        );
        assert_eq!(
            ids(s.messages(102, MessagePage::After(1002), 3).await?),
            vec![1005, 1004, 1003],
            "{engine}"
        );
        assert_eq!(
            ids(s.messages(102, MessagePage::Around(1005), 4).await?),
            vec![1006, 1005, 1004, 1003],
            "{engine}"
        );
        assert_eq!(
            s.channel(102).await?.and_then(|c| c.last_message_id),
            Some(1009),
            "{engine}"
        );
        let gone = s.bulk_delete_messages(102, &[1001, 1002, 5555]).await?;
        assert_eq!(gone, vec![1001, 1002], "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn an_invite_counts_uses_and_disappears_when_used_up_and_banned_users_cannot_join() -> R {
    for (engine, s) in stores().await {
        for (i, n) in ["alice", "bob", "carol", "dave"].iter().enumerate() {
            s.create_user(user(i as i64 + 1, n)).await?;
        }
        s.create_guild(guild(100, 1)).await?;
        let inv = InviteRow {
            code: "abc".into(),
            guild_id: 100,
            channel_id: 102,
            inviter_id: Some(1),
            max_age: 0,
            max_uses: 2,
            uses: 0,
            temporary: false,
            created_at: 1,
            expires_at: None,
        };
        s.create_invite(&inv).await?;
        s.ban(
            &BanRow {
                guild_id: 100,
                user_id: 4,
                reason: None,
                created_at: 1,
            },
            None,
        )
        .await?;
        assert!(
            matches!(
                s.use_invite("abc", 4, 10, false).await,
                Err(StoreError::Conflict { .. })
            ),
            "{engine}"
        );
        let u = s.use_invite("abc", 2, 10, false).await?;
        assert!(u.joined && !u.exhausted, "{engine}");
        let again = s.use_invite("abc", 2, 10, false).await?;
        assert!(
            !again.joined,
            "{engine}: a member re-using an invite does not use it up"
        );
        let u = s.use_invite("abc", 3, 10, false).await?;
        assert!(u.exhausted, "{engine}");
        assert!(s.invite("abc", 10).await?.is_none(), "{engine}");
        assert!(
            matches!(
                s.use_invite("abc", 4, 10, false).await,
                Err(StoreError::NotFound)
            ),
            "{engine}"
        );
        s.create_invite(&InviteRow {
            code: "old".into(),
            expires_at: Some(50),
            ..inv.clone()
        })
        .await?;
        assert!(s.invite("old", 49).await?.is_some(), "{engine}");
        assert!(s.invite("old", 50).await?.is_none(), "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn reactions_and_mentions_are_counted_per_viewer() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_user(user(2, "bob")).await?;
        s.create_guild(guild(100, 1)).await?;
        let mut m = msg(1000, 102, 1);
        m.mention_user_ids = vec![2];
        s.create_message(&m).await?;
        let mut e = msg(1001, 102, 1);
        e.row.mention_everyone = true;
        s.create_message(&e).await?;
        let mut r = msg(1002, 102, 1);
        r.mention_role_ids = vec![77];
        s.create_message(&r).await?;
        // (unread, mentions) in channel 102 as READY reads them.
        let counts = |rs: Vec<coterie_store::ReadStateRow>| {
            rs.iter()
                .find(|r| r.channel_id == 102)
                .map(|r| (r.unread, r.mentions))
        };
        assert_eq!(
            counts(s.read_states(2).await?),
            None,
            "{engine}: not a member yet"
        );
        s.add_member(100, 2, 1, false, false).await?;
        assert_eq!(
            counts(s.read_states(2).await?),
            Some((3, 2)),
            "{engine}: the direct mention and @everyone"
        );
        s.create_role(&role(77, 100, 1, 0)).await?;
        assert!(s.add_member_role(100, 2, 77).await?, "{engine}");
        assert_eq!(
            counts(s.read_states(2).await?),
            Some((3, 3)),
            "{engine}: and the role bob now holds"
        );
        s.ack(2, 102, 1000).await?;
        assert_eq!(
            counts(s.read_states(2).await?),
            Some((2, 2)),
            "{engine}: only what is after the ack"
        );
        assert_eq!(
            counts(s.read_states(1).await?),
            Some((3, 1)),
            "{engine}: alice holds no role; @everyone counts for her too"
        );
        assert!(s.add_reaction(1000, "👍", 1, 1).await?);
        assert!(!s.add_reaction(1000, "👍", 1, 2).await?);
        s.add_reaction(1000, "👍", 2, 3).await?;
        s.add_reaction(1000, "🎉", 2, 4).await?;
        let extras = |m: Option<MessageRow>| m.map(|m| m.extras);
        assert_eq!(
            extras(s.message(102, 1000).await?),
            Some(extras::REACTIONS),
            "{engine}: a page holding this message must read reactions"
        );
        assert_eq!(extras(s.message(102, 1001).await?), Some(0), "{engine}");
        let counts = s.reaction_counts(&[1000], 1).await?;
        assert_eq!(counts.len(), 2, "{engine}");
        assert_eq!(
            (counts[0].emoji.as_str(), counts[0].n, counts[0].me),
            ("👍", 2, 1),
            "{engine}"
        );
        assert_eq!(
            (counts[1].emoji.as_str(), counts[1].n, counts[1].me),
            ("🎉", 1, 0),
            "{engine}"
        );
        assert_eq!(
            s.reaction_users(1000, "👍", 0, 10).await?.len(),
            2,
            "{engine}"
        );
        s.ack(2, 102, 1002).await?;
        let rs = s.read_states(2).await?;
        assert!(
            rs.iter().any(|r| r.channel_id == 102
                && r.last_message_id == Some(1002)
                && (r.unread, r.mentions) == (0, 0)),
            "{engine}: acknowledged up to the newest"
        );
    }
    Ok(())
}

#[tokio::test]
async fn dms_are_opened_once_per_pair() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_user(user(2, "bob")).await?;
        let row = ChannelRow {
            id: 500,
            guild_id: None,
            kind: 1,
            name: None,
            topic: None,
            position: 0,
            parent_id: None,
            nsfw: false,
            rate_limit_per_user: 0,
            bitrate: None,
            user_limit: None,
            owner_id: None,
            icon: None,
            last_message_id: None,
            last_pin_at: None,
            flags: 0,
            created_at: 1,
            settings: "{}".to_owned(),
        };
        let (a, created) = s.open_dm(1, 2, &row).await?;
        assert!(created, "{engine}");
        let (b, created) = s
            .open_dm(
                2,
                1,
                &ChannelRow {
                    id: 501,
                    ..row.clone()
                },
            )
            .await?;
        assert!(!created, "{engine}");
        assert_eq!(a.id, b.id, "{engine}");
        assert_eq!(s.dm_recipients(500).await?, vec![1, 2], "{engine}");
        assert_eq!(s.user_dm_channels(2).await?.len(), 1, "{engine}");

        // What IDENTIFY reads first: communities and DM channels in one query.
        assert_eq!(
            s.user_reach(2).await?,
            UserReach {
                guilds: vec![],
                dm_channels: vec![500]
            }
        );
        s.create_guild(guild(300, 1)).await?;
        s.create_guild(guild(200, 2)).await?;
        assert!(s.add_member(300, 2, 7, false, false).await?);
        let reach = s.user_reach(2).await?;
        assert_eq!(reach.guilds, [200, 300], "{engine}");
        assert_eq!(reach.dm_channels, [500], "{engine}");
        assert!(s.remove_member(300, 2).await?);
        assert!(s.remove_dm_recipient(500, 2).await?);
        let reach = s.user_reach(2).await?;
        assert_eq!(
            (reach.guilds, reach.dm_channels),
            (vec![200], vec![]),
            "{engine}"
        );
        assert_eq!(s.user_reach(1).await?.guilds, [300], "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn migrations_run_once() -> R {
    for (engine, s) in stores().await {
        assert_eq!(s.migrate(1).await?, 0, "{engine}");
    }
    Ok(())
}

fn channel(id: i64, guild: i64, kind: i64, parent: Option<i64>) -> ChannelRow {
    ChannelRow {
        id,
        guild_id: Some(guild),
        kind,
        name: Some(format!("c{id}")),
        topic: None,
        position: 0,
        parent_id: parent,
        nsfw: false,
        rate_limit_per_user: 0,
        bitrate: None,
        user_limit: None,
        owner_id: None,
        icon: None,
        last_message_id: None,
        last_pin_at: None,
        flags: 0,
        created_at: 1,
        settings: "{}".to_owned(),
    }
}

/// A post (public thread) in a forum, created at `created` ms.
fn new_post(id: i64, guild: i64, forum: i64, owner: i64, created: i64) -> NewThread {
    let hot = coterie_model::ranking::hot(0, 0, created);
    NewThread {
        channel: channel(id, guild, 11, Some(forum)),
        thread: ThreadRow {
            channel_id: id,
            guild_id: guild,
            parent_id: forum,
            owner_id: owner,
            kind: 11,
            archived: false,
            archive_at: created,
            auto_archive_duration: 4320,
            auto_archive_at: created + 4320 * 60_000,
            locked: false,
            invitable: true,
            pinned: false,
            applied_tags: "[]".into(),
            message_count: 0,
            member_count: 0,
            total_message_sent: 0,
            created_at: created,
            upvotes: 0,
            downvotes: 0,
            score: 0,
            hot,
            controversy: 0,
            active: hot,
            last_comment_at: None,
        },
        tags: vec![],
        members: vec![owner],
    }
}

#[tokio::test]
async fn concurrent_votes_leave_counters_keys_and_karma_exact() -> R {
    for (engine, s) in stores().await {
        let created = 1_767_225_600_000;
        for u in 1..=16 {
            s.create_user(user(u, &format!("u{u}"))).await?;
        }
        s.create_guild(guild(100, 1)).await?;
        s.create_channel(&channel(200, 100, 15, None), &[]).await?;
        s.create_thread(&new_post(300, 100, 200, 1, created))
            .await?;
        // Cached before the votes: karma must not be served stale afterwards.
        s.membership(100, 1).await?;
        let mut tasks = vec![];
        for u in 1..=16_i64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                // Each voter changes their mind a few times; the last value is what counts.
                let seq = [1, -1, 0, 1, 1, -1, (u % 3) - 1];
                for v in seq {
                    s.vote(VoteTarget::Post(300), u, v, 5).await?;
                }
                Ok::<i64, StoreError>((u % 3) - 1)
            }));
        }
        let mut want = (0, 0);
        let mut karma = 0;
        for t in tasks {
            let last = t.await??;
            if last == 1 {
                want.0 += 1;
            } else if last == -1 {
                want.1 += 1;
            }
        }
        for u in 2..=16_i64 {
            karma += (u % 3) - 1;
        }
        assert_eq!(
            s.count_votes(VoteTarget::Post(300)).await?,
            want,
            "{engine}"
        );
        let t = s.thread(300).await?.ok_or("thread")?.thread;
        assert_eq!(
            (t.upvotes, t.downvotes, t.score),
            (want.0, want.1, want.0 - want.1),
            "{engine}"
        );
        assert_eq!(
            t.hot,
            coterie_model::ranking::hot(want.0, want.1, created),
            "{engine}"
        );
        assert_eq!(
            t.controversy,
            coterie_model::ranking::controversy(want.0, want.1),
            "{engine}"
        );
        let owner = s.member(100, 1).await?.ok_or("owner")?;
        assert_eq!(owner.member.karma, karma, "{engine}: votes by others only");
        let cached = s.membership(100, 1).await?.member.map(|m| m.karma);
        assert_eq!(cached, Some(karma), "{engine}");
        s.vote(VoteTarget::Post(300), 2, -1, 6).await?;
        let cached = s.membership(100, 1).await?.member.map(|m| m.karma);
        assert_eq!(
            cached,
            Some(karma - 2),
            "{engine}: a changed vote moves karma"
        );
        s.vote(VoteTarget::Post(300), 2, 1, 6).await?;
        // The same vote again changes nothing; a vote on a missing post finds nothing.
        let again = s
            .vote(VoteTarget::Post(300), 2, 1, 6)
            .await?
            .ok_or("post")?;
        assert!(!again.changed, "{engine}");
        assert!(
            s.vote(VoteTarget::Post(999), 2, 1, 6).await?.is_none(),
            "{engine}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_hot_page_is_one_index_range_scan() -> R {
    for (engine, s) in stores().await {
        let plan = s.explain_hot_listing(200).await?;
        if engine.starts_with("sqlite") {
            assert!(plan.contains("threads_hot_idx"), "{engine}: {plan}");
            assert!(
                !plan.contains("TEMP B-TREE"),
                "{engine}: no sort step: {plan}"
            );
        } else {
            assert!(!plan.is_empty(), "{engine}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn concurrent_reports_of_one_message_collapse_into_one_with_each_reporter_once() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "owner")).await?;
        s.create_guild(guild(100, 1)).await?;
        let mut tasks = Vec::new();
        for reporter in 0..8i64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                // Reporters 0-3 report twice: duplicates collapse.
                let r = NewReport {
                    id: 1000 + reporter,
                    guild_id: 100,
                    channel_id: Some(5),
                    message_id: Some(77),
                    target_user_id: 9,
                    reporter_id: Some(reporter % 4),
                    reason: format!("reason {reporter}"),
                    content: Some("text".into()),
                    source: "member",
                    now: 1,
                };
                s.file_report(&r).await
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await??.0.id);
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1, "{engine}: one open report per message");
        let open = s.reports(Some(100), 0, None, 10).await?;
        assert_eq!(open.len(), 1, "{engine}");
        assert_eq!(
            open[0].reporter_count,
            s.reporters(open[0].id).await?.len() as i64,
            "{engine}"
        );
        assert_eq!(open[0].reporter_count, 4, "{engine}");
        let closed = s
            .update_report(open[0].id, 1, Some("delete"), None, 1, 2)
            .await?;
        assert_eq!(closed.map(|r| r.status), Some(1), "{engine}");
        assert!(
            s.update_report(open[0].id, 2, None, None, 1, 3)
                .await?
                .is_none(),
            "{engine}: closed stays closed"
        );
        // A new report after closing opens a new one.
        let (again, _) = s
            .file_report(&NewReport {
                id: 2000,
                guild_id: 100,
                channel_id: Some(5),
                message_id: Some(77),
                target_user_id: 9,
                reporter_id: Some(1),
                reason: "again".into(),
                content: None,
                source: "member",
                now: 4,
            })
            .await?;
        assert_eq!(again.id, 2000, "{engine}");

        for (i, t) in [(1, 10), (2, 22), (3, 10), (4, 24)] {
            s.insert_audit(&AuditRow {
                id: i,
                guild_id: 100,
                user_id: Some(1),
                target_id: None,
                action_type: t,
                changes: None,
                options: None,
                reason: None,
            })
            .await?;
        }
        let q = |action_type, before, after, limit| AuditQuery {
            user_id: None,
            action_type,
            before,
            after,
            limit,
        };
        let ids = |v: Vec<AuditRow>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.audit_log(100, q(None, None, None, 50)).await?),
            vec![4, 3, 2, 1],
            "{engine}"
        );
        assert_eq!(
            ids(s.audit_log(100, q(Some(10), None, None, 50)).await?),
            vec![3, 1],
            "{engine}"
        );
        assert_eq!(
            ids(s.audit_log(100, q(None, Some(4), None, 2)).await?),
            vec![3, 2],
            "{engine}"
        );
        assert_eq!(
            ids(s.audit_log(100, q(None, None, Some(1), 2)).await?),
            vec![3, 2],
            "{engine}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn search_matches_words_newest_first_and_follows_edits_and_deletes() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_guild(guild(100, 1)).await?;
        let ch = s.guild_channels(100).await?[1].id;
        for (id, text) in [
            (10, "Graph theory homework"),
            (11, "no match here"),
            (12, "more HOMEWORK, graphs"),
            (13, "homeworking"),
        ] {
            let mut m = msg(id, ch, 1);
            m.row.guild_id = Some(100);
            m.row.content = text.into();
            s.create_message(&m).await?;
        }
        let q = |terms: &[&str]| SearchQuery {
            guild_id: Some(100),
            channels: vec![ch],
            viewer: 1,
            terms: terms.iter().map(|t| (*t).to_owned()).collect(),
            limit: 25,
            ..SearchQuery::default()
        };
        let ids = |v: Vec<MessageRow>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let (rows, n) = s.search_messages(&q(&["homework"])).await?;
        assert_eq!((ids(rows), n), (vec![12, 10], 2), "{engine}");
        let (rows, _) = s.search_messages(&q(&["homework", "graph"])).await?;
        assert_eq!(ids(rows), vec![10], "{engine}: all words must appear");
        s.update_message(
            ch,
            10,
            MessagePatch {
                content: Some(("chemistry".into(), false, vec![], vec![])),
                ..MessagePatch::default()
            },
        )
        .await?;
        let (_, n) = s.search_messages(&q(&["homework"])).await?;
        assert_eq!(n, 1, "{engine}: edits reach the index");
        s.delete_message(ch, 12).await?;
        let (_, n) = s.search_messages(&q(&["homework"])).await?;
        assert_eq!(n, 0, "{engine}: deletes reach the index");
        let (_, n) = s.search_messages(&q(&["\") OR *"])).await?;
        assert_eq!(n, 0, "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn racing_nodes_lease_distinct_worker_ids_and_expired_leases_are_reused() -> R {
    for (engine, s) in stores().await {
        let mut tasks = Vec::new();
        for n in 0..6 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.lease_worker(&format!("node-{n}"), 1000, 30_000).await
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await??.ok_or("no id")?);
        }
        ids.sort_unstable();
        assert_eq!(ids, vec![0, 1, 2, 3, 4, 5], "{engine}");
        assert!(
            !s.renew_worker(0, "node-x", 2000, 30_000).await?,
            "{engine}: a stranger cannot renew"
        );
        let holder0 = (0..6).map(|n| format!("node-{n}"));
        let mut renewed = 0;
        for h in holder0 {
            for id in 0..6u16 {
                if s.renew_worker(id, &h, 2000, 30_000).await? {
                    renewed += 1;
                }
            }
        }
        assert_eq!(
            renewed, 6,
            "{engine}: each holder renews only its own lease"
        );
        // Every lease ran out at 32,000: a new node takes the lowest id again.
        assert_eq!(
            s.lease_worker("late", 40_000, 30_000).await?,
            Some(0),
            "{engine}"
        );
        s.release_worker(0, "late").await?;
        assert_eq!(
            s.lease_worker("later", 40_001, 30_000).await?,
            Some(0),
            "{engine}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn cached_guild_channel_and_overwrite_rows_follow_every_write() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_guild(guild(100, 1)).await?;
        let ow = |target: i64, kind: i64, allow: i64| OverwriteRow {
            channel_id: 102,
            target_id: target,
            kind,
            allow_bits: allow,
            deny_bits: 0,
        };
        let listed = |rows: Vec<ChannelRow>| rows.into_iter().find(|c| c.id == 102);
        // Each read below fills the cache; each write must be seen by the next read.
        assert_eq!(s.guild(100).await?.map(|g| g.name), Some("g".into()));
        s.update_guild(
            100,
            GuildPatch {
                name: Some("renamed".into()),
                ..Default::default()
            },
        )
        .await?;
        let name = s.guild(100).await?.map(|g| g.name);
        assert_eq!(name.as_deref(), Some("renamed"), "{engine}");

        assert_eq!(s.channel(102).await?.and_then(|c| c.last_message_id), None);
        assert_eq!(
            listed(s.guild_channels(100).await?).and_then(|c| c.last_message_id),
            None
        );
        s.create_message(&msg(1000, 102, 1)).await?;
        s.create_messages(&[msg(1002, 102, 1), msg(1001, 102, 1)])
            .await?;
        let c = s.channel(102).await?.expect("channel");
        assert_eq!(c.last_message_id, Some(1002), "{engine}");
        assert_eq!(
            listed(s.guild_channels(100).await?),
            Some(c.clone()),
            "{engine}"
        );
        // Several by id (an unknown id is left out), read and cached before the next write.
        let newest = |rows: Vec<ChannelRow>| {
            rows.into_iter()
                .map(|c| (c.id, c.last_message_id))
                .collect::<Vec<_>>()
        };
        assert_eq!(newest(s.channels(&[102, 999]).await?), [(102, Some(1002))]);
        s.create_message(&msg(1003, 102, 1)).await?;
        let in_list = listed(s.guild_channels(100).await?).and_then(|c| c.last_message_id);
        assert_eq!(in_list, Some(1003), "{engine}");
        let alone = s.channel(102).await?.and_then(|c| c.last_message_id);
        assert_eq!(alone, Some(1003), "{engine}");
        let several = newest(s.channels(&[999, 102]).await?);
        assert_eq!(several, [(102, Some(1003))], "{engine}");

        assert!(s.overwrites(102).await?.is_empty());
        assert!(s.guild_overwrites(100).await?.is_empty());
        s.put_overwrite(&ow(1, 1, 2048)).await?;
        assert_eq!(s.overwrites(102).await?, vec![ow(1, 1, 2048)], "{engine}");
        assert_eq!(
            s.guild_overwrites(100).await?,
            vec![ow(1, 1, 2048)],
            "{engine}"
        );
        assert!(s.delete_overwrite(102, 1).await?);
        assert!(s.overwrites(102).await?.is_empty(), "{engine}");
        assert!(s.guild_overwrites(100).await?.is_empty(), "{engine}");

        let mut row = c.clone();
        row.name = Some("talk".into());
        row.rate_limit_per_user = 5;
        s.update_channel(&ChannelPatch {
            row,
            overwrites: Some(vec![ow(100, 0, 1024)]),
        })
        .await?;
        let c = s.channel(102).await?.expect("channel");
        assert_eq!(
            (c.name.as_deref(), c.rate_limit_per_user),
            (Some("talk"), 5)
        );
        assert_eq!(s.overwrites(102).await?, vec![ow(100, 0, 1024)], "{engine}");
        let listed_name = listed(s.guild_channels(100).await?).and_then(|c| c.name);
        assert_eq!(listed_name.as_deref(), Some("talk"), "{engine}");

        s.create_role(&role(200, 100, 1, 0)).await?;
        s.put_overwrite(&ow(200, 0, 8192)).await?;
        assert_eq!(s.overwrites(102).await?.len(), 2, "{engine}");
        assert_eq!(s.guild_overwrites(100).await?.len(), 2, "{engine}");
        s.delete_role(100, 200).await?;
        assert_eq!(s.overwrites(102).await?, vec![ow(100, 0, 1024)], "{engine}");
        assert_eq!(s.guild_overwrites(100).await?, vec![ow(100, 0, 1024)]);

        assert!(s.set_pinned(102, 1001, Some(77)).await?);
        let pin = s.channel(102).await?.and_then(|c| c.last_pin_at);
        assert_eq!(pin, Some(77), "{engine}");
        let pins: Vec<_> = s
            .channels(&[102])
            .await?
            .iter()
            .map(|c| c.last_pin_at)
            .collect();
        assert_eq!(pins, [Some(77)], "{engine}");
        s.set_channel_positions(100, &[(102, 9, None)]).await?;
        assert_eq!(s.channel(102).await?.map(|c| c.position), Some(9));
        let last = s.guild_channels(100).await?.last().map(|c| c.id);
        assert_eq!(last, Some(102), "{engine}");
        assert_eq!(s.channel(102).await?.and_then(|c| c.parent_id), Some(101));
        let ids = |rows: Vec<ChannelRow>| rows.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(s.channels(&[102, 101]).await?), [101, 102], "{engine}");
        s.delete_channel(101).await?;
        assert_eq!(s.channel(101).await?.map(|c| c.id), None, "{engine}");
        let left = s.channels(&[101, 102]).await?;
        assert_eq!(
            left.iter().map(|c| (c.id, c.parent_id)).collect::<Vec<_>>(),
            [(102, None)],
            "{engine}"
        );
        assert_eq!(s.channel(102).await?.and_then(|c| c.parent_id), None);
        assert_eq!(s.guild_channels(100).await?.len(), 3, "{engine}");

        s.delete_guild(100).await?;
        assert!(s.guild(100).await?.is_none(), "{engine}");
        assert!(s.channel(102).await?.is_none(), "{engine}");
        assert!(s.overwrites(102).await?.is_empty(), "{engine}");
        assert!(s.guild_channels(100).await?.is_empty(), "{engine}");
        assert!(s.guild_overwrites(100).await?.is_empty(), "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn membership_reads_roles_member_and_held_roles_at_once() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_user(user(2, "bob")).await?;
        s.create_user(user(3, "carol")).await?;
        s.create_guild(guild(100, 1)).await?;
        assert!(s.add_member(100, 2, 7, false, false).await?);
        for (id, position) in [(201, 1), (202, 2)] {
            s.create_role(&role(id, 100, position, 8)).await?;
        }
        assert!(s.add_member_role(100, 2, 202).await?);
        let m = s.membership(100, 2).await?;
        let ids: Vec<i64> = m.roles.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![100, 201, 202], "{engine}");
        assert_eq!(m.held, vec![202], "{engine}");
        assert_eq!(m.member, s.member_row(100, 2).await?, "{engine}");
        assert_eq!(m.member.map(|m| m.joined_at), Some(7), "{engine}");

        let outsider = s.membership(100, 3).await?;
        assert_eq!(outsider.roles.len(), 3, "{engine}");
        assert!(
            outsider.member.is_none() && outsider.held.is_empty(),
            "{engine}"
        );
        let nowhere = s.membership(999, 2).await?;
        assert!(
            nowhere.roles.is_empty() && nowhere.member.is_none(),
            "{engine}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_batch_of_messages_keeps_every_row_thread_and_comment_tree_in_order() -> R {
    for (engine, s) in stores().await {
        let created = 1_767_225_600_000;
        s.create_user(user(1, "alice")).await?;
        s.create_user(user(2, "bob")).await?;
        s.create_guild(guild(100, 1)).await?;
        s.create_channel(&channel(200, 100, 15, None), &[]).await?;
        s.create_thread(&new_post(300, 100, 200, 1, created))
            .await?;
        // Ids after the post's creation time, as the server mints them.
        let base = coterie_model::Snowflake::from_time(created as u64 + 1000).get();
        let mut reply = msg(base + 2, 300, 1);
        reply.row.ref_message_id = Some(base + 1);
        reply.row.ref_channel_id = Some(300);
        let mut mention = msg(base + 3, 102, 1);
        mention.mention_user_ids = vec![2];
        let batch = vec![
            msg(base + 1, 300, 2),
            reply,
            mention,
            msg(base + 4, 102, 2),
            msg(base, 102, 2),
        ];
        s.create_messages(&batch).await?;
        let ids = |v: Vec<MessageRow>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
        let history = ids(s.messages(102, MessagePage::Latest, 10).await?);
        assert_eq!(history, vec![base + 4, base + 3, base], "{engine}");
        let last = s.channel(102).await?.and_then(|c| c.last_message_id);
        assert_eq!(last, Some(base + 4), "{engine}");
        let post = s.thread(300).await?.ok_or("thread")?;
        assert_eq!(post.thread.message_count, 2, "{engine}");
        assert_eq!(post.channel.last_message_id, Some(base + 2), "{engine}");
        let top = s.comment(300, base + 1).await?.ok_or("comment")?;
        assert_eq!((top.depth, top.child_count), (1, 1), "{engine}");
        let child = s.comment(300, base + 2).await?.ok_or("reply")?;
        assert_eq!((child.depth, child.parent_id), (2, base + 1), "{engine}");
        let stored = s.message(102, base + 3).await?.ok_or("mention")?;
        assert_eq!(stored.mention_users, r#"["2"]"#, "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn cached_users_follow_every_write() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_user(user(2, "bob")).await?;
        let names = |v: Vec<UserRow>| {
            let mut v: Vec<String> = v.into_iter().map(|u| u.username).collect();
            v.sort();
            v
        };
        assert_eq!(
            names(s.users(&[2, 1, 2, 9]).await?),
            vec!["alice", "bob"],
            "{engine}"
        );
        s.update_user(
            2,
            UserPatch {
                username: Some("robert".into()),
                ..Default::default()
            },
        )
        .await?;
        assert_eq!(
            names(s.users(&[1, 2]).await?),
            vec!["alice", "robert"],
            "{engine}"
        );
        assert_eq!(
            s.user(2).await?.map(|u| u.username).as_deref(),
            Some("robert")
        );
        s.set_instance_admin(2, true).await?;
        assert_eq!(
            s.user(2).await?.map(|u| u.instance_admin),
            Some(true),
            "{engine}"
        );
        s.set_password(2, "new-hash", None).await?;
        let hash = s.user(2).await?.map(|u| u.password_hash);
        assert_eq!(hash.as_deref(), Some("new-hash"), "{engine}");
        s.anonymize_user(2).await?;
        let gone = s.user(2).await?.map(|u| u.username);
        assert_eq!(gone.as_deref(), Some("deleted_user_2"), "{engine}");
    }
    Ok(())
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once_although_tokens_are_cached() -> R {
    for (engine, s) in stores().await {
        s.create_user(user(1, "alice")).await?;
        s.create_user(user(2, "bob")).await?;
        let name = |u: Option<UserRow>| u.map(|u| u.username);
        s.insert_token(b"t1", 2, 5).await?;
        assert_eq!(name(s.user_by_token(b"t1").await?).as_deref(), Some("bob"));
        assert!(s.delete_token(b"t1").await?);
        assert!(s.user_by_token(b"t1").await?.is_none(), "{engine}: logout");

        s.insert_token(b"t2", 2, 5).await?;
        assert!(s.user_by_token(b"t2").await?.is_some());
        s.update_user(
            2,
            UserPatch {
                username: Some("robert".into()),
                ..Default::default()
            },
        )
        .await?;
        let renamed = name(s.user_by_token(b"t2").await?);
        assert_eq!(renamed.as_deref(), Some("robert"), "{engine}");
        s.set_password(2, "h", None).await?;
        assert!(
            s.user_by_token(b"t2").await?.is_none(),
            "{engine}: password"
        );

        s.insert_token(b"t3", 2, 5).await?;
        assert!(s.user_by_token(b"t3").await?.is_some());
        s.replace_tokens(2, b"t4", 6).await?;
        assert!(s.user_by_token(b"t3").await?.is_none(), "{engine}: reset");
        assert!(s.user_by_token(b"t4").await?.is_some(), "{engine}");
        s.suspend_user(2, 1, None, 7).await?;
        assert!(
            s.user_by_token(b"t4").await?.is_none(),
            "{engine}: suspended"
        );

        s.insert_token(b"t5", 1, 5).await?;
        assert!(s.user_by_token(b"t5").await?.is_some());
        assert_eq!(s.delete_user_tokens(1).await?, 1);
        assert!(
            s.user_by_token(b"t5").await?.is_none(),
            "{engine}: all revoked"
        );
    }
    Ok(())
}

#[tokio::test]
async fn cached_member_counts_and_emoji_follow_joins_leaves_and_edits() -> R {
    for (engine, s) in stores().await {
        for (i, n) in ["alice", "bob", "carol"].iter().enumerate() {
            s.create_user(user(i as i64 + 1, n)).await?;
        }
        s.create_guild(guild(100, 1)).await?;
        // Each count is read (and cached) before the change that must move it.
        assert_eq!(s.member_count(100).await?, 1, "{engine}: owner");
        assert!(s.add_member(100, 2, 7, false, false).await?);
        assert_eq!(s.member_count(100).await?, 2, "{engine}: join");
        assert!(s.remove_member(100, 2).await?);
        assert_eq!(s.member_count(100).await?, 1, "{engine}: leave");
        assert!(s.add_member(100, 3, 8, false, false).await?);
        assert_eq!(s.member_count(100).await?, 2, "{engine}: join again");
        s.ban(
            &BanRow {
                guild_id: 100,
                user_id: 3,
                reason: None,
                created_at: 9,
            },
            None,
        )
        .await?;
        assert_eq!(s.member_count(100).await?, 1, "{engine}: ban");

        let emoji = |id: i64, name: &str| EmojiRow {
            id,
            guild_id: 100,
            name: name.into(),
            creator_id: Some(1),
            animated: false,
            available: true,
            roles: "[]".into(),
            created_at: 1,
        };
        let names = |rows: Vec<EmojiRow>| rows.into_iter().map(|e| e.name).collect::<Vec<_>>();
        assert!(s.emojis(100).await?.is_empty());
        s.create_emoji(&emoji(300, "wave")).await?;
        assert_eq!(names(s.emojis(100).await?), ["wave"], "{engine}: created");
        s.update_emoji(300, "hello", "[]").await?;
        assert_eq!(names(s.emojis(100).await?), ["hello"], "{engine}: renamed");
        s.create_emoji(&emoji(301, "cat")).await?;
        assert!(s.delete_emoji(100, 300).await?);
        assert_eq!(names(s.emojis(100).await?), ["cat"], "{engine}: deleted");
    }
    Ok(())
}

#[tokio::test]
async fn cached_memberships_follow_joins_roles_edits_and_bans() -> R {
    for (engine, s) in stores().await {
        for (i, n) in ["alice", "bob", "carol"].iter().enumerate() {
            s.create_user(user(i as i64 + 1, n)).await?;
        }
        s.create_guild(guild(100, 1)).await?;
        let member = |m: Membership| m.member;
        // Not a member yet (and that answer is cached): joining must show.
        assert!(member(s.membership(100, 2).await?).is_none());
        assert!(s.add_member(100, 2, 7, false, true).await?);
        assert!(
            member(s.membership(100, 2).await?).is_some(),
            "{engine}: join"
        );

        s.create_role(&role(201, 100, 1, 8)).await?;
        assert_eq!(
            s.membership(100, 2).await?.roles.len(),
            2,
            "{engine}: new role"
        );
        assert!(s.add_member_role(100, 2, 201).await?);
        assert_eq!(
            s.membership(100, 2).await?.held,
            vec![201],
            "{engine}: role given"
        );
        s.update_role(&role(201, 100, 1, 16)).await?;
        let perms = s
            .membership(100, 2)
            .await?
            .roles
            .iter()
            .find(|r| r.id == 201)
            .map(|r| r.permissions);
        assert_eq!(perms, Some(16), "{engine}: role edited");
        s.create_role(&role(202, 100, 2, 0)).await?;
        s.set_role_positions(100, &[(201, 2), (202, 1)]).await?;
        let order: Vec<i64> = s
            .membership(100, 2)
            .await?
            .roles
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(order, vec![100, 202, 201], "{engine}: positions");
        assert!(s.remove_member_role(100, 2, 201).await?);
        assert!(
            s.membership(100, 2).await?.held.is_empty(),
            "{engine}: role taken"
        );
        s.update_member(
            100,
            2,
            MemberPatch {
                roles: Some(vec![202]),
                communication_disabled_until: Some(Some(99)),
                ..Default::default()
            },
        )
        .await?;
        let m = s.membership(100, 2).await?;
        assert_eq!(m.held, vec![202], "{engine}: roles replaced");
        let timeout = m.member.and_then(|m| m.communication_disabled_until);
        assert_eq!(timeout, Some(99), "{engine}: timed out");
        s.delete_role(100, 202).await?;
        let m = s.membership(100, 2).await?;
        assert!(
            m.held.is_empty() && m.roles.len() == 2,
            "{engine}: role deleted"
        );

        let pending = |m: Membership| m.member.map(|m| m.pending);
        assert_eq!(pending(s.membership(100, 2).await?), Some(true));
        s.clear_pending(100).await?;
        assert_eq!(
            pending(s.membership(100, 2).await?),
            Some(false),
            "{engine}: rules off"
        );

        assert!(s.remove_member(100, 2).await?);
        assert!(
            member(s.membership(100, 2).await?).is_none(),
            "{engine}: left"
        );
        assert!(member(s.membership(100, 3).await?).is_none());
        s.create_invite(&InviteRow {
            code: "cached".into(),
            guild_id: 100,
            channel_id: 102,
            inviter_id: Some(1),
            max_age: 0,
            max_uses: 0,
            uses: 0,
            temporary: false,
            created_at: 1,
            expires_at: None,
        })
        .await?;
        s.use_invite("cached", 3, 8, false).await?;
        assert!(
            member(s.membership(100, 3).await?).is_some(),
            "{engine}: invited"
        );
        s.ban(
            &BanRow {
                guild_id: 100,
                user_id: 3,
                reason: None,
                created_at: 9,
            },
            None,
        )
        .await?;
        assert!(
            member(s.membership(100, 3).await?).is_none(),
            "{engine}: banned"
        );
    }
    Ok(())
}

#[tokio::test]
async fn active_threads_are_not_hidden_by_a_cached_empty_answer() -> R {
    for (engine, s) in stores().await {
        let created = 1_767_225_600_000;
        s.create_user(user(1, "alice")).await?;
        s.create_guild(guild(100, 1)).await?;
        s.create_channel(&channel(200, 100, 15, None), &[]).await?;
        let ids =
            |rows: Vec<ThreadWithChannel>| rows.iter().map(|t| t.channel.id).collect::<Vec<_>>();
        // Each answer is read (and an empty one remembered) before the write that must change it.
        assert!(s.active_threads(100, 50).await?.is_empty(), "{engine}");
        s.create_thread(&new_post(300, 100, 200, 1, created))
            .await?;
        assert_eq!(
            ids(s.active_threads(100, 50).await?),
            [300],
            "{engine}: created"
        );
        let patch = |archived: bool| ThreadPatch {
            id: 300,
            name: "post".into(),
            rate_limit_per_user: 0,
            archived,
            archive_at: created + 1,
            auto_archive_duration: 4320,
            auto_archive_at: created + 4320 * 60_000,
            locked: false,
            invitable: true,
            pinned: false,
            tags: None,
        };
        s.update_thread(&patch(true)).await?;
        assert!(
            s.active_threads(100, 50).await?.is_empty(),
            "{engine}: archived"
        );
        s.update_thread(&patch(false)).await?;
        assert_eq!(
            ids(s.active_threads(100, 50).await?),
            [300],
            "{engine}: unarchived"
        );
    }
    Ok(())
}
