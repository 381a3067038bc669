//! The remaining routes and dispatches, each exercised once through the public surface.

use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn gateway_discovery_answers_with_urls_and_session_limits() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let (s, g) = app.get("/gateway", &u).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        g["url"].as_str().unwrap().starts_with("ws://")
            && !g["url"].as_str().unwrap().ends_with('/')
    );
    let (s, b) = app.get("/gateway/bot", &u).await;
    assert_eq!(s, StatusCode::OK);
    for k in ["total", "remaining", "reset_after", "max_concurrency"] {
        assert!(b["session_start_limit"][k].is_number(), "{k}");
    }
    assert_eq!(b["shards"], 1);
    let (s, _, _) = app.call(Method::GET, "/gateway/bot", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn users_are_readable_by_id_and_own_membership_by_guild() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    let (s, u) = app.get(&format!("/users/{}", b.id), &a).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["username"], "bob");
    assert!(u.get("email").is_none(), "other users' emails stay private");
    let (s, v) = app.get("/users/99", &a).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10013));
    let (s, m) = app
        .get(&format!("/users/@me/guilds/{}/member", g.id), &a)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["user"]["id"], a.id);
    let (s, v) = app
        .patch("/users/@me", &a, json!({"global_name": "Alice A."}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["global_name"], "Alice A.");
    let (s, v) = app
        .patch(
            "/users/@me",
            &a,
            json!({"username": "bob", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert_eq!(
        v["errors"]["username"]["_errors"][0]["code"],
        "USERNAME_ALREADY_TAKEN"
    );
    Ok(())
}

#[tokio::test]
async fn invite_ban_and_bulk_delete_events_reach_those_allowed_to_see_them() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let carl = app.user("carl").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    app.join(&g, &owner, &carl).await;
    let mut go = app.gateway(&owner).await;
    let mut gb = app.gateway(&bob).await;
    let code_ = app.invite(&g, &owner).await;
    assert_eq!(go.next_event("INVITE_CREATE").await["code"], code_);
    let (_, list) = app
        .get(&format!("/channels/{}/invites", g.general), &owner)
        .await;
    assert!(list.as_array().unwrap().iter().any(|i| i["code"] == code_));
    let (s, _) = app
        .get(&format!("/channels/{}/invites", g.general), &bob)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.delete(&format!("/invites/{code_}"), &owner).await;
    assert_eq!(go.next_event("INVITE_DELETE").await["code"], code_);
    let a = app.create_message(&g.general, &carl, "one").await;
    let b = app.create_message(&g.general, &carl, "two").await;
    app.post(
        &format!("/channels/{}/messages/bulk-delete", g.general),
        &owner,
        json!({"messages": [a["id"], b["id"]]}),
    )
    .await;
    let bulk = gb.next_event("MESSAGE_DELETE_BULK").await;
    assert_eq!(bulk["ids"].as_array().unwrap().len(), 2);
    app.put(
        &format!("/guilds/{}/bans/{}", g.id, carl.id),
        &owner,
        json!({}),
    )
    .await;
    let ban = go.next_event("GUILD_BAN_ADD").await;
    assert_eq!(ban["user"]["id"], carl.id);
    assert_eq!(
        gb.next_event("GUILD_MEMBER_REMOVE").await["user"]["id"],
        carl.id
    );
    app.create_message(&g.general, &owner, "barrier").await;
    gb.next_message("barrier").await;
    assert!(
        !gb.names().contains(&"INVITE_CREATE") && !gb.names().contains(&"GUILD_BAN_ADD"),
        "{:?}",
        gb.names()
    );
    Ok(())
}

#[tokio::test]
async fn reaction_removal_and_dm_events_are_dispatched() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let mut gb = app.gateway(&b).await;
    let m = app.create_message(&g.general, &a, "react").await;
    let base = format!(
        "/channels/{}/messages/{}/reactions",
        g.general,
        m["id"].as_str().unwrap()
    );
    app.put(&format!("{base}/%E2%9D%A4/@me"), &a, json!({}))
        .await;
    app.delete(&format!("{base}/%E2%9D%A4/@me"), &a).await;
    assert_eq!(
        gb.next_event("MESSAGE_REACTION_REMOVE").await["user_id"],
        a.id
    );
    app.put(&format!("{base}/%E2%9D%A4/@me"), &a, json!({}))
        .await;
    app.delete(&format!("{base}/%E2%9D%A4"), &a).await;
    assert_eq!(
        gb.next_event("MESSAGE_REACTION_REMOVE_EMOJI").await["emoji"]["name"],
        "❤"
    );
    let (_, dm) = app
        .post("/users/@me/channels", &a, json!({"recipient_id": b.id}))
        .await;
    assert_eq!(gb.next_event("CHANNEL_CREATE").await["id"], dm["id"]);
    let dm_id = dm["id"].as_str().unwrap();
    app.create_message(dm_id, &a, "psst").await;
    let d = gb.next_message("psst").await;
    assert!(d.get("guild_id").is_none());
    app.post(&format!("/channels/{dm_id}/typing"), &a, json!({}))
        .await;
    assert_eq!(gb.next_event("TYPING_START").await["channel_id"], dm["id"]);
    let (_, dms) = app.get("/users/@me/channels", &b).await;
    assert_eq!(dms[0]["id"], dm["id"]);
    Ok(())
}

#[tokio::test]
async fn a_group_dm_member_can_rename_it_and_leave() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let c = app.user("carol").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    app.join(&g, &a, &c).await;
    let (_, group) = app
        .post(
            "/users/@me/channels",
            &a,
            json!({"recipients": [b.id, c.id], "name": "trio"}),
        )
        .await;
    let id = group["id"].as_str().unwrap();
    let (s, v) = app
        .patch(&format!("/channels/{id}"), &b, json!({"name": "the trio"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "the trio");
    let (s, _) = app.delete(&format!("/channels/{id}"), &c).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/channels/{id}/messages"), &c).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, msgs) = app.get(&format!("/channels/{id}/messages"), &b).await;
    assert!(msgs.is_array());
    Ok(())
}

#[tokio::test]
async fn ban_lists_page_by_user_id() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let mut ids = vec![];
    for n in ["b1", "b2", "b3"] {
        let u = app.user(n).await;
        app.put(
            &format!("/guilds/{}/bans/{}", g.id, u.id),
            &owner,
            json!({}),
        )
        .await;
        ids.push(u.id);
    }
    let (_, first) = app
        .get(&format!("/guilds/{}/bans?limit=2", g.id), &owner)
        .await;
    assert_eq!(first.as_array().unwrap().len(), 2);
    let (_, rest) = app
        .get(&format!("/guilds/{}/bans?after={}", g.id, ids[1]), &owner)
        .await;
    assert_eq!(rest[0]["user"]["id"], ids[2]);
    let (_, before) = app
        .get(&format!("/guilds/{}/bans?before={}", g.id, ids[2]), &owner)
        .await;
    assert_eq!(before.as_array().unwrap().len(), 2);
    Ok(())
}
