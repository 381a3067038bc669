use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn members_are_listed_by_id_fetched_and_renamed() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let mut users = vec![];
    for n in ["m1", "m2", "m3"] {
        let u = app.user(n).await;
        app.join(&g, &owner, &u).await;
        users.push(u);
    }
    let (s, page) = app
        .get(&format!("/guilds/{}/members?limit=2", g.id), &owner)
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 2);
    for key in [
        "user",
        "nick",
        "avatar",
        "roles",
        "joined_at",
        "premium_since",
        "deaf",
        "mute",
        "flags",
        "pending",
        "communication_disabled_until",
    ] {
        assert!(page[0].get(key).is_some(), "missing {key}");
    }
    let last = page[1]["user"]["id"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/guilds/{}/members?limit=1000&after={last}", g.id),
            &owner,
        )
        .await;
    assert_eq!(rest.as_array().unwrap().len(), 2);
    let (s, _) = app
        .get(&format!("/guilds/{}/members?limit=0", g.id), &owner)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, found) = app
        .get(
            &format!("/guilds/{}/members/search?query=m&limit=10", g.id),
            &owner,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 3);
    let (s, m) = app
        .patch(
            &format!("/guilds/{}/members/@me", g.id),
            &users[0],
            json!({"nick": "Emm"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["nick"], "Emm");
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/members/{}", g.id, users[1].id),
            &users[0],
            json!({"nick": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .get(&format!("/guilds/{}/members/123", g.id), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10007));
    Ok(())
}

#[tokio::test]
async fn kicks_and_bans_follow_the_hierarchy_and_a_banned_user_cannot_rejoin() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let carl = app.user("carl").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    app.join(&g, &owner, &carl).await;
    let (s, v) = app
        .delete(&format!("/guilds/{}/members/{}", g.id, carl.id), &bob)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, _) = app
        .delete(&format!("/guilds/{}/members/{}", g.id, owner.id), &owner)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nobody kicks the owner");
    let (s, _) = app
        .delete(&format!("/guilds/{}/members/{}", g.id, carl.id), &owner)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let m = app.create_message(&g.general, &bob, "spam").await;
    let (s, _) = app
        .put(
            &format!("/guilds/{}/bans/{}", g.id, bob.id),
            &owner,
            json!({"delete_message_seconds": 700000}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let resp = app
        .http
        .put(format!("{}/guilds/{}/bans/{}", app.base, g.id, bob.id))
        .header("Authorization", &owner.token)
        .header("X-Audit-Log-Reason", "spam%20bot")
        .json(&json!({"delete_message_seconds": 3600}))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (s, ban) = app
        .get(&format!("/guilds/{}/bans/{}", g.id, bob.id), &owner)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ban["reason"], "spam bot");
    assert_eq!(ban["user"]["id"], bob.id);
    let (_, bans) = app.get(&format!("/guilds/{}/bans", g.id), &owner).await;
    assert_eq!(bans.as_array().unwrap().len(), 1);
    let (s, _) = app
        .get(
            &format!(
                "/channels/{}/messages/{}",
                g.general,
                m["id"].as_str().unwrap()
            ),
            &owner,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the banned user's recent messages are gone"
    );
    let code_ = app.invite(&g, &owner).await;
    let (s, v) = app
        .post(&format!("/invites/{code_}"), &bob, json!({}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 40007));
    let (s, _) = app
        .delete(&format!("/guilds/{}/bans/{}", g.id, bob.id), &owner)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app
        .delete(&format!("/guilds/{}/bans/{}", g.id, bob.id), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10026));
    let (s, _) = app
        .post(&format!("/invites/{code_}"), &bob, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "after the ban is lifted they may rejoin");
    Ok(())
}

#[tokio::test]
async fn a_timed_out_member_can_read_but_not_send() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let until =
        coterie_model::Timestamp(coterie_server::clock::Clock::now_ms(app.clock.as_ref()) + 60_000)
            .to_string();
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/members/{}", g.id, bob.id),
            &owner,
            json!({"communication_disabled_until": until}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["communication_disabled_until"].is_string());
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &bob,
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, _) = app
        .get(&format!("/channels/{}/messages", g.general), &bob)
        .await;
    assert_eq!(s, StatusCode::OK);
    app.clock.advance_ms(61_000);
    let (s, _) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &bob,
            json!({"content": "back"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the timeout ends on its own");
    Ok(())
}
