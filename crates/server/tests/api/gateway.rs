use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn ready_then_one_guild_create_per_guild_with_every_required_field() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let mut gw = app.gateway(&u).await;
    let r = &gw.ready;
    for key in [
        "v",
        "user",
        "guilds",
        "session_id",
        "resume_gateway_url",
        "shard",
        "application",
    ] {
        assert!(r.get(key).is_some(), "READY lacks {key}");
    }
    assert_eq!(r["v"], 10);
    assert_eq!(r["user"]["mfa_enabled"], false);
    assert_eq!(r["guilds"][0], json!({"id": g.id, "unavailable": true}));
    assert_eq!(r["shard"], json!([0, 1]));
    assert!(r["application"]["id"].is_string() && r["application"].get("flags").is_some());
    assert!(!r["resume_gateway_url"].as_str().unwrap().ends_with('/'));
    let gc = gw.next_event("GUILD_CREATE").await;
    for key in [
        "id",
        "name",
        "owner_id",
        "roles",
        "channels",
        "members",
        "threads",
        "presences",
        "voice_states",
        "stage_instances",
        "guild_scheduled_events",
        "emojis",
        "stickers",
        "joined_at",
        "large",
        "member_count",
        "premium_tier",
        "premium_progress_bar_enabled",
        "afk_timeout",
        "default_message_notifications",
        "explicit_content_filter",
        "features",
        "mfa_level",
        "nsfw_level",
        "preferred_locale",
        "system_channel_flags",
        "verification_level",
    ] {
        assert!(gc.get(key).is_some(), "GUILD_CREATE lacks {key}");
    }
    assert_eq!(gc["unavailable"], false);
    assert!(
        gc["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("position").is_some() && c.get("name").is_some())
    );
    assert_eq!(gw.names(), ["READY", "GUILD_CREATE"]);
    Ok(())
}

