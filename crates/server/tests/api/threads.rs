use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
const VIEW_CHANNEL: u64 = 1 << 10;

async fn thread_from(app: &TestApp, channel: &str, msg: &str, u: &User, name: &str) -> Value {
    let (s, t) = app
        .post(
            &format!("/channels/{channel}/messages/{msg}/threads"),
            u,
            json!({"name": name, "auto_archive_duration": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

#[tokio::test]
async fn a_thread_started_from_a_message_shares_its_id_and_carries_discords_fields() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let mut gw = app.gateway(&member).await;
    let m = app.create_message(&g.general, &owner, "let's branch").await;
    let mid = m["id"].as_str().unwrap();
    let t = thread_from(&app, &g.general, mid, &owner, "Branch").await;
    assert_eq!(
        t["id"], m["id"],
        "a thread from a message has the message's id"
    );
    assert_eq!(t["type"], 11);
    assert_eq!(t["parent_id"], json!(g.general));
    assert_eq!(t["owner_id"], json!(owner.id));
    for key in [
        "message_count",
        "member_count",
        "total_message_sent",
        "rate_limit_per_user",
        "last_message_id",
        "guild_id",
        "flags",
    ] {
        assert!(t.get(key).is_some(), "missing {key}: {t}");
    }
    let meta = &t["thread_metadata"];
    assert_eq!(meta["archived"], false);
    assert_eq!(meta["locked"], false);
    assert_eq!(meta["auto_archive_duration"], 60);
    assert!(meta["archive_timestamp"].is_string() && meta["create_timestamp"].is_string());
    let created = gw.next_event("THREAD_CREATE").await;
    assert_eq!(created["id"], t["id"]);
    assert_eq!(created["newly_created"], true);
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages/{mid}/threads", g.general),
            &owner,
            json!({"name": "again"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 160004));
    // Messages in the thread count and reach viewers of the parent.
    let tid = t["id"].as_str().unwrap();
    let reply = app.create_message(tid, &member, "in the thread").await;
    assert_eq!(
        gw.next_message("in the thread").await["channel_id"],
        json!(tid)
    );
    let (_, got) = app.get(&format!("/channels/{tid}"), &owner).await;
    assert_eq!(got["message_count"], 1);
    assert_eq!(got["total_message_sent"], 1);
    assert_eq!(got["last_message_id"], reply["id"]);
    assert_eq!(got["member_count"], 2, "sending joins the thread");
    let (s, members) = app
        .get(&format!("/channels/{tid}/thread-members"), &owner)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(members.as_array().unwrap().len(), 2);
    // The active listing has it, with the caller's membership.
    let (_, active) = app
        .get(&format!("/guilds/{}/threads/active", g.id), &member)
        .await;
    assert_eq!(active["threads"][0]["id"], t["id"]);
    assert_eq!(active["members"][0]["user_id"], json!(member.id));
    // GUILD_CREATE lists active threads.
    let mut gw2 = app.gateway(&member).await;
    let gc = gw2.next_event("GUILD_CREATE").await;
    assert_eq!(gc["threads"][0]["id"], t["id"], "{}", gc["threads"]);
    Ok(())
}

#[tokio::test]
async fn sending_in_a_thread_needs_send_messages_in_threads_and_a_locked_thread_refuses_members()
-> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let m = app.create_message(&g.general, &owner, "root").await;
    let t = thread_from(&app, &g.general, m["id"].as_str().unwrap(), &owner, "T").await;
    let tid = t["id"].as_str().unwrap();
    let (s, _) = app
        .put(
            &format!("/channels/{}/permissions/{}", g.general, g.id),
            &owner,
            json!({"type": 0, "allow": "0", "deny": SEND_MESSAGES_IN_THREADS.to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app
        .post(
            &format!("/channels/{tid}/messages"),
            &member,
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    app.create_message(&g.general, &member, "the parent still works")
        .await;
    app.delete(
        &format!("/channels/{}/permissions/{}", g.general, g.id),
        &owner,
    )
    .await;
    let (s, v) = app
        .patch(
            &format!("/channels/{tid}"),
            &member,
            json!({"locked": true}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, 50013),
        "only moderators lock"
    );
    let (s, v) = app
        .patch(&format!("/channels/{tid}"), &owner, json!({"locked": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["thread_metadata"]["locked"], true);
    let (s, v) = app
        .post(
            &format!("/channels/{tid}/messages"),
            &member,
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    app.create_message(tid, &owner, "moderators still can")
        .await;
    Ok(())
}

#[tokio::test]
async fn private_threads_are_seen_only_by_members_and_moderators() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &alice).await;
    app.join(&g, &owner, &bob).await;
    let mut bob_gw = app.gateway(&bob).await;
    let mut owner_gw = app.gateway(&owner).await;
    let (s, t) = app
        .post(
            &format!("/channels/{}/threads", g.general),
            &alice,
            json!({"name": "secret", "type": 12}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["type"], 12);
    assert_eq!(t["thread_metadata"]["invitable"], true);
    let tid = t["id"].as_str().unwrap().to_owned();
    assert_eq!(
        owner_gw.next_event("THREAD_CREATE").await["id"],
        json!(tid),
        "moderators see it"
    );
    app.create_message(&tid, &alice, "psst").await;
    let (s, v) = app.get(&format!("/channels/{tid}"), &bob).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    let (s, v) = app
        .post(
            &format!("/channels/{tid}/messages"),
            &bob,
            json!({"content": "me too"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    let (_, active) = app
        .get(&format!("/guilds/{}/threads/active", g.id), &bob)
        .await;
    assert_eq!(active["threads"], json!([]), "not listed to non-members");
    // Alice adds Bob: he learns of the thread and sees what follows.
    let (s, _) = app
        .put(
            &format!("/channels/{tid}/thread-members/{}", bob.id),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(bob_gw.next_event("THREAD_CREATE").await["id"], json!(tid));
    let me = bob_gw.next_event("THREAD_MEMBER_UPDATE").await;
    assert_eq!(me["user_id"], json!(bob.id));
    app.create_message(&tid, &alice, "welcome").await;
    assert_eq!(
        bob_gw.next_message("welcome").await["channel_id"],
        json!(tid)
    );
    let (s, m) = app
        .get(&format!("/channels/{tid}/thread-members/{}", bob.id), &bob)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["id"], json!(tid));
    // Bob leaves; he cannot read it any more.
    let (s, _) = app
        .delete(&format!("/channels/{tid}/thread-members/@me"), &bob)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/channels/{tid}/messages"), &bob).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .get(
            &format!("/channels/{tid}/thread-members/{}", bob.id),
            &alice,
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10007));
    Ok(())
}

#[tokio::test]
async fn idle_threads_archive_themselves_and_a_new_message_reopens_them() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let m = app.create_message(&g.general, &owner, "root").await;
    let t = thread_from(
        &app,
        &g.general,
        m["id"].as_str().unwrap(),
        &owner,
        "Short-lived",
    )
    .await;
    let tid = t["id"].as_str().unwrap();
    let mut gw = app.gateway(&member).await;
    app.clock.advance_ms(59 * 60_000);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, v) = app.get(&format!("/channels/{tid}"), &owner).await;
    assert_eq!(v["thread_metadata"]["archived"], false, "not yet");
    app.clock.advance_ms(2 * 60_000);
    let upd = gw.next_event("THREAD_UPDATE").await;
    assert_eq!(upd["id"], json!(tid));
    assert_eq!(upd["thread_metadata"]["archived"], true);
    let (_, active) = app
        .get(&format!("/guilds/{}/threads/active", g.id), &member)
        .await;
    assert_eq!(active["threads"], json!([]));
    let (s, arch) = app
        .get(
            &format!("/channels/{}/threads/archived/public", g.general),
            &member,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{arch}");
    assert_eq!(arch["threads"][0]["id"], json!(tid));
    assert_eq!(arch["has_more"], false);
    let (s, v) = app
        .patch(
            &format!("/channels/{tid}"),
            &owner,
            json!({"name": "renamed"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50083),
        "archived threads must be unarchived first"
    );
    let (s, v) = app
        .get(
            &format!(
                "/channels/{}/threads/archived/public?before=yesterday",
                g.general
            ),
            &member,
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    app.create_message(tid, &member, "back again").await;
    let upd = gw.next_event("THREAD_UPDATE").await;
    assert_eq!(upd["thread_metadata"]["archived"], false);
    let (s, v) = app
        .patch(
            &format!("/channels/{tid}"),
            &owner,
            json!({"archived": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .patch(
            &format!("/channels/{tid}"),
            &owner,
            json!({"archived": false, "name": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "again");
    // Deleting needs MANAGE_THREADS and tells viewers.
    let (s, _) = app.delete(&format!("/channels/{tid}"), &member).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.delete(&format!("/channels/{tid}"), &owner).await;
    assert_eq!(s, StatusCode::OK);
    let del = gw.next_event("THREAD_DELETE").await;
    assert_eq!(del["id"], json!(tid));
    assert_eq!(del["parent_id"], json!(g.general));
    let (s, _) = app.get(&format!("/channels/{tid}"), &owner).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn threads_of_a_hidden_channel_stay_hidden() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let m = app.create_message(&g.general, &owner, "root").await;
    let t = thread_from(&app, &g.general, m["id"].as_str().unwrap(), &owner, "T").await;
    let tid = t["id"].as_str().unwrap();
    app.put(
        &format!("/channels/{}/permissions/{}", g.general, member.id),
        &owner,
        json!({"type": 1, "allow": "0", "deny": VIEW_CHANNEL.to_string()}),
    )
    .await;
    let (s, v) = app.get(&format!("/channels/{tid}"), &member).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    let (_, active) = app
        .get(&format!("/guilds/{}/threads/active", g.id), &member)
        .await;
    assert_eq!(active["threads"], json!([]));
    let (_, open) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &owner,
            json!({"name": "open"}),
        )
        .await;
    let open = open["id"].as_str().unwrap().to_owned();
    let mut gw = app.gateway(&member).await;
    app.create_message(tid, &owner, "secret").await;
    app.create_message(&open, &owner, "marker").await;
    gw.next_message("marker").await;
    assert!(
        !gw.seen
            .iter()
            .any(|(n, d)| n.starts_with("THREAD") || d["content"] == "secret"),
        "{:?}",
        gw.names()
    );
    Ok(())
}
