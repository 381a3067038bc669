//! Two nodes on one PostgreSQL database and one Redis bus (runs in the PostgreSQL pass when
//! `TEST_REDIS_URL` is set; `cargo xtask test` sets it).

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

/// The next MESSAGE_CREATE of an ordinary message (join messages skipped).
async fn next_message(gw: &mut Gw) -> serde_json::Value {
    loop {
        let ev = gw.next_event("MESSAGE_CREATE").await;
        if ev["type"] == 0 {
            return ev;
        }
    }
}

#[tokio::test]
async fn events_and_permission_changes_cross_nodes_through_redis() -> R {
    let Some((a, b)) = TestApp::pair().await else {
        eprintln!("skipped: needs COTERIE_TEST_DB=postgres, TEST_DATABASE_URL and TEST_REDIS_URL");
        return Ok(());
    };
    let owner = a.user("owner").await;
    let member = b.user("member").await;
    let g = a.guild(&owner).await;
    let code = a.invite(&g, &owner).await;
    let (s, v) = b
        .post(&format!("/invites/{code}"), &member, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Both people are connected to node A; everything below is done through node B.
    let mut owner_gw = a.gateway(&owner).await;
    let mut member_gw = a.gateway(&member).await;
    let m = b
        .create_message(&g.general, &member, "hello from node B")
        .await;
    // (The member's join message may come first.)
    let ev = next_message(&mut owner_gw).await;
    assert_eq!(
        (ev["id"].clone(), ev["content"].clone()),
        (m["id"].clone(), json!("hello from node B"))
    );
    let mid = m["id"].as_str().ok_or("id")?;
    let (s, _) = b
        .put(
            &format!("/channels/{}/messages/{mid}/reactions/👍/@me", g.general),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let ev = member_gw.next_event("MESSAGE_REACTION_ADD").await;
    assert_eq!(ev["user_id"], owner.id.as_str());
    b.post(
        &format!("/channels/{}/typing", g.general),
        &member,
        json!({}),
    )
    .await;
    let ev = owner_gw.next_event("TYPING_START").await;
    assert_eq!(ev["user_id"], member.id.as_str());
    // A session on node B changes presence; node A's sessions hear it.
    let mut member_on_b = b.gateway(&member).await;
    member_on_b
        .send(
            json!({"op": 3, "d": {"since": null, "activities": [], "status": "dnd", "afk": false}}),
        )
        .await;
    let p = owner_gw.next_event("PRESENCE_UPDATE").await;
    assert_eq!(p["user"]["id"], member.id.as_str());
    // Presence is shared: someone connected only to B shows in READY/GUILD_CREATE on A, and
    // going away there reaches A as offline.
    let carol = b.user("carol").await;
    b.post(&format!("/invites/{code}"), &carol, json!({})).await;
    let mut carol_on_b = b
        .gateway_with(
            &carol,
            json!({"token": carol.token, "intents": 3276799,
            "properties": {"os": "linux", "browser": "test", "device": "test"},
            "presence": {"status": "idle", "activities": [], "since": null, "afk": false}}),
        )
        .await;
    let mut owner_again = a.gateway(&owner).await;
    let gc = owner_again.next_event("GUILD_CREATE").await;
    let listed = gc["presences"]
        .as_array()
        .ok_or("presences")?
        .iter()
        .find(|p| p["user"]["id"] == carol.id.as_str())
        .cloned()
        .ok_or("carol is listed as present")?;
    assert_eq!(listed["status"], "idle", "{listed}");
    // A normal close (1000) ends the session at once, rather than keeping it resumable.
    carol_on_b
        .ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await?;
    let gone = loop {
        let p = owner_again.next_event("PRESENCE_UPDATE").await;
        if p["user"]["id"] == carol.id.as_str() && p["status"] == "offline" {
            break p;
        }
    };
    assert_eq!(gone["status"], "offline");
    // A permission change made on B applies to A's sessions before the next event: the member
    // no longer receives messages of the hidden channel, and still receives #general.
    let (_, staff) = b
        .post(
            &format!("/guilds/{}/channels", g.id),
            &owner,
            json!({"name": "staff", "type": 0}),
        )
        .await;
    let staff = staff["id"].as_str().ok_or("id")?.to_owned();
    member_gw.next_event("CHANNEL_CREATE").await;
    let (s, _) = b
        .put(
            &format!("/channels/{staff}/permissions/{}", g.id),
            &owner,
            json!({"type": 0, "deny": "1024", "allow": "0"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    b.create_message(&staff, &owner, "staff only").await;
    b.create_message(&g.general, &owner, "for everyone").await;
    let ev = next_message(&mut member_gw).await;
    assert_eq!(
        ev["content"], "for everyone",
        "the hidden channel's message must not arrive first"
    );
    let ev = next_message(&mut owner_gw).await;
    assert_eq!(
        ev["content"], "staff only",
        "the owner still sees the hidden channel"
    );
    // Rate limits are counted once for all nodes: the member has sent 1 message in #general; 4
    // more alternate between the nodes, and the sixth within 5 s is refused, wherever it lands.
    for (i, node) in [&a, &b, &a, &b].into_iter().enumerate() {
        let (s, v) = node
            .post(
                &format!("/channels/{}/messages", g.general),
                &member,
                json!({"content": format!("burst {i}")}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "burst {i}: {v}");
    }
    let (s, v) = a
        .post(
            &format!("/channels/{}/messages", g.general),
            &member,
            json!({"content": "one too many"}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["retry_after"]
            .as_f64()
            .is_some_and(|r| r > 0.0 && r <= 5.0),
        "{v}"
    );
    // An AutoMod rule made on B applies on A at once (A's compiled rules are dropped when the
    // rule's event passes through it, before its sessions see the event).
    let (_, random) = b
        .post(
            &format!("/guilds/{}/channels", g.id),
            &owner,
            json!({"name": "random", "type": 0}),
        )
        .await;
    let random = random["id"].as_str().ok_or("id")?.to_owned();
    let (s, _) = a
        .post(
            &format!("/channels/{random}/messages"),
            &member,
            json!({"content": "selling gold"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "no rule yet (and node A has now cached that)"
    );
    let (s, rule) = b
        .post(
            &format!("/guilds/{}/auto-moderation/rules", g.id),
            &owner,
            json!({"name": "gold", "event_type": 1, "trigger_type": 1,
                   "trigger_metadata": {"keyword_filter": ["gold"]}, "actions": [{"type": 1}], "enabled": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rule}");
    owner_gw.next_event("AUTO_MODERATION_RULE_CREATE").await;
    let (s, v) = a
        .post(
            &format!("/channels/{random}/messages"),
            &member,
            json!({"content": "more gold"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(200_000)),
        "{v}"
    );
    // Ids minted on both nodes never collide.
    let from_a = a.create_message(&g.general, &owner, "from A").await;
    let from_b = b.create_message(&g.general, &owner, "from B").await;
    assert_ne!(from_a["id"], from_b["id"]);
    // (A channel of its own, clear of the message limit used up above.)
    let (_, failover) = b
        .post(
            &format!("/guilds/{}/channels", g.id),
            &owner,
            json!({"name": "failover", "type": 0}),
        )
        .await;
    let failover = failover["id"].as_str().ok_or("id")?.to_owned();
    // Node A goes away mid-stream. Its clients resume on node B, which rebuilds each session
    // from the checkpoint A saved at the last heartbeat and the shared event stream: nothing is
    // lost or repeated, and the numbering carries on.
    b.create_message(&failover, &owner, "acknowledged").await;
    owner_gw.next_message("acknowledged").await;
    let acked = owner_gw.seq;
    owner_gw.send(json!({"op": 1, "d": acked})).await;
    loop {
        let f = owner_gw.next_frame().await.ok_or("heartbeat ack")?;
        if f["op"] == 11 {
            break;
        }
    }
    b.create_message(&failover, &owner, "received, not acknowledged")
        .await;
    owner_gw.next_message("received, not acknowledged").await;
    let (session, seq) = (owner_gw.session_id.clone(), owner_gw.seq);
    assert!(seq > acked);
    a.shutdown().await;
    b.create_message(&failover, &owner, "missed 1").await;
    b.create_message(&failover, &member, "missed 2").await;
    // Someone else's token cannot take the session over.
    let mut thief = b.connect().await;
    thief.next_frame().await.ok_or("hello")?;
    thief
        .send(json!({"op": 6, "d": {"token": member.token, "session_id": session, "seq": seq}}))
        .await;
    assert_eq!(thief.closed().await, 4004);
    let mut again = b.connect().await;
    again.next_frame().await.ok_or("hello")?;
    again.seq = seq; // the harness fails on any sequence number not above this
    again
        .send(json!({"op": 6, "d": {"token": owner.token, "session_id": session, "seq": seq}}))
        .await;
    let mut got = vec![];
    let mut resumed = false;
    let mut next = seq + 1;
    while got.len() < 2 || !resumed {
        let f = again.next_frame().await.ok_or("replayed frames")?;
        assert_eq!((&f["op"], f["s"].as_u64()), (&json!(0), Some(next)), "{f}");
        next += 1;
        match f["t"].as_str() {
            Some("MESSAGE_CREATE") => got.push(f["d"]["content"].clone()),
            Some("RESUMED") => resumed = true,
            _ => {}
        }
    }
    assert_eq!(got, vec![json!("missed 1"), json!("missed 2")]);
    let mut owner_on_b = again;
    b.create_message(&failover, &owner, "after the failover")
        .await;
    owner_on_b.next_message("after the failover").await;
    // A fresh session on B works as ever, and history holds everything committed on both nodes.
    let mut fresh = b.gateway(&owner).await;
    let (_, history) = b
        .get(&format!("/channels/{failover}/messages?limit=100"), &owner)
        .await;
    let texts: Vec<&str> = history
        .as_array()
        .ok_or("history")?
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        texts.contains(&"acknowledged") && texts.contains(&"missed 2"),
        "{texts:?}"
    );
    b.create_message(&failover, &owner, "to both").await;
    fresh.next_message("to both").await;
    b.shutdown().await;
    Ok(())
}