#[tokio::test]
async fn long_dispatches_arrive_whole_and_bad_upgrades_are_refused() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    // Forty channels make GUILD_CREATE far longer than one 4 KiB WebSocket frame: it is sent in
    // fragments, and the client reassembles one message.
    for i in 0..40 {
        let (s, _) = app
            .post(
                &format!("/guilds/{}/channels", g.id),
                &u,
                json!({"name": format!("a-rather-long-channel-name-number-{i}"), "type": 0,
                       "topic": "x".repeat(100)}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let mut gw = app.gateway(&u).await;
    let gc = gw.next_event("GUILD_CREATE").await;
    assert!(gc.to_string().len() > 8 * 1024);
    let names: Vec<&str> = gc["channels"]
        .as_array()
        .ok_or("channels")?
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        (0..40).all(|i| names.contains(&format!("a-rather-long-channel-name-number-{i}").as_str()))
    );
    // An upgrade asking for another WebSocket version is refused, naming the supported one.
    let url = app.base.replace("/api/v10", "/gateway");
    let res = reqwest::Client::new()
        .get(&url)
        .header("Connection", "upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "8")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(res.headers()["sec-websocket-version"], "13");
    Ok(())
}

#[tokio::test]
async fn a_message_reaches_every_member_in_real_time_with_guild_and_member_fields() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let mut gw = app.gateway(&b).await;
    let sent = app.create_message(&g.general, &a, "hello bob").await;
    let d = gw.next_message_id(&sent["id"]).await;
    assert_eq!(d["id"], sent["id"]);
    assert_eq!(d["content"], "hello bob");
    assert_eq!(d["guild_id"], g.id);
    assert!(d["member"]["roles"].is_array() && d["member"].get("user").is_none());
    app.post(&format!("/channels/{}/typing", g.general), &a, json!({}))
        .await;
    let t = gw.next_event("TYPING_START").await;
    assert_eq!(t["user_id"], a.id);
    app.put(
        &format!(
            "/channels/{}/messages/{}/reactions/%F0%9F%8E%89/@me",
            g.general,
            sent["id"].as_str().unwrap()
        ),
        &a,
        json!({}),
    )
    .await;
    let r = gw.next_event("MESSAGE_REACTION_ADD").await;
    assert_eq!(r["emoji"]["name"], "🎉");
    app.patch(
        &format!(
            "/channels/{}/messages/{}",
            g.general,
            sent["id"].as_str().unwrap()
        ),
        &a,
        json!({"content": "edited"}),
    )
    .await;
    assert_eq!(gw.next_event("MESSAGE_UPDATE").await["content"], "edited");
    app.put(
        &format!(
            "/channels/{}/pins/{}",
            g.general,
            sent["id"].as_str().unwrap()
        ),
        &a,
        json!({}),
    )
    .await;
    assert!(gw.next_event("CHANNEL_PINS_UPDATE").await["last_pin_timestamp"].is_string());
    app.delete(
        &format!(
            "/channels/{}/messages/{}",
            g.general,
            sent["id"].as_str().unwrap()
        ),
        &a,
    )
    .await;
    assert_eq!(gw.next_event("MESSAGE_DELETE").await["id"], sent["id"]);
    Ok(())
}

#[tokio::test]
async fn nobody_receives_events_about_a_channel_they_cannot_view() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let mut gw = app.gateway(&bob).await;
    let (_, secret) = app
        .post(&format!("/guilds/{}/channels", g.id), &owner, json!({"name": "staff", "permission_overwrites": [{"id": g.id, "type": 0, "deny": "1024"}]}))
        .await;
    let sid = secret["id"].as_str().unwrap();
    app.create_message(sid, &owner, "secret plans").await;
    app.post(&format!("/channels/{sid}/typing"), &owner, json!({}))
        .await;
    // A public message is the barrier: everything published before it has been routed.
    app.create_message(&g.general, &owner, "barrier").await;
    gw.next_message("barrier").await;
    assert!(
        !gw.seen
            .iter()
            .any(|(n, d)| n == "CHANNEL_CREATE" || d["channel_id"] == sid),
        "leaked: {:?}",
        gw.names()
    );
    // Granting access by role makes the channel's events reach bob.
    let role = app.create_role(&g, &owner, json!({"name": "staff"})).await;
    app.put(
        &format!(
            "/channels/{sid}/permissions/{}",
            role["id"].as_str().unwrap()
        ),
        &owner,
        json!({"type": 0, "allow": "1024"}),
    )
    .await;
    app.put(
        &format!(
            "/guilds/{}/members/{}/roles/{}",
            g.id,
            bob.id,
            role["id"].as_str().unwrap()
        ),
        &owner,
        json!({}),
    )
    .await;
    app.create_message(sid, &owner, "welcome to staff").await;
    gw.next_message("welcome to staff").await;
    Ok(())
}

#[tokio::test]
async fn intents_filter_events_and_message_content_is_stripped_without_its_intent() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    // GUILDS | GUILD_MESSAGES, no MESSAGE_CONTENT, no typing.
    let mut gw = app
        .gateway_with(
            &b,
            json!({"token": b.token, "intents": 1 | 512, "properties": {}}),
        )
        .await;
    gw.next_event("GUILD_CREATE").await;
    app.post(&format!("/channels/{}/typing", g.general), &a, json!({}))
        .await;
    let m = app.create_message(&g.general, &a, "secret content").await;
    let d = gw.next_message_id(&m["id"]).await;
    assert_eq!(d["content"], "", "no MESSAGE_CONTENT intent");
    let m = app
        .create_message(&g.general, &a, &format!("hey <@{}>", b.id))
        .await;
    let d = gw.next_message_id(&m["id"]).await;
    assert_eq!(
        d["content"],
        format!("hey <@{}>", b.id),
        "mentions keep their content"
    );
    assert!(!gw.names().contains(&"TYPING_START"));
    Ok(())
}

