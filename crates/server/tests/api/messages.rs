use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_message_has_every_field_the_bot_libraries_require() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let (s, m) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &u,
            json!({"content": "hello", "nonce": "abc"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for key in [
        "id",
        "channel_id",
        "author",
        "content",
        "timestamp",
        "edited_timestamp",
        "tts",
        "mention_everyone",
        "mentions",
        "mention_roles",
        "attachments",
        "embeds",
        "pinned",
        "type",
        "flags",
        "components",
    ] {
        assert!(m.get(key).is_some(), "missing {key}: {m}");
    }
    assert_eq!(m["nonce"], "abc");
    assert_eq!(m["author"]["id"], u.id);
    let ts = m["timestamp"].as_str().unwrap();
    assert!(ts.len() >= 25 && ts.ends_with("+00:00"), "{ts}");
    Ok(())
}

#[tokio::test]
async fn history_pages_follow_discords_order() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let mut ids = vec![];
    for i in 0..12 {
        ids.push(
            app.create_message(&g.general, &u, &format!("m{i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let list = |v: serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, v) = app
        .get(&format!("/channels/{}/messages?limit=3", g.general), &u)
        .await;
    assert_eq!(list(v), ["m11", "m10", "m9"]);
    let (_, v) = app
        .get(
            &format!("/channels/{}/messages?limit=2&before={}", g.general, ids[5]),
            &u,
        )
        .await;
    assert_eq!(list(v), ["m4", "m3"]);
    let (_, v) = app
        .get(
            &format!("/channels/{}/messages?limit=2&after={}", g.general, ids[5]),
            &u,
        )
        .await;
    assert_eq!(list(v), ["m7", "m6"]);
    let (_, v) = app
        .get(
            &format!("/channels/{}/messages?limit=3&around={}", g.general, ids[5]),
            &u,
        )
        .await;
    assert_eq!(list(v), ["m6", "m5", "m4"]);
    let (s, v) = app
        .get(&format!("/channels/{}/messages?limit=101", g.general), &u)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, _) = app
        .get(
            &format!("/channels/{}/messages?before=1&after=2", g.general),
            &u,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn bad_messages_are_refused_and_change_nothing() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let path = format!("/channels/{}/messages", g.general);
    let (s, v) = app.post(&path, &u, json!({"content": "   "})).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50006));
    let (s, v) = app
        .post(&path, &u, json!({"content": "x".repeat(2001)}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert!(v["errors"]["content"]["_errors"][0]["code"].is_string());
    let (s, v) = app
        .post(&path, &u, json!({"content": "ok", "nonce": "x".repeat(26)}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app
        .post(
            &path,
            &u,
            json!({"content": "ok", "message_reference": {"message_id": "123"}}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app
        .post(&path, &u, json!({"embeds": [{"title": "t".repeat(257)}]}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert!(v["errors"]["embeds"]["0"]["title"].is_object(), "{v}");
    let (_, cats) = app.get(&format!("/guilds/{}/channels", g.id), &u).await;
    let cat = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == 4)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = app
        .post(
            &format!("/channels/{cat}/messages"),
            &u,
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50008));
    let (_, msgs) = app.get(&path, &u).await;
    assert_eq!(msgs, json!([]));
    Ok(())
}

#[tokio::test]
async fn replies_mentions_and_everyone_pings_follow_permissions_and_allowed_mentions() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let role = app
        .create_role(&g, &owner, json!({"name": "team", "mentionable": false}))
        .await;
    let rid = role["id"].as_str().unwrap();
    let first = app.create_message(&g.general, &bob, "question?").await;
    let (_, reply) = app
        .post(&format!("/channels/{}/messages", g.general), &owner, json!({"content": format!("answer <@{}> <@&{rid}> @everyone", bob.id), "message_reference": {"message_id": first["id"]}}))
        .await;
    assert_eq!(reply["type"], 19);
    assert_eq!(reply["referenced_message"]["id"], first["id"]);
    assert_eq!(reply["message_reference"]["message_id"], first["id"]);
    assert_eq!(reply["mentions"][0]["id"], bob.id);
    assert_eq!(
        reply["mention_roles"][0], rid,
        "the owner may mention unmentionable roles"
    );
    assert_eq!(reply["mention_everyone"], true);
    // Remove MENTION_EVERYONE from @everyone: bob's @everyone and unmentionable role mention do nothing.
    app.patch(
        &format!("/guilds/{}/roles/{}", g.id, g.id),
        &owner,
        json!({"permissions": "3072"}),
    )
    .await;
    let m = app
        .create_message(&g.general, &bob, &format!("@everyone <@&{rid}>"))
        .await;
    assert_eq!(m["mention_everyone"], false);
    assert_eq!(m["mention_roles"], json!([]));
    let (_, quiet) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &owner,
            json!({"content": format!("hi <@{}>", bob.id), "allowed_mentions": {"parse": []}}),
        )
        .await;
    assert_eq!(quiet["mentions"], json!([]));
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &owner,
            json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": [bob.id]}}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    Ok(())
}

#[tokio::test]
async fn only_authors_edit_and_authors_or_moderators_delete() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let m = app.create_message(&g.general, &bob, "typo").await;
    let mid = m["id"].as_str().unwrap();
    let path = format!("/channels/{}/messages/{mid}", g.general);
    let (s, v) = app.patch(&path, &owner, json!({"content": "hijack"})).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50005));
    let (s, v) = app.patch(&path, &bob, json!({"content": "fixed"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["content"], "fixed");
    assert!(v["edited_timestamp"].is_string());
    let (s, _) = app.patch(&path, &bob, json!({"content": ""})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let other = app.create_message(&g.general, &owner, "mine").await;
    let (s, v) = app
        .delete(
            &format!(
                "/channels/{}/messages/{}",
                g.general,
                other["id"].as_str().unwrap()
            ),
            &bob,
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, _) = app.delete(&path, &owner).await;
    assert_eq!(
        s,
        StatusCode::NO_CONTENT,
        "MANAGE_MESSAGES deletes anyone's"
    );
    let (s, v) = app.get(&path, &owner).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10008));
    Ok(())
}

#[tokio::test]
async fn bulk_delete_takes_2_to_100_recent_messages() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let a = app.create_message(&g.general, &u, "a").await;
    let b = app.create_message(&g.general, &u, "b").await;
    let c = app.create_message(&g.general, &u, "c").await;
    let path = format!("/channels/{}/messages/bulk-delete", g.general);
    let (s, _) = app.post(&path, &u, json!({"messages": [a["id"]]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .post(&path, &u, json!({"messages": [a["id"], a["id"]]}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .post(&path, &u, json!({"messages": [a["id"], b["id"]]}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, left) = app
        .get(&format!("/channels/{}/messages", g.general), &u)
        .await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    app.clock.advance_ms(15 * 24 * 3600 * 1000);
    let d = app.create_message(&g.general, &u, "d").await;
    let (s, v) = app
        .post(&path, &u, json!({"messages": [c["id"], d["id"]]}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50034));
    Ok(())
}

#[tokio::test]
async fn reactions_are_added_listed_and_removed() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let m = app.create_message(&g.general, &owner, "vote").await;
    let base = format!(
        "/channels/{}/messages/{}/reactions",
        g.general,
        m["id"].as_str().unwrap()
    );
    let thumbs = "%F0%9F%91%8D";
    for u in [&owner, &bob] {
        let (s, _) = app.put(&format!("{base}/{thumbs}/@me"), u, json!({})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let (s, v) = app
        .put(&format!("{base}/notanemoji/@me"), &bob, json!({}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10014));
    let (_, msg) = app
        .get(
            &format!(
                "/channels/{}/messages/{}",
                g.general,
                m["id"].as_str().unwrap()
            ),
            &bob,
        )
        .await;
    assert_eq!(msg["reactions"][0]["count"], 2);
    assert_eq!(msg["reactions"][0]["me"], true);
    assert_eq!(msg["reactions"][0]["emoji"]["name"], "👍");
    // A history page with reacted and unreacted messages shows each message's own.
    app.create_message(&g.general, &owner, "no reactions").await;
    let (_, page) = app
        .get(&format!("/channels/{}/messages?limit=2", g.general), &bob)
        .await;
    assert_eq!(page[0]["reactions"], json!([]), "{page}");
    assert_eq!(page[1]["reactions"][0]["count"], 2, "{page}");
    let (_, users) = app.get(&format!("{base}/{thumbs}"), &bob).await;
    assert_eq!(users.as_array().unwrap().len(), 2);
    let (s, _) = app
        .delete(&format!("{base}/{thumbs}/{}", owner.id), &bob)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.delete(&format!("{base}/{thumbs}/@me"), &bob).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.delete(&base, &owner).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, msg) = app
        .get(
            &format!(
                "/channels/{}/messages/{}",
                g.general,
                m["id"].as_str().unwrap()
            ),
            &bob,
        )
        .await;
    assert_eq!(msg["reactions"], json!([]));
    Ok(())
}

#[tokio::test]
async fn pins_are_listed_newest_first_and_post_a_system_message() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let a = app.create_message(&g.general, &u, "first").await;
    let b = app.create_message(&g.general, &u, "second").await;
    for m in [&a, &b] {
        let (s, _) = app
            .put(
                &format!("/channels/{}/pins/{}", g.general, m["id"].as_str().unwrap()),
                &u,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        app.clock.advance_ms(10);
    }
    let (_, pins) = app.get(&format!("/channels/{}/pins", g.general), &u).await;
    assert_eq!(pins[0]["id"], b["id"]);
    assert_eq!(pins[0]["pinned"], true);
    let (_, page) = app
        .get(
            &format!("/channels/{}/messages/pins?limit=1", g.general),
            &u,
        )
        .await;
    assert_eq!(page["has_more"], true);
    assert_eq!(page["items"][0]["message"]["id"], b["id"]);
    let (_, recent) = app
        .get(&format!("/channels/{}/messages?limit=1", g.general), &u)
        .await;
    assert_eq!(recent[0]["type"], 6);
    let (s, _) = app
        .delete(
            &format!(
                "/channels/{}/messages/pins/{}",
                g.general,
                a["id"].as_str().unwrap()
            ),
            &u,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, pins) = app.get(&format!("/channels/{}/pins", g.general), &u).await;
    assert_eq!(pins.as_array().unwrap().len(), 1);
    Ok(())
}

#[tokio::test]
async fn slowmode_limits_members_but_not_moderators() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    app.patch(
        &format!("/channels/{}", g.general),
        &owner,
        json!({"rate_limit_per_user": 10}),
    )
    .await;
    app.create_message(&g.general, &bob, "one").await;
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &bob,
            json!({"content": "two"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::TOO_MANY_REQUESTS, 20016));
    app.create_message(&g.general, &owner, "mods are exempt")
        .await;
    app.create_message(&g.general, &owner, "still exempt").await;
    app.clock.advance_ms(10_001);
    app.create_message(&g.general, &bob, "two").await;
    Ok(())
}

#[tokio::test]
async fn a_nonce_with_enforce_nonce_sends_once() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let body = json!({"content": "retry me", "nonce": "n-1", "enforce_nonce": true});
    let (_, a) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &u,
            body.clone(),
        )
        .await;
    let (_, b) = app
        .post(&format!("/channels/{}/messages", g.general), &u, body)
        .await;
    assert_eq!(a["id"], b["id"]);
    let (_, all) = app
        .get(&format!("/channels/{}/messages", g.general), &u)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    Ok(())
}
