#![expect(clippy::expect_used, reason = "test helpers fail loudly")]
use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MANAGE_THREADS: u64 = 1 << 34;

pub async fn forum(app: &TestApp, g: &Guild, owner: &User, extra: Value) -> (String, Value) {
    let mut body = json!({"name": "ideas", "type": 15, "available_tags": [{"name": "question"}, {"name": "announcement", "moderated": true}]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let (s, f) = app
        .post(&format!("/guilds/{}/channels", g.id), owner, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    (f["id"].as_str().expect("id").to_owned(), f)
}

pub async fn post(app: &TestApp, forum: &str, u: &User, name: &str) -> Value {
    let (s, p) = app
        .post(
            &format!("/channels/{forum}/threads"),
            u,
            json!({"name": name, "message": {"content": format!("{name} body")}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p
}

async fn vote(app: &TestApp, post: &str, u: &User, value: i64) -> StatusCode {
    let (s, v) = app
        .put(
            &format!("/channels/{post}/votes/@me"),
            u,
            json!({"value": value}),
        )
        .await;
    assert!(
        s == StatusCode::NO_CONTENT || s.is_client_error(),
        "{s} {v}"
    );
    s
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_forum_post_is_a_thread_opened_by_its_first_message_with_tags() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let (fid, f) = forum(&app, &g, &owner, json!({"flags": 16})).await;
    assert_eq!(f["flags"], 16, "REQUIRE_TAG");
    let tags = f["available_tags"].as_array().unwrap().clone();
    assert_eq!(tags.len(), 2);
    assert!(tags[0]["id"].is_string() && tags[0]["moderated"] == false);
    let question = tags[0]["id"].clone();
    let announcement = tags[1]["id"].clone();
    let mut gw = app.gateway(&member).await;
    let (s, v) = app
        .post(
            &format!("/channels/{fid}/threads"),
            &member,
            json!({"name": "No tag", "message": {"content": "x"}}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "a tag is required"
    );
    assert!(v["errors"]["applied_tags"].is_object(), "{v}");
    let (s, v) = app
        .post(
            &format!("/channels/{fid}/threads"),
            &member,
            json!({"name": "Mod tag", "message": {"content": "x"}, "applied_tags": [announcement]}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, 50013),
        "moderated tags need MANAGE_THREADS"
    );
    let (s, v) = app
        .post(
            &format!("/channels/{fid}/threads"),
            &member,
            json!({"name": "", "message": {"content": ""}, "applied_tags": [question]}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert!(v["errors"]["name"].is_object(), "{v}");
    let (s, p) = app
        .post(&format!("/channels/{fid}/threads"), &member,
              json!({"name": "How do I start?", "message": {"content": "First question"}, "applied_tags": [question]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["type"], 11);
    assert_eq!(p["parent_id"], json!(fid));
    assert_eq!(p["applied_tags"], json!([question]));
    assert_eq!(
        p["message"]["id"], p["id"],
        "the starter message shares the post's id"
    );
    assert_eq!(p["message"]["content"], "First question");
    assert_eq!(
        p["message_count"], 0,
        "the starter message is not a comment"
    );
    assert_eq!(
        (
            p["score"].clone(),
            p["upvotes"].clone(),
            p["downvotes"].clone(),
            p["me_vote"].clone()
        ),
        (json!(0), json!(0), json!(0), json!(0))
    );
    assert_eq!(gw.next_event("THREAD_CREATE").await["id"], p["id"]);
    assert_eq!(gw.next_event("MESSAGE_CREATE").await["id"], p["id"]);
    // Tags change through a modify; unknown tags are refused.
    let pid = p["id"].as_str().unwrap();
    let (s, v) = app
        .patch(
            &format!("/channels/{pid}"),
            &member,
            json!({"applied_tags": ["1"]}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    // Moderators pin; members cannot.
    let (s, _) = app
        .patch(&format!("/channels/{pid}"), &member, json!({"flags": 2}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .patch(&format!("/channels/{pid}"), &owner, json!({"flags": 2}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["flags"], 2);
    Ok(())
}

#[tokio::test]
async fn forums_can_require_karma_and_membership_age_to_post() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let newbie = app.user("newbie").await;
    let fan = app.user("fan").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &newbie).await;
    app.join(&g, &owner, &fan).await;
    let (fid, f) = forum(
        &app,
        &g,
        &owner,
        json!({"min_karma_to_post": 1, "min_member_age_to_post": 3600}),
    )
    .await;
    assert_eq!(
        (
            f["min_karma_to_post"].clone(),
            f["min_member_age_to_post"].clone()
        ),
        (json!(1), json!(3600))
    );
    let body = json!({"name": "Hello", "message": {"content": "hi"}});
    let (s, v) = app
        .post(&format!("/channels/{fid}/threads"), &newbie, body.clone())
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    assert!(v["message"].as_str().unwrap().contains("karma"), "{v}");
    // The owner (a moderator) may post; a vote from a fan gives the newbie karma once they have a post.
    let (_, f2) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            &owner,
            json!({"name": "open", "type": 15}),
        )
        .await;
    let open = f2["id"].as_str().unwrap();
    let p = post(&app, open, &newbie, "my first").await;
    assert_eq!(
        vote(&app, p["id"].as_str().unwrap(), &fan, 1).await,
        StatusCode::NO_CONTENT
    );
    let (_, m) = app
        .get(&format!("/guilds/{}/members/{}", g.id, newbie.id), &owner)
        .await;
    assert_eq!(m["karma"], 1, "{m}");
    let (s, v) = app
        .post(&format!("/channels/{fid}/threads"), &newbie, body.clone())
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    assert!(v["message"].as_str().unwrap().contains("joined"), "{v}");
    app.clock.advance_ms(3_600_000);
    let (s, v) = app
        .post(&format!("/channels/{fid}/threads"), &newbie, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    Ok(())
}

#[tokio::test]
async fn votes_are_one_per_member_changeable_removable_and_counted_exactly() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let outsider = app.user("outsider").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &a).await;
    app.join(&g, &owner, &b).await;
    let (fid, _) = forum(&app, &g, &owner, json!({})).await;
    let p = post(&app, &fid, &owner, "Vote on me").await;
    let pid = p["id"].as_str().unwrap();
    let mut gw = app
        .gateway_with(
            &b,
            json!({"token": b.token, "intents": 3276799u64 | (1u64 << 50), "properties": {}}),
        )
        .await;
    let mut plain = app.gateway(&a).await;
    assert_eq!(vote(&app, pid, &a, 1).await, StatusCode::NO_CONTENT);
    let upd = gw.next_event("VOTE_UPDATE").await;
    assert_eq!(upd["channel_id"], json!(pid));
    assert_eq!(
        (
            upd["score"].clone(),
            upd["upvotes"].clone(),
            upd["downvotes"].clone()
        ),
        (json!(1), json!(1), json!(0))
    );
    assert!(upd.get("message_id").is_none());
    vote(&app, pid, &a, 1).await; // the same vote again changes nothing
    vote(&app, pid, &b, -1).await;
    vote(&app, pid, &a, -1).await;
    // Coalesced: within a second, at most one more event, carrying the latest counts.
    let upd = gw.next_event("VOTE_UPDATE").await;
    assert_eq!(
        (
            upd["score"].clone(),
            upd["upvotes"].clone(),
            upd["downvotes"].clone()
        ),
        (json!(-2), json!(0), json!(2)),
        "{upd}"
    );
    let (_, got) = app.get(&format!("/channels/{pid}"), &a).await;
    assert_eq!(
        (got["score"].clone(), got["me_vote"].clone()),
        (json!(-2), json!(-1))
    );
    let (s, _) = app.delete(&format!("/channels/{pid}/votes/@me"), &a).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, got) = app.get(&format!("/channels/{pid}"), &a).await;
    assert_eq!(
        (
            got["score"].clone(),
            got["upvotes"].clone(),
            got["downvotes"].clone(),
            got["me_vote"].clone()
        ),
        (json!(-1), json!(0), json!(1), json!(0))
    );
    // Bad input changes nothing.
    for bad in [
        json!({"value": 2}),
        json!({"value": 0}),
        json!({"value": "up"}),
        json!({}),
    ] {
        let (s, v) = app
            .put(&format!("/channels/{pid}/votes/@me"), &a, bad)
            .await;
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035), "{v}");
    }
    let (s, _) = app
        .put(
            &format!("/channels/{pid}/votes/@me"),
            &outsider,
            json!({"value": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "non-members cannot vote");
    let (s, v) = app
        .put(
            &format!("/channels/{}/votes/@me", g.general),
            &a,
            json!({"value": 1}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50024),
        "only posts take votes"
    );
    // Karma: the owner's own vote does not count; the others' do.
    vote(&app, pid, &owner, 1).await;
    let (_, m) = app
        .get(&format!("/guilds/{}/members/{}", g.id, owner.id), &owner)
        .await;
    assert_eq!(m["karma"], -1);
    // Locked and archived posts refuse votes.
    app.patch(&format!("/channels/{pid}"), &owner, json!({"locked": true}))
        .await;
    let (s, v) = app
        .put(
            &format!("/channels/{pid}/votes/@me"),
            &a,
            json!({"value": 1}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 160005));
    app.patch(
        &format!("/channels/{pid}"),
        &owner,
        json!({"locked": false, "archived": true}),
    )
    .await;
    let (s, v) = app
        .put(
            &format!("/channels/{pid}/votes/@me"),
            &a,
            json!({"value": 1}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50083));
    // Sessions without the votes intent were never sent VOTE_UPDATE.
    app.create_message(&g.general, &owner, "marker").await;
    plain.next_message("marker").await;
    assert!(!plain.names().contains(&"VOTE_UPDATE"));
    Ok(())
}

#[tokio::test]
async fn hot_new_top_and_controversial_order_posts_as_the_formulas_say() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let mut voters = vec![];
    let g = app.guild(&owner).await;
    for i in 0..6 {
        let u = app.user(&format!("voter{i}")).await;
        app.join(&g, &owner, &u).await;
        voters.push(u);
    }
    let (fid, _) = forum(&app, &g, &owner, json!({})).await;
    // old: 12.5 h older with +5; mid: 0 votes; new: −3; split: 3 up 3 down.
    let old = post(&app, &fid, &owner, "old").await;
    app.clock.advance_ms(45_000_000);
    let mid = post(&app, &fid, &owner, "mid").await;
    let split = post(&app, &fid, &owner, "split").await;
    let neg = post(&app, &fid, &owner, "neg").await;
    let id = |p: &Value| p["id"].as_str().unwrap().to_owned();
    for u in &voters[..5] {
        vote(&app, &id(&old), u, 1).await;
    }
    for u in &voters[..3] {
        vote(&app, &id(&neg), u, -1).await;
    }
    for (i, u) in voters.iter().enumerate() {
        vote(&app, &id(&split), u, if i < 3 { 1 } else { -1 }).await;
    }
    let list = |sort: &'static str| {
        let app = &app;
        let fid = fid.clone();
        let owner = owner.clone();
        async move {
            let (s, v) = app
                .get(&format!("/channels/{fid}/posts?sort={sort}"), &owner)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            ids(&v, "posts")
        }
    };
    // hot: log10(5)=0.7 + 0 for old vs 1 + 0 for mid and split (ties break by newer id), neg 1 − 0.477.
    assert_eq!(
        list("hot").await,
        vec![id(&split), id(&mid), id(&old), id(&neg)]
    );
    assert_eq!(
        list("new").await,
        vec![id(&neg), id(&split), id(&mid), id(&old)]
    );
    assert_eq!(
        list("top").await,
        vec![id(&old), id(&split), id(&mid), id(&neg)]
    );
    assert_eq!(list("controversial").await[0], id(&split));
    let (s, v) = app
        .get(&format!("/channels/{fid}/posts?sort=top&t=hour"), &owner)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        ids(&v, "posts"),
        vec![id(&split), id(&mid), id(&neg)],
        "old is outside the hour"
    );
    let (s, v) = app
        .get(&format!("/channels/{fid}/posts?sort=rising"), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app
        .get(&format!("/channels/{fid}/posts?t=decade"), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    // A pinned post leads the first page only.
    app.patch(
        &format!("/channels/{}", id(&neg)),
        &owner,
        json!({"flags": 2}),
    )
    .await;
    let (_, v) = app
        .get(&format!("/channels/{fid}/posts?sort=hot&limit=2"), &owner)
        .await;
    assert_eq!(ids(&v, "posts"), vec![id(&neg), id(&split), id(&mid)]);
    let next = v["next"].as_str().unwrap();
    let (_, v2) = app
        .get(
            &format!("/channels/{fid}/posts?sort=hot&limit=2&after={next}"),
            &owner,
        )
        .await;
    assert_eq!(ids(&v2, "posts"), vec![id(&old)]);
    assert_eq!(v2["next"], Value::Null);
    assert_eq!(
        v["posts"][0]["message"]["content"], "neg body",
        "cards carry the opening message"
    );
    // Cursors are checked: garbage and cursors of another sort are refused.
    for bad in ["zzz", "%%%", next] {
        let (s, v) = app
            .get(
                &format!("/channels/{fid}/posts?sort=new&after={bad}"),
                &owner,
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, 50035),
            "{bad}: {v}"
        );
    }
    let (s, v) = app
        .get(&format!("/channels/{}/posts", g.general), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50024));
    Ok(())
}

#[tokio::test]
async fn pages_stay_sorted_and_never_repeat_while_votes_arrive() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let mut voters = vec![];
    for i in 0..4 {
        let u = app.user(&format!("v{i}")).await;
        app.join(&g, &owner, &u).await;
        voters.push(u);
    }
    let (fid, _) = forum(&app, &g, &owner, json!({})).await;
    let mut posts = vec![];
    for i in 0..30 {
        posts.push(
            post(&app, &fid, &owner, &format!("p{i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        app.clock.advance_ms(60_000);
    }
    let mut seen: Vec<String> = vec![];
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = after
            .as_ref()
            .map_or(String::new(), |a| format!("&after={a}"));
        let (s, v) = app
            .get(
                &format!("/channels/{fid}/posts?sort=top&limit=7{q}"),
                &owner,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let scores: Vec<i64> = v["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["score"].as_i64().unwrap())
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "page sorted: {scores:?}"
        );
        let page = ids(&v, "posts");
        let mut dedup = page.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), page.len(), "no duplicates within a page");
        seen.extend(page);
        // Votes arrive between pages, moving posts up.
        let target = &posts[pages * 3 % posts.len()];
        for u in &voters {
            vote(&app, target, u, 1).await;
        }
        pages += 1;
        assert!(pages < 20, "the walk terminates");
        match v["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert!(
        seen.len() >= 25,
        "a deduplicating client sees (almost) every post: {}",
        seen.len()
    );
    Ok(())
}

#[tokio::test]
async fn comments_nest_by_reply_and_page_through_deep_and_wide_trees() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let a = app.user("alice").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &a).await;
    let (fid, _) = forum(&app, &g, &owner, json!({})).await;
    let p = post(&app, &fid, &owner, "Tree").await;
    let pid = p["id"].as_str().unwrap().to_owned();
    let reply = |to: Option<String>, text: String| {
        let app = &app;
        let pid = pid.clone();
        let a = a.clone();
        async move {
            let mut body = json!({"content": text});
            if let Some(t) = to {
                body["message_reference"] = json!({"message_id": t});
            }
            let (s, v) = app
                .post(&format!("/channels/{pid}/messages"), &a, body)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["id"].as_str().unwrap().to_owned()
        }
    };
    // A chain 50 deep.
    let mut parent: Option<String> = None;
    let mut chain = vec![];
    for i in 0..50 {
        let id = reply(parent.clone(), format!("d{i}")).await;
        chain.push(id.clone());
        parent = Some(id);
    }
    // 30 replies under the first comment... and a wide comment with 1,000 replies.
    let wide = reply(None, "wide".into()).await;
    for i in 0..1000 {
        reply(Some(wide.clone()), format!("w{i}")).await;
    }
    let (s, t) = app
        .get(
            &format!("/channels/{pid}/comments?sort=new&depth=50&limit=10"),
            &owner,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let roots = t["comments"].as_array().unwrap();
    assert_eq!(roots[0]["id"], json!(wide), "newest root first");
    assert_eq!(roots[0]["reply_count"], 1000);
    assert_eq!(
        roots[0]["replies"].as_array().unwrap().len(),
        10,
        "10 replies per comment"
    );
    assert_eq!(roots[0]["more"]["count"], 990);
    // Follow the chain down: depth 50 reached within the budget.
    let mut node = &roots[1];
    let mut depth = 1;
    while let Some(next) = node["replies"].get(0) {
        node = next;
        depth += 1;
    }
    assert_eq!(depth, 50, "the whole chain fits");
    assert_eq!(node["content"], "d49");
    assert_eq!(node["depth"], 50);
    // Page through the 1,000 replies by the `more` cursor: every reply exactly once, in order.
    let mut got: Vec<String> = roots[0]["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["content"].as_str().unwrap().to_owned())
        .collect();
    let mut after = roots[0]["more"]["after"].as_str().map(str::to_owned);
    while let Some(cur) = after {
        let (s, v) = app
            .get(
                &format!("/channels/{pid}/comments?sort=new&parent={wide}&limit=100&after={cur}"),
                &owner,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        got.extend(
            v["comments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["content"].as_str().unwrap().to_owned()),
        );
        after = v["next"].as_str().map(str::to_owned);
    }
    let want: Vec<String> = (0..1000).rev().map(|i| format!("w{i}")).collect();
    assert_eq!(got, want);
    // A shallow depth cuts branches with `more` stubs.
    let (_, t) = app
        .get(
            &format!("/channels/{pid}/comments?sort=new&depth=2"),
            &owner,
        )
        .await;
    let chain_root = &t["comments"][1];
    assert_eq!(chain_root["replies"][0]["replies"], json!([]));
    assert_eq!(chain_root["replies"][0]["more"]["count"], 1);
    let cont = chain_root["replies"][0]["id"].as_str().unwrap();
    let (_, t) = app
        .get(
            &format!("/channels/{pid}/comments?sort=new&parent={cont}&depth=3"),
            &owner,
        )
        .await;
    assert_eq!(t["comments"][0]["content"], "d2", "continue this thread");
    // Bad input.
    for q in [
        "sort=hot",
        "depth=0",
        "depth=101",
        "limit=0",
        "after=abc",
        "parent=1",
    ] {
        let (s, _) = app
            .get(&format!("/channels/{pid}/comments?{q}"), &owner)
            .await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
            "{q}: {s}"
        );
    }
    // The post counts its comments.
    let (_, got) = app.get(&format!("/channels/{pid}"), &owner).await;
    assert_eq!(got["message_count"], 1051);
    Ok(())
}

#[tokio::test]
async fn comment_votes_rank_best_and_deleted_comments_keep_their_replies() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let mut users = vec![];
    for i in 0..10 {
        let u = app.user(&format!("u{i}")).await;
        app.join(&g, &owner, &u).await;
        users.push(u);
    }
    let (fid, _) = forum(&app, &g, &owner, json!({})).await;
    let p = post(&app, &fid, &owner, "Best").await;
    let pid = p["id"].as_str().unwrap().to_owned();
    let c1 = app.create_message(&pid, &owner, "one up").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c2 = app.create_message(&pid, &owner, "ten up one down").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c3 = app.create_message(&pid, &owner, "no votes").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cv = |c: String, u: User, v: i64| {
        let app = &app;
        let pid = pid.clone();
        async move {
            let (s, b) = app
                .put(
                    &format!("/channels/{pid}/messages/{c}/votes/@me"),
                    &u,
                    json!({"value": v}),
                )
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        }
    };
    cv(c1.clone(), users[0].clone(), 1).await;
    for u in &users[..9] {
        cv(c2.clone(), u.clone(), 1).await;
    }
    cv(c2.clone(), owner.clone(), 1).await;
    cv(c2.clone(), users[9].clone(), -1).await;
    let (_, t) = app
        .get(&format!("/channels/{pid}/comments"), &users[0])
        .await;
    assert_eq!(
        ids(&t, "comments"),
        vec![c2.clone(), c1.clone(), c3.clone()],
        "best: 10/1 above 1/0"
    );
    assert_eq!(t["comments"][1]["me_vote"], 1);
    assert_eq!(
        (
            t["comments"][0]["upvotes"].clone(),
            t["comments"][0]["downvotes"].clone(),
            t["comments"][0]["score"].clone()
        ),
        (json!(10), json!(1), json!(9))
    );
    let (_, m) = app
        .get(&format!("/guilds/{}/members/{}", g.id, owner.id), &owner)
        .await;
    assert_eq!(m["karma"], 9, "own votes excluded: 1 + 9 − 1");
    let (s, _) = app
        .put(
            &format!("/channels/{pid}/messages/1/votes/@me"),
            &owner,
            json!({"value": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A deleted comment with replies stays as a tombstone; without replies it goes.
    let r = app
        .post(
            &format!("/channels/{pid}/messages"),
            &users[1],
            json!({"content": "reply", "message_reference": {"message_id": c3}}),
        )
        .await
        .1;
    app.delete(&format!("/channels/{pid}/messages/{c3}"), &owner)
        .await;
    app.delete(&format!("/channels/{pid}/messages/{c1}"), &owner)
        .await;
    let (_, t) = app
        .get(&format!("/channels/{pid}/comments?sort=new"), &owner)
        .await;
    assert_eq!(ids(&t, "comments"), vec![c3.clone(), c2.clone()]);
    assert_eq!(t["comments"][0]["deleted"], true);
    assert_eq!(t["comments"][0]["author"], Value::Null);
    assert_eq!(t["comments"][0]["replies"][0]["id"], r["id"]);
    let _ = MANAGE_THREADS;
    Ok(())
}