#[tokio::test]
async fn heartbeats_are_acknowledged_and_protocol_errors_close_with_discords_codes() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let mut gw = app.gateway(&u).await;
    gw.send(json!({"op": 1, "d": gw.seq})).await;
    loop {
        let f = gw.next_frame().await.unwrap();
        if f["op"] == 11 {
            break;
        }
    }
    gw.send(json!({"op": 2, "d": {"token": u.token, "intents": 1, "properties": {}}}))
        .await;
    assert_eq!(gw.closed().await, 4005);

    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}}))
        .await;
    assert_eq!(c.closed().await, 4004);

    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 2, "d": {"token": u.token, "intents": 1u64 << 40, "properties": {}}}))
        .await;
    assert_eq!(c.closed().await, 4013);

    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 8, "d": {"guild_id": "1"}})).await;
    assert_eq!(c.closed().await, 4003);

    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 99})).await;
    assert_eq!(c.closed().await, 4001);

    let mut c = app.connect().await;
    c.next_frame().await;
    c.ws.send(tokio_tungstenite::tungstenite::Message::Text(
        "{oops".into(),
    ))
    .await?;
    assert_eq!(c.closed().await, 4002);
    Ok(())
}

use futures_util::SinkExt;

#[tokio::test]
async fn joining_by_invite_sends_guild_create_to_the_joiner_and_member_add_to_others() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    let mut ga = app.gateway(&a).await;
    let mut gb = app.gateway(&b).await;
    app.join(&g, &a, &b).await;
    let gc = gb.next_event("GUILD_CREATE").await;
    assert_eq!(gc["id"], g.id);
    let add = ga.next_event("GUILD_MEMBER_ADD").await;
    assert_eq!(add["user"]["id"], b.id);
    assert_eq!(add["guild_id"], g.id);
    app.create_message(&g.general, &a, "welcome").await;
    gb.next_message("welcome").await;
    // A kick ends bob's subscription.
    app.delete(&format!("/guilds/{}/members/{}", g.id, b.id), &a)
        .await;
    assert_eq!(gb.next_event("GUILD_DELETE").await["id"], g.id);
    app.create_message(&g.general, &a, "after the kick").await;
    let (s, dm) = app
        .post("/users/@me/channels", &a, json!({"recipient_id": b.id}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no shared guild any more: {dm}");
    ga.next_message("after the kick").await;
    Ok(())
}

#[tokio::test]
async fn request_guild_members_answers_with_chunks_and_presence_updates_propagate() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let mut ga = app.gateway(&a).await;
    ga.send(json!({"op": 8, "d": {"guild_id": g.id, "query": "", "limit": 0, "presences": true, "nonce": "n1"}})).await;
    let chunk = ga.next_event("GUILD_MEMBERS_CHUNK").await;
    assert_eq!(chunk["members"].as_array().unwrap().len(), 2);
    assert_eq!(chunk["chunk_index"], 0);
    assert_eq!(chunk["chunk_count"], 1);
    assert_eq!(chunk["nonce"], "n1");
    ga.send(json!({"op": 8, "d": {"guild_id": g.id, "user_ids": [b.id, "42"], "limit": 0}}))
        .await;
    let chunk = ga.next_event("GUILD_MEMBERS_CHUNK").await;
    assert_eq!(chunk["members"][0]["user"]["id"], b.id);
    assert_eq!(chunk["not_found"], json!(["42"]));
    let mut gb = app.gateway(&b).await;
    let p = ga.next_event("PRESENCE_UPDATE").await;
    assert_eq!(
        (p["user"]["id"].as_str(), p["status"].as_str()),
        (Some(b.id.as_str()), Some("online"))
    );
    gb.send(
        json!({"op": 3, "d": {"since": null, "activities": [], "status": "dnd", "afk": false}}),
    )
    .await;
    let p = ga.next_event("PRESENCE_UPDATE").await;
    assert_eq!(p["status"], "dnd");
    Ok(())
}

