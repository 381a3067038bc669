use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_invite_shows_its_guild_to_anyone_and_joins_whoever_accepts_it() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    let (s, inv) = app
        .post(
            &format!("/channels/{}/invites", g.general),
            &owner,
            json!({"max_age": 3600, "max_uses": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{inv}");
    for key in [
        "code",
        "guild",
        "channel",
        "inviter",
        "expires_at",
        "uses",
        "max_uses",
        "max_age",
        "temporary",
        "created_at",
    ] {
        assert!(inv.get(key).is_some(), "missing {key}");
    }
    let code_ = inv["code"].as_str().unwrap();
    let (s, _, public) = app
        .call(
            Method::GET,
            &format!("/invites/{code_}?with_counts=true"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(public["guild"]["id"], g.id);
    assert_eq!(public["approximate_member_count"], 1);
    assert!(public.get("uses").is_none(), "metadata is for managers");
    let (s, _) = app
        .post(&format!("/invites/{code_}"), &bob, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/guilds/{}", g.id), &bob).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app.get(&format!("/guilds/{}/invites", g.id), &owner).await;
    assert_eq!(list[0]["uses"], 1);
    let (s, _) = app.get(&format!("/guilds/{}/invites", g.id), &bob).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn expired_and_used_up_invites_answer_10006() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let (a, b, c) = (
        app.user("aa").await,
        app.user("bb").await,
        app.user("cc").await,
    );
    let g = app.guild(&owner).await;
    let (_, once) = app
        .post(
            &format!("/channels/{}/invites", g.general),
            &owner,
            json!({"max_uses": 1, "unique": true}),
        )
        .await;
    let once = once["code"].as_str().unwrap().to_owned();
    let (s, _) = app.post(&format!("/invites/{once}"), &a, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.post(&format!("/invites/{once}"), &b, json!({})).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10006));
    let (_, short) = app
        .post(
            &format!("/channels/{}/invites", g.general),
            &owner,
            json!({"max_age": 60, "unique": true}),
        )
        .await;
    let short = short["code"].as_str().unwrap().to_owned();
    app.clock.advance_ms(61_000);
    let (s, v) = app.post(&format!("/invites/{short}"), &c, json!({})).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10006));
    let (s, v) = app.get(&format!("/invites/{short}"), &c).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10006));
    let (s, v) = app
        .post(
            &format!("/channels/{}/invites", g.general),
            &owner,
            json!({"max_age": 604801}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    Ok(())
}

#[tokio::test]
async fn deleting_an_invite_needs_manage_rights() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let code_ = app.invite(&g, &owner).await;
    let (s, _) = app.delete(&format!("/invites/{code_}"), &bob).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.delete(&format!("/invites/{code_}"), &owner).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/invites/{code_}"), &owner).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn temporary_members_are_removed_when_they_disconnect_without_a_role() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let guest = app.user("guest").await;
    let g = app.guild(&owner).await;
    let (_, inv) = app
        .post(
            &format!("/channels/{}/invites", g.general),
            &owner,
            json!({"temporary": true}),
        )
        .await;
    let mut owner_gw = app.gateway(&owner).await;
    let mut gw = app.gateway(&guest).await;
    let (s, _) = app
        .post(
            &format!("/invites/{}", inv["code"].as_str().unwrap()),
            &guest,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    gw.next_event("GUILD_CREATE").await;
    gw.logout().await;
    let d = owner_gw.next_event("GUILD_MEMBER_REMOVE").await;
    assert_eq!(d["user"]["id"], guest.id);
    Ok(())
}
