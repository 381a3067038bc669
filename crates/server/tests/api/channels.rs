use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn managers_create_modify_reorder_and_delete_channels() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let (s, cat) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &u,
            json!({"name": "Projects", "type": 4}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cat}");
    let (s, ch) = app
        .post(&format!("/guilds/{}/channels", g.id), &u, json!({"name": "Weekly Sync", "topic": "plans", "parent_id": cat["id"], "rate_limit_per_user": 5}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    assert_eq!(ch["name"], "weekly-sync");
    assert_eq!(ch["parent_id"], cat["id"]);
    assert_eq!(ch["rate_limit_per_user"], 5);
    let (s, v) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &u,
            json!({"name": "x", "type": 4, "parent_id": cat["id"]}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "categories do not nest"
    );
    let (s, v) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &u,
            json!({"name": "x", "type": 99}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let id = ch["id"].as_str().unwrap();
    let (s, v) = app
        .patch(
            &format!("/channels/{id}"),
            &u,
            json!({"topic": null, "nsfw": true, "rate_limit_per_user": 99999}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .patch(
            &format!("/channels/{id}"),
            &u,
            json!({"topic": null, "nsfw": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["topic"], serde_json::Value::Null);
    assert_eq!(v["nsfw"], true);
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/channels", g.id),
            &u,
            json!([{"id": id, "position": 7, "parent_id": null}]),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.get(&format!("/channels/{id}"), &u).await;
    assert_eq!(v["position"], 7);
    assert_eq!(v["parent_id"], serde_json::Value::Null);
    let (s, _) = app.delete(&format!("/channels/{id}"), &u).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.get(&format!("/channels/{id}"), &u).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10003));
    Ok(())
}

#[tokio::test]
async fn a_channel_hidden_by_an_overwrite_disappears_for_members_but_not_for_the_owner() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let (_, secret) = app
        .post(&format!("/guilds/{}/channels", g.id), &owner, json!({"name": "staff", "permission_overwrites": [{"id": g.id, "type": 0, "allow": "0", "deny": "1024"}]}))
        .await;
    let sid = secret["id"].as_str().unwrap();
    let (_, bobs) = app.get(&format!("/guilds/{}/channels", g.id), &bob).await;
    assert!(!bobs.as_array().unwrap().iter().any(|c| c["id"] == sid));
    let (s, v) = app.get(&format!("/channels/{sid}/messages"), &bob).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    let (s, v) = app
        .post(
            &format!("/channels/{sid}/messages"),
            &bob,
            json!({"content": "let me in"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    // A member overwrite lets bob in again; a role allow beats the @everyone deny as well.
    let (s, _) = app
        .put(
            &format!("/channels/{sid}/permissions/{}", bob.id),
            &owner,
            json!({"type": 1, "allow": "3072", "deny": "0"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .post(
            &format!("/channels/{sid}/messages"),
            &bob,
            json!({"content": "thanks"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .put(
            &format!("/channels/{sid}/permissions/{}", owner.id),
            &bob,
            json!({"type": 1, "deny": "1024"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "bob lacks MANAGE_ROLES");
    let (s, _) = app
        .delete(&format!("/channels/{sid}/permissions/{}", bob.id), &owner)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/channels/{sid}"), &bob).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn members_without_manage_channels_cannot_create_or_delete_channels() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let (s, v) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &bob,
            json!({"name": "mine"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, v) = app.delete(&format!("/channels/{}", g.general), &bob).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    Ok(())
}

#[tokio::test]
async fn editing_a_category_updates_synced_children_only() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let (_, cat) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &u,
            json!({"name": "Cat", "type": 4}),
        )
        .await;
    let (_, synced) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &u,
            json!({"name": "a", "parent_id": cat["id"]}),
        )
        .await;
    let (_, custom) = app
        .post(&format!("/guilds/{}/channels", g.id), &u, json!({"name": "b", "parent_id": cat["id"], "permission_overwrites": [{"id": g.id, "type": 0, "deny": "2048"}]}))
        .await;
    let ow = json!([{"id": g.id, "type": 0, "allow": "0", "deny": "64"}]);
    let (s, _) = app
        .patch(
            &format!("/channels/{}", cat["id"].as_str().unwrap()),
            &u,
            json!({"permission_overwrites": ow}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = app
        .get(&format!("/channels/{}", synced["id"].as_str().unwrap()), &u)
        .await;
    assert_eq!(a["permission_overwrites"][0]["deny"], "64");
    let (_, b) = app
        .get(&format!("/channels/{}", custom["id"].as_str().unwrap()), &u)
        .await;
    assert_eq!(b["permission_overwrites"][0]["deny"], "2048");
    Ok(())
}

#[tokio::test]
async fn direct_messages_need_a_shared_community_and_are_opened_once() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let stranger = app.user("stranger").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let (s, dm) = app
        .post("/users/@me/channels", &a, json!({"recipient_id": b.id}))
        .await;
    assert_eq!(s, StatusCode::OK, "{dm}");
    assert_eq!(dm["type"], 1);
    assert_eq!(dm["recipients"][0]["id"], b.id);
    let (_, again) = app
        .post("/users/@me/channels", &b, json!({"recipient_id": a.id}))
        .await;
    assert_eq!(again["id"], dm["id"]);
    let dm_id = dm["id"].as_str().unwrap();
    app.create_message(dm_id, &b, "hi alice").await;
    let (_, msgs) = app.get(&format!("/channels/{dm_id}/messages"), &a).await;
    assert_eq!(msgs[0]["content"], "hi alice");
    let (s, _) = app
        .get(&format!("/channels/{dm_id}/messages"), &stranger)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            "/users/@me/channels",
            &stranger,
            json!({"recipient_id": a.id}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let c = app.user("carol").await;
    app.join(&g, &a, &c).await;
    let (s, group) = app
        .post(
            "/users/@me/channels",
            &a,
            json!({"recipients": [b.id, c.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{group}");
    assert_eq!(group["type"], 3);
    assert_eq!(group["recipients"].as_array().unwrap().len(), 2);
    Ok(())
}