#[tokio::test]
async fn ready_carries_unread_and_mention_counts() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let seen = app.create_message(&g.general, &a, "old").await;
    app.post(
        &format!(
            "/channels/{}/messages/{}/ack",
            g.general,
            seen["id"].as_str().unwrap()
        ),
        &b,
        json!({}),
    )
    .await;
    app.create_message(&g.general, &a, "new one").await;
    app.create_message(&g.general, &a, &format!("<@{}> look", b.id))
        .await;
    // A channel bob read and then lost sight of leaves no read state in READY.
    let (_, secret) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &a,
            json!({"name": "secret"}),
        )
        .await;
    let secret_id = secret["id"].as_str().unwrap();
    let m = app.create_message(secret_id, &a, "psst").await;
    app.post(
        &format!(
            "/channels/{secret_id}/messages/{}/ack",
            m["id"].as_str().unwrap()
        ),
        &b,
        json!({}),
    )
    .await;
    let (s, _) = app
        .put(
            &format!("/channels/{secret_id}/permissions/{}", b.id),
            &a,
            json!({"type": 1, "allow": "0", "deny": "1024"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::NO_CONTENT);
    let gw = app.gateway(&b).await;
    assert!(
        gw.ready["read_state"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != secret["id"]),
        "{}",
        gw.ready["read_state"]
    );
    let entries = gw.ready["read_state"]["entries"].as_array().unwrap();
    let e = entries
        .iter()
        .find(|e| e["id"] == g.general)
        .expect("entry for #general");
    assert_eq!(e["last_message_id"], seen["id"]);
    assert_eq!(e["unread_count"], 2);
    assert_eq!(e["mention_count"], 1);
    Ok(())
}

#[tokio::test]
async fn role_channel_and_member_changes_are_dispatched() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let mut gb = app.gateway(&b).await;
    let role = app.create_role(&g, &a, json!({"name": "fans"})).await;
    assert_eq!(
        gb.next_event("GUILD_ROLE_CREATE").await["role"]["id"],
        role["id"]
    );
    let (_, ch) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &a,
            json!({"name": "news"}),
        )
        .await;
    assert_eq!(gb.next_event("CHANNEL_CREATE").await["id"], ch["id"]);
    app.put(
        &format!(
            "/guilds/{}/members/{}/roles/{}",
            g.id,
            b.id,
            role["id"].as_str().unwrap()
        ),
        &a,
        json!({}),
    )
    .await;
    let upd = gb.next_event("GUILD_MEMBER_UPDATE").await;
    assert_eq!(upd["roles"], json!([role["id"]]));
    app.patch(
        &format!("/guilds/{}", g.id),
        &a,
        json!({"name": "New Name"}),
    )
    .await;
    assert_eq!(gb.next_event("GUILD_UPDATE").await["name"], "New Name");
    app.delete(&format!("/channels/{}", ch["id"].as_str().unwrap()), &a)
        .await;
    assert_eq!(gb.next_event("CHANNEL_DELETE").await["id"], ch["id"]);
    app.delete(
        &format!("/guilds/{}/roles/{}", g.id, role["id"].as_str().unwrap()),
        &a,
    )
    .await;
    assert_eq!(
        gb.next_event("GUILD_ROLE_DELETE").await["role_id"],
        role["id"]
    );
    Ok(())
}

#[tokio::test]
async fn logging_out_closes_the_gateway_sessions_of_that_token_with_4004() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let mut gw = app.gateway(&u).await;
    let (s, _) = app.post("/auth/logout", &u, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(gw.closed().await, 4004);
    Ok(())
}

#[tokio::test]
async fn the_gateway_also_answers_on_a_double_slash_path() -> R {
    let app = TestApp::new().await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}//?v=10&encoding=json", app.ws_url)).await?;
    let hello = futures_util::StreamExt::next(&mut ws)
        .await
        .expect("frame")?;
    assert!(hello.to_text()?.contains("heartbeat_interval"));
    Ok(())
}

#[tokio::test]
async fn identify_accepts_serenitys_presence_with_a_system_time_object() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let gw = app
        .gateway_with(
            &u,
            json!({"token": u.token, "intents": 1, "compress": true, "large_threshold": 250, "shard": [0, 1],
                "properties": {"os": "linux", "browser": "serenity", "device": "serenity"},
                "presence": {"afk": false, "status": "online", "activities": [],
                    "since": {"secs_since_epoch": 1_767_225_600u64, "nanos_since_epoch": 0}}}),
        )
        .await;
    assert_eq!(gw.ready["shard"], json!([0, 1]));
    Ok(())
}
