use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_new_guild_has_everyone_a_general_channel_and_a_category_owned_by_its_creator() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let (s, guild) = app
        .get(&format!("/guilds/{}?with_counts=true", g.id), &u)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(guild["owner_id"], u.id);
    assert_eq!(
        guild["roles"][0]["id"], g.id,
        "@everyone's id is the guild id"
    );
    assert_eq!(guild["roles"][0]["name"], "@everyone");
    assert!(guild["roles"][0]["permissions"].is_string());
    assert_eq!(guild["approximate_member_count"], 1);
    for key in [
        "afk_timeout",
        "verification_level",
        "features",
        "preferred_locale",
        "system_channel_flags",
        "mfa_level",
        "nsfw_level",
    ] {
        assert!(guild.get(key).is_some(), "missing {key}");
    }
    let (_, channels) = app.get(&format!("/guilds/{}/channels", g.id), &u).await;
    let chans = channels.as_array().unwrap();
    let general = chans.iter().find(|c| c["id"] == g.general).unwrap();
    assert_eq!(general["name"], "general");
    assert_eq!(general["type"], 0);
    assert!(
        chans
            .iter()
            .any(|c| c["type"] == 4 && general["parent_id"] == c["id"])
    );
    Ok(())
}

#[tokio::test]
async fn only_managers_modify_a_guild_and_only_the_owner_deletes_it() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let (s, v) = app
        .patch(
            &format!("/guilds/{}", g.id),
            &bob,
            json!({"name": "Mine now"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, v) = app
        .patch(&format!("/guilds/{}", g.id), &owner, json!({"name": "x"}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "names are 2-100 characters"
    );
    let (s, v) = app
        .patch(
            &format!("/guilds/{}", g.id),
            &owner,
            json!({"name": "Renamed", "description": "hi", "verification_level": 9}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["errors"]["verification_level"].is_object());
    let (_, still) = app.get(&format!("/guilds/{}", g.id), &owner).await;
    assert_eq!(
        still["name"], "Study Group",
        "a rejected patch changes nothing"
    );
    let (s, v) = app
        .patch(
            &format!("/guilds/{}", g.id),
            &owner,
            json!({"name": "Renamed", "description": "hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["name"], "Renamed");
    let (s, _) = app.delete(&format!("/guilds/{}", g.id), &bob).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.delete(&format!("/guilds/{}", g.id), &owner).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/guilds/{}", g.id), &owner).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10004));
    Ok(())
}

#[tokio::test]
async fn non_members_get_missing_access_and_users_list_their_guilds() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let eve = app.user("eve").await;
    let g = app.guild(&owner).await;
    let (s, v) = app.get(&format!("/guilds/{}", g.id), &eve).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    let (s, v) = app
        .get(&format!("/channels/{}/messages", g.general), &eve)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50001));
    let (_, mine) = app.get("/users/@me/guilds", &owner).await;
    assert_eq!(mine[0]["id"], g.id);
    assert_eq!(mine[0]["owner"], true);
    let (_, theirs) = app.get("/users/@me/guilds", &eve).await;
    assert_eq!(theirs, json!([]));
    Ok(())
}

#[tokio::test]
async fn members_leave_but_the_owner_cannot() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &bob).await;
    let (s, _) = app
        .delete(&format!("/users/@me/guilds/{}", g.id), &owner)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .delete(&format!("/users/@me/guilds/{}", g.id), &bob)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/guilds/{}", g.id), &bob).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}
