use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn contents(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|hit| hit[0]["content"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn search_finds_only_what_the_searcher_may_read_with_discords_filters() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let (_, secret) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &owner,
            json!({"name": "staff", "type": 0,
            "permission_overwrites": [{"id": g.id, "type": 0, "deny": "1024"}]}),
        )
        .await;
    let secret = secret["id"].as_str().expect("id").to_owned();
    let m1 = app
        .create_message(&g.general, &member, "Homework for Monday: chapter 3")
        .await;
    app.create_message(
        &g.general,
        &owner,
        &format!("<@{}> homework help at https://example.com", member.id),
    )
    .await;
    app.create_message(&secret, &owner, "staff homework rota")
        .await;
    let pinned = app
        .create_message(&g.general, &owner, "pinned homework schedule")
        .await;
    app.put(
        &format!(
            "/channels/{}/pins/{}",
            g.general,
            pinned["id"].as_str().expect("id")
        ),
        &owner,
        json!({}),
    )
    .await;
    app.create_message(&g.general, &member, "nothing to see")
        .await;
    let (_, th) = app
        .post(
            &format!("/channels/{}/threads", g.general),
            &owner,
            json!({"name": "private", "type": 12}),
        )
        .await;
    let th = th["id"].as_str().expect("thread").to_owned();
    app.create_message(&th, &owner, "private homework thread")
        .await;

    let search = |u: &User, q: &str| {
        let app = &app;
        let path = format!("/guilds/{}/messages/search?{q}", g.id);
        let u = u.clone();
        async move { app.get(&path, &u).await }
    };
    let (s, v) = search(&member, "content=homework").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total_results"], 3, "{v}");
    let found = contents(&v);
    assert_eq!(
        found[0], "pinned homework schedule",
        "newest first: {found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|c| c.contains("staff") || c.contains("private")),
        "{found:?}"
    );
    assert_eq!(v["messages"][0][0]["hit"], true);
    let (_, v) = search(&owner, "content=HOMEWORK").await;
    assert_eq!(
        v["total_results"], 5,
        "the owner reads the staff channel and the private thread: {v}"
    );

    // Filters.
    let (_, v) = search(
        &member,
        &format!("content=homework&author_id={}", member.id),
    )
    .await;
    assert_eq!(contents(&v), vec!["Homework for Monday: chapter 3"]);
    let (_, v) = search(&member, &format!("mentions={}", member.id)).await;
    assert_eq!(v["total_results"], 1, "{v}");
    let (_, v) = search(&member, "has=link").await;
    assert_eq!(v["total_results"], 1, "{v}");
    let (_, v) = search(&member, "has=image").await;
    assert_eq!(v["total_results"], 0);
    let (_, v) = search(&member, "pinned=true").await;
    assert_eq!(contents(&v), vec!["pinned homework schedule"]);
    let (_, v) = search(&owner, &format!("content=homework&channel_id={secret}")).await;
    assert_eq!(contents(&v), vec!["staff homework rota"]);
    let (_, v) = search(&member, &format!("content=homework&channel_id={secret}")).await;
    assert_eq!(
        v["total_results"], 0,
        "naming a hidden channel finds nothing: {v}"
    );
    let (_, v) = search(&member, "content=homework&sort_order=asc&limit=1").await;
    assert_eq!(contents(&v), vec!["Homework for Monday: chapter 3"]);
    assert_eq!(v["total_results"], 3);
    let (_, v) = search(&member, "content=homework&offset=2").await;
    assert_eq!(contents(&v), vec!["Homework for Monday: chapter 3"]);
    let (_, v) = search(
        &member,
        &format!("content=homework&min_id={}", m1["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(v["total_results"], 2);
    let (_, v) = search(&member, "content=chapter%20homework&sort_by=relevance").await;
    assert_eq!(contents(&v), vec!["Homework for Monday: chapter 3"]);
    let (_, v) = search(&member, "content=%22%29%20OR%20*").await;
    assert_eq!(
        v["total_results"], 0,
        "operators in the text are words, not syntax: {v}"
    );

    // Edits and deletes reach the index.
    let mid = m1["id"].as_str().expect("id");
    app.patch(
        &format!("/channels/{}/messages/{mid}", g.general),
        &member,
        json!({"content": "Reading for Monday"}),
    )
    .await;
    let (_, v) = search(&member, "content=reading").await;
    assert_eq!(v["total_results"], 1);
    let (_, v) = search(&member, "content=chapter").await;
    assert_eq!(v["total_results"], 0);
    app.delete(&format!("/channels/{}/messages/{mid}", g.general), &member)
        .await;
    let (_, v) = search(&member, "content=reading").await;
    assert_eq!(v["total_results"], 0);

    // Bad input.
    for q in [
        "limit=26",
        "offset=9976",
        "sort_by=votes",
        "sort_order=up",
        "has=spaceship",
        "pinned=maybe",
        "author_id=abc",
    ] {
        let (s, v) = search(&member, q).await;
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035), "{q}: {v}");
    }
    let outsider = app.user("outsider").await;
    let (s, _) = search(&outsider, "content=homework").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let bot = app.bot(&owner, "Searcher", 0).await;
    app.add_bot(&g, &owner, &bot, 1024 | 65536).await;
    let (s, v) = search(&bot.user, "content=homework").await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 20001), "{v}");

    // DMs.
    let (_, dm) = app
        .post(
            "/users/@me/channels",
            &owner,
            json!({"recipient_id": member.id}),
        )
        .await;
    let dm = dm["id"].as_str().expect("dm").to_owned();
    app.create_message(&dm, &owner, "our secret homework plan")
        .await;
    let (s, v) = app
        .get(
            &format!("/channels/{dm}/messages/search?content=homework"),
            &member,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(contents(&v), vec!["our secret homework plan"]);
    let (s, _) = app
        .get(
            &format!("/channels/{dm}/messages/search?content=homework"),
            &outsider,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.shutdown().await;
    Ok(())
}
