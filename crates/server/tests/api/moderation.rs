#![expect(clippy::expect_used, reason = "test helpers fail loudly")]

use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A request carrying `X-Audit-Log-Reason`.
async fn with_reason(
    app: &TestApp,
    method: Method,
    path: &str,
    u: &User,
    reason: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method, format!("{}{}", app.base, path))
        .header("Authorization", &u.token)
        .header("X-Audit-Log-Reason", reason);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let s = resp.status();
    let bytes = resp.bytes().await.expect("body");
    (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn entries(v: &Value) -> Vec<Value> {
    v["audit_log_entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn text_channel(app: &TestApp, g: &Guild, owner: &User, name: &str) -> String {
    let (s, c) = app
        .post(
            &format!("/guilds/{}/channels", g.id),
            owner,
            json!({"name": name, "type": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn audit_log_records_changes_with_reasons_filters_and_dispatches() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let mallory = app.user("mallory").await;
    let eve = app.user("eve").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &mallory).await;
    app.join(&g, &owner, &eve).await;
    let mut gw = app.gateway(&owner).await;

    let (s, c) = with_reason(
        &app,
        Method::POST,
        &format!("/guilds/{}/channels", g.id),
        &owner,
        "a%20place%20for%20homework",
        Some(json!({"name": "homework", "type": 0})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let ev = gw.next_event("GUILD_AUDIT_LOG_ENTRY_CREATE").await;
    assert_eq!(ev["action_type"], 10);
    assert_eq!(ev["reason"], "a place for homework");
    assert_eq!(ev["guild_id"], g.id.as_str());

    let until =
        coterie_model::Timestamp(coterie_server::clock::Clock::now_ms(&*app.clock) + 600_000);
    let (s, v) = with_reason(
        &app,
        Method::PATCH,
        &format!("/guilds/{}/members/{}", g.id, mallory.id),
        &owner,
        "cool down",
        Some(json!({"communication_disabled_until": until, "nick": "m"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let role = app.create_role(&g, &owner, json!({"name": "helper"})).await;
    let rid = role["id"].as_str().expect("role id");
    let (s, _) = app
        .put(
            &format!("/guilds/{}/members/{}/roles/{rid}", g.id, eve.id),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = with_reason(
        &app,
        Method::DELETE,
        &format!("/guilds/{}/members/{}", g.id, eve.id),
        &owner,
        "left the study plan",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = with_reason(
        &app,
        Method::PUT,
        &format!("/guilds/{}/bans/{}", g.id, mallory.id),
        &owner,
        "spam",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .patch(
            &format!("/guilds/{}", g.id),
            &owner,
            json!({"name": "Study Club"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .delete(
            &format!("/channels/{}", c["id"].as_str().expect("id")),
            &owner,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, log) = app
        .get(&format!("/guilds/{}/audit-logs", g.id), &owner)
        .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    for key in [
        "users",
        "webhooks",
        "threads",
        "integrations",
        "auto_moderation_rules",
        "application_commands",
        "guild_scheduled_events",
    ] {
        assert!(log[key].is_array(), "{key}: {log}");
    }
    let all = entries(&log);
    let types: Vec<i64> = all
        .iter()
        .map(|e| e["action_type"].as_i64().unwrap_or(0))
        .collect();
    // Newest first: channel delete, guild update, ban, kick, role update, role create, member update, channel create.
    // (The two invites the joins used come first.)
    assert_eq!(types, vec![12, 1, 22, 20, 25, 30, 24, 10, 40, 40], "{log}");
    let by = |t: i64| {
        all.iter()
            .find(|e| e["action_type"] == t)
            .cloned()
            .expect("entry")
    };
    assert_eq!(by(22)["reason"], "spam");
    assert_eq!(by(22)["target_id"], mallory.id.as_str());
    assert_eq!(by(22)["user_id"], owner.id.as_str());
    assert_eq!(by(20)["reason"], "left the study plan");
    let changes = by(24)["changes"].as_array().cloned().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["key"] == "communication_disabled_until" && c["new_value"].is_string())
    );
    assert!(
        changes
            .iter()
            .any(|c| c["key"] == "nick" && c["new_value"] == "m")
    );
    assert_eq!(by(24)["reason"], "cool down");
    assert_eq!(by(25)["changes"][0]["key"], "$add");
    assert_eq!(by(25)["changes"][0]["new_value"][0]["name"], "helper");
    assert!(
        by(1)["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["key"] == "name"
                && c["old_value"] == "Study Group"
                && c["new_value"] == "Study Club")
    );
    let users: Vec<&str> = log["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert!(users.contains(&mallory.id.as_str()) && users.contains(&owner.id.as_str()));

    // Filters.
    let (_, v) = app
        .get(
            &format!("/guilds/{}/audit-logs?action_type=22", g.id),
            &owner,
        )
        .await;
    assert_eq!(entries(&v).len(), 1);
    let (_, v) = app
        .get(&format!("/guilds/{}/audit-logs?limit=2", g.id), &owner)
        .await;
    let first_two = entries(&v);
    assert_eq!(first_two.len(), 2);
    let cursor = first_two[1]["id"].as_str().expect("id");
    let (_, v) = app
        .get(
            &format!("/guilds/{}/audit-logs?before={cursor}&limit=2", g.id),
            &owner,
        )
        .await;
    assert_eq!(entries(&v)[0]["action_type"], 22);
    let (_, v) = app
        .get(
            &format!("/guilds/{}/audit-logs?after={cursor}", g.id),
            &owner,
        )
        .await;
    assert_eq!(
        entries(&v).len(),
        1,
        "only the newest entry is after the cursor"
    );
    let (_, v) = app
        .get(
            &format!("/guilds/{}/audit-logs?user_id={}", g.id, mallory.id),
            &owner,
        )
        .await;
    assert!(entries(&v).is_empty());
    let (s, v) = app
        .get(&format!("/guilds/{}/audit-logs?limit=101", g.id), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));

    // Members without VIEW_AUDIT_LOG cannot read it.
    let carol = app.user("carol").await;
    app.join(&g, &owner, &carol).await;
    let (s, v) = app
        .get(&format!("/guilds/{}/audit-logs", g.id), &carol)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn automod_rules_follow_discords_shape_and_limits() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let mut gw = app
        .gateway_with(
            &owner,
            json!({"token": owner.token, "intents": (1u64 << 20) | (1 << 21) | 1, "properties": {}}),
        )
        .await;
    let path = format!("/guilds/{}/auto-moderation/rules", g.id);
    let rule = json!({
        "name": "no gold sellers", "event_type": 1, "trigger_type": 1,
        "trigger_metadata": {"keyword_filter": ["cheap gold", "*scam*"], "regex_patterns": ["free\\s+nitro"], "allow_list": ["scampi"]},
        "actions": [{"type": 1, "metadata": {"custom_message": "No trading here."}}],
        "enabled": true,
    });
    let (s, v) = app.post(&path, &member, rule.clone()).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, 50013),
        "MANAGE_GUILD only"
    );
    let (s, r) = app.post(&path, &owner, rule.clone()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["creator_id"], owner.id.as_str());
    assert_eq!(r["trigger_metadata"]["keyword_filter"][1], "*scam*");
    assert_eq!(r["exempt_roles"], json!([]));
    let ev = gw.next_event("AUTO_MODERATION_RULE_CREATE").await;
    assert_eq!(ev["id"], r["id"]);
    let id = r["id"].as_str().expect("id").to_owned();

    // Bad input: each names its field and changes nothing.
    let bad = |patch: Value| {
        let mut b = rule.clone();
        if let (Some(o), Some(p)) = (b.as_object_mut(), patch.as_object()) {
            for (k, v) in p {
                o.insert(k.clone(), v.clone());
            }
        }
        b
    };
    let long_regex = "a".repeat(261);
    let many: Vec<String> = (0..1001).map(|i| format!("w{i}")).collect();
    for (body, field) in [
        (
            bad(json!({"trigger_metadata": {"regex_patterns": ["(unclosed"]}})),
            "trigger_metadata",
        ),
        (
            bad(json!({"trigger_metadata": {"regex_patterns": [long_regex]}})),
            "trigger_metadata",
        ),
        (
            bad(json!({"trigger_metadata": {"regex_patterns": ["\\w{1000}{1000}"]}})),
            "trigger_metadata",
        ),
        (
            bad(json!({"trigger_metadata": {"keyword_filter": many}})),
            "trigger_metadata",
        ),
        (
            bad(json!({"trigger_metadata": {"keyword_filter": ["x".repeat(61)]}})),
            "trigger_metadata",
        ),
        (
            bad(json!({"actions": [{"type": 3, "metadata": {"duration_seconds": 2_419_201}}]})),
            "actions",
        ),
        (
            bad(json!({"actions": [{"type": 2, "metadata": {}}]})),
            "actions",
        ),
        (bad(json!({"actions": []})), "actions"),
        (bad(json!({"name": ""})), "name"),
        (bad(json!({"event_type": 2})), "event_type"),
        (bad(json!({"trigger_type": 9})), "trigger_type"),
    ] {
        let (s, v) = app.post(&path, &owner, body).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, 50035),
            "{field}: {v}"
        );
        assert!(v["errors"][field].is_object(), "{field}: {v}");
    }
    let (_, v) = app
        .post(
            &path,
            &owner,
            bad(json!({"trigger_metadata": {"regex_patterns": ["(unclosed"]}})),
        )
        .await;
    assert!(
        v["errors"]["trigger_metadata"]["regex_patterns"]["0"]["_errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("regular expression")),
        "{v}"
    );

    // Six keyword rules at most; one of each other type.
    for i in 0..5 {
        let (s, v) = app
            .post(&path, &owner, bad(json!({"name": format!("k{i}")})))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = app.post(&path, &owner, bad(json!({"name": "k7"}))).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 30035), "{v}");
    let (_, list) = app.get(&path, &owner).await;
    assert_eq!(list.as_array().map(Vec::len), Some(6));

    // Edit: the trigger type cannot change; other fields can.
    let (s, v) = app
        .patch(&format!("{path}/{id}"), &owner, json!({"trigger_type": 3}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035), "{v}");
    let (s, v) = app
        .patch(
            &format!("{path}/{id}"),
            &owner,
            json!({"name": "gold", "enabled": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["enabled"].as_bool()),
        (Some("gold"), Some(false))
    );
    gw.next_event("AUTO_MODERATION_RULE_UPDATE").await;
    let (s, _) = app.delete(&format!("{path}/{id}"), &owner).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    gw.next_event("AUTO_MODERATION_RULE_DELETE").await;
    let (s, v) = app.get(&format!("{path}/{id}"), &owner).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (_, log) = app
        .get(
            &format!("/guilds/{}/audit-logs?action_type=140", g.id),
            &owner,
        )
        .await;
    assert_eq!(entries(&log).len(), 6);
    assert!(
        log["auto_moderation_rules"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn automod_blocks_alerts_times_out_and_screens_edits_titles_and_nicknames() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let trusted = app.user("trusted").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    app.join(&g, &owner, &trusted).await;
    let mods = text_channel(&app, &g, &owner, "mod-alerts").await;
    let role = app
        .create_role(&g, &owner, json!({"name": "trusted"}))
        .await;
    let rid = role["id"].as_str().expect("id").to_owned();
    app.put(
        &format!("/guilds/{}/members/{}/roles/{rid}", g.id, trusted.id),
        &owner,
        json!({}),
    )
    .await;
    let mut gw = app
        .gateway_with(&owner, json!({"token": owner.token, "intents": (1u64 << 21) | 513 | (1 << 15), "properties": {}}))
        .await;
    let path = format!("/guilds/{}/auto-moderation/rules", g.id);
    let (s, r) = app
        .post(&path, &owner, json!({
            "name": "gold sellers", "event_type": 1, "trigger_type": 1, "enabled": true,
            "trigger_metadata": {"keyword_filter": ["cheap gold*"], "regex_patterns": ["free\\s+nitro"]},
            "actions": [
                {"type": 1, "metadata": {"custom_message": "Trading is not allowed here."}},
                {"type": 2, "metadata": {"channel_id": mods}},
                {"type": 3, "metadata": {"duration_seconds": 60}},
            ],
            "exempt_roles": [rid],
        }))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");

    // A clean message passes; the keyword is blocked with the rule's notice.
    app.create_message(&g.general, &member, "anyone up for revision?")
        .await;
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &member,
            json!({"content": "CHEAP GOLDEN coins, dm me"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    assert_eq!(v["custom_message"], "Trading is not allowed here.");
    let ex = gw.next_event("AUTO_MODERATION_ACTION_EXECUTION").await;
    assert_eq!(ex["rule_id"], r["id"]);
    assert_eq!(ex["user_id"], member.id.as_str());
    assert_eq!(ex["matched_keyword"], "cheap gold*");
    assert_eq!(ex["matched_content"], "cheap golden");
    assert!(
        ex.get("message_id").is_none(),
        "blocked messages have no id: {ex}"
    );
    let alert = gw.next_event("MESSAGE_CREATE").await;
    assert_eq!(alert["type"], 24);
    assert_eq!(alert["channel_id"], mods.as_str());
    assert_eq!(alert["embeds"][0]["type"], "auto_moderation_message");
    assert_eq!(
        alert["embeds"][0]["description"],
        "CHEAP GOLDEN coins, dm me"
    );
    // The timeout action took effect: the member can read but not talk.
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &member,
            json!({"content": "hello?"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013), "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("timed out")),
        "{v}"
    );
    let (s, _) = app
        .get(&format!("/channels/{}/messages", g.general), &member)
        .await;
    assert_eq!(s, StatusCode::OK, "timed-out members still read");
    let (s, _) = app
        .put(
            &format!(
                "/channels/{}/messages/{}/reactions/%F0%9F%91%8D/@me",
                g.general,
                alert["id"].as_str().unwrap_or("0")
            ),
            &member,
            json!({}),
        )
        .await;
    assert_ne!(s, StatusCode::NO_CONTENT, "timed-out members cannot react");
    app.clock.advance_ms(61_000);
    let (_, log) = app
        .get(&format!("/guilds/{}/audit-logs", g.id), &owner)
        .await;
    let types: Vec<i64> = entries(&log)
        .iter()
        .filter_map(|e| e["action_type"].as_i64())
        .collect();
    for t in [143, 144, 145] {
        assert!(types.contains(&t), "{t}: {types:?}");
    }
    let block = entries(&log)
        .into_iter()
        .find(|e| e["action_type"] == 143)
        .expect("143");
    assert_eq!(
        block["options"]["auto_moderation_rule_name"],
        "gold sellers"
    );
    assert_eq!(block["options"]["channel_id"], g.general.as_str());

    // Regexes, edits, thread titles; exempt roles and the owner pass.
    let m = app.create_message(&g.general, &member, "fine text").await;
    let mid = m["id"].as_str().expect("id");
    let (s, v) = app
        .patch(
            &format!("/channels/{}/messages/{mid}", g.general),
            &member,
            json!({"content": "get free   nitro"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    let (_, kept) = app
        .get(&format!("/channels/{}/messages/{mid}", g.general), &member)
        .await;
    assert_eq!(
        kept["content"], "fine text",
        "a blocked edit changes nothing"
    );
    app.clock.advance_ms(61_000);
    let (s, v) = app
        .post(
            &format!("/channels/{}/threads", g.general),
            &member,
            json!({"name": "cheap gold here", "type": 11}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    app.clock.advance_ms(61_000);
    app.create_message(&g.general, &trusted, "cheap gold, friends")
        .await;
    app.create_message(&g.general, &owner, "cheap gold is a scam")
        .await;

    // Nicknames: a member-profile rule blocks names.
    let (s, v) = app
        .post(
            &path,
            &owner,
            json!({
                "name": "names", "event_type": 2, "trigger_type": 6, "enabled": true,
                "trigger_metadata": {"keyword_filter": ["admin*"]},
                "actions": [{"type": 4}],
            }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/members/@me", g.id),
            &member,
            json!({"nick": "Administrator"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/members/@me", g.id),
            &member,
            json!({"nick": "Sam"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn automod_spam_mentions_presets_and_classifiers() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let other = app.user("other").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    app.join(&g, &owner, &other).await;
    let path = format!("/guilds/{}/auto-moderation/rules", g.id);
    let block = json!([{"type": 1}]);
    for body in [
        json!({"name": "spam", "event_type": 1, "trigger_type": 3, "actions": block, "enabled": true}),
        json!({"name": "mentions", "event_type": 1, "trigger_type": 5, "actions": block, "enabled": true,
               "trigger_metadata": {"mention_total_limit": 2, "mention_raid_protection_enabled": true}}),
        json!({"name": "slurs", "event_type": 1, "trigger_type": 4, "actions": block, "enabled": true,
               "trigger_metadata": {"presets": [1], "allow_list": ["shitake"]}}),
        json!({"name": "toxicity", "event_type": 1, "trigger_type": 1000, "enabled": true,
               "trigger_metadata": {"threshold": 0.9}, "actions": [{"type": 101}]}),
        json!({"name": "spam model", "event_type": 1, "trigger_type": 1001, "enabled": true,
               "trigger_metadata": {"threshold": 0.99}, "actions": [{"type": 100}]}),
    ] {
        let (s, v) = app.post(&path, &owner, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = app
        .post(
            &path,
            &owner,
            json!({"name": "spam2", "event_type": 1, "trigger_type": 3, "actions": block}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 30035), "{v}");
    let send = |text: String| {
        let app = &app;
        let member = &member;
        let ch = g.general.clone();
        async move {
            app.post(
                &format!("/channels/{ch}/messages"),
                member,
                json!({"content": text}),
            )
            .await
        }
    };
    // The same text three times in a row is spam.
    for _ in 0..2 {
        let (s, v) = send("join my server!!".into()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = send("join my server!!".into()).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    // Mentions over the limit.
    let (s, v) = send(format!("<@{}> <@{}>", owner.id, other.id)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = send(format!("<@{}> <@{}> <@&{}>", owner.id, other.id, g.id)).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    // Preset words, with the allow list respected.
    let (s, v) = send("this is bullshit".into()).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    let (s, v) = send("shitake mushrooms for dinner".into()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The toxicity model only reports: the message goes through and lands in the queue.
    let (s, m) = send("you are an idiot and a moron".into()).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (_, q) = app.get(&format!("/guilds/{}/reports", g.id), &owner).await;
    let r = q
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .expect("a report");
    assert_eq!(r["source"], "automod");
    assert_eq!(r["message_id"], m["id"]);
    assert_eq!(r["content"], "you are an idiot and a moron");
    // The spam model holds a message for review; approving posts it as its author.
    let pitch = "CLICK HERE to claim your FREE prize!!! Limited time offer, act now, order today, \
                 money back guarantee, unsubscribe here, special promotion, buy now, 100% free";
    let (s, v) = send(pitch.into()).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 200_000), "{v}");
    assert!(
        v["custom_message"]
            .as_str()
            .is_some_and(|m| m.contains("review")),
        "{v}"
    );
    let (_, q) = app.get(&format!("/guilds/{}/reports", g.id), &owner).await;
    let held = q
        .as_array()
        .and_then(|a| a.iter().find(|r| r["message_id"].is_null()).cloned())
        .expect("held");
    assert_eq!(held["content"], pitch);
    let (s, v) = app
        .patch(
            &format!(
                "/guilds/{}/reports/{}",
                g.id,
                held["id"].as_str().expect("id")
            ),
            &owner,
            json!({"status": "resolved", "action": "approve"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, msgs) = app
        .get(&format!("/channels/{}/messages?limit=1", g.general), &owner)
        .await;
    assert_eq!(msgs[0]["content"], pitch);
    assert_eq!(msgs[0]["author"]["id"], member.id.as_str());
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn reports_collapse_and_moderators_resolve_them_with_actions() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let troll = app.user("troll").await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&owner).await;
    for u in [&troll, &a, &b] {
        app.join(&g, &owner, u).await;
    }
    let m = app
        .create_message(&g.general, &troll, "something nasty")
        .await;
    let mid = m["id"].as_str().expect("id");
    let rpath = format!("/channels/{}/messages/{mid}/reports", g.general);
    let (s, r1) = app.post(&rpath, &a, json!({"reason": "harassment"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r1}");
    assert_eq!(r1["reporter_count"], 1);
    assert_eq!(r1["status"], "open");
    assert!(
        r1.get("content").is_none(),
        "reporters do not get the snapshot back"
    );
    let (_, again) = app
        .post(&rpath, &a, json!({"reason": "still harassment"}))
        .await;
    assert_eq!(
        (again["id"].clone(), again["reporter_count"].clone()),
        (r1["id"].clone(), json!(1))
    );
    let (_, r2) = app.post(&rpath, &b, json!({"reason": "rude"})).await;
    assert_eq!(
        (r2["id"].clone(), r2["reporter_count"].clone()),
        (r1["id"].clone(), json!(2))
    );
    for (body, want) in [
        (json!({"reason": ""}), 50035),
        (json!({"reason": "x".repeat(513)}), 50035),
    ] {
        let (s, v) = app.post(&rpath, &b, body).await;
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, want));
    }
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages/{mid}/reports", g.general),
            &troll,
            json!({"reason": "me"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, mr) = app
        .post(
            &format!("/guilds/{}/members/{}/reports", g.id, troll.id),
            &a,
            json!({"reason": "ban evasion"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mr}");
    assert!(mr["message_id"].is_null());

    // Only moderators see the queue.
    let (s, v) = app.get(&format!("/guilds/{}/reports", g.id), &a).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, q) = app
        .get(&format!("/guilds/{}/reports?status=open", g.id), &owner)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(q.as_array().map(Vec::len), Some(2));
    let (s, v) = app
        .get(&format!("/guilds/{}/reports?status=maybe", g.id), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let msg_report = q
        .as_array()
        .and_then(|a| a.iter().find(|r| r["message_id"] == mid).cloned())
        .expect("report");
    assert_eq!(msg_report["content"], "something nasty");
    assert_eq!(msg_report["target_user_id"], troll.id.as_str());

    // Resolve with an action: the message goes, the reporters hear back from the system.
    let mut gw = app.gateway(&a).await;
    let rp = format!(
        "/guilds/{}/reports/{}",
        g.id,
        msg_report["id"].as_str().expect("id")
    );
    let (s, v) = app
        .patch(
            &rp,
            &owner,
            json!({"status": "resolved", "action": "explode"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035), "{v}");
    let (s, v) = app
        .patch(
            &rp,
            &owner,
            json!({"status": "resolved", "action": "delete"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["action"].as_str()),
        (Some("resolved"), Some("delete"))
    );
    let (s, _) = app
        .get(&format!("/channels/{}/messages/{mid}", g.general), &owner)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let dm = gw.next_event("MESSAGE_CREATE").await;
    let text = dm["content"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains("handled") && !text.contains("owner"), "{dm}");
    assert!(dm.get("guild_id").is_none(), "a DM: {dm}");
    let (s, v) = app.patch(&rp, &owner, json!({"status": "dismissed"})).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "closed reports stay closed: {v}"
    );

    // Member report: escalate, then dismiss; timeout action.
    let mp = format!(
        "/guilds/{}/reports/{}",
        g.id,
        mr["id"].as_str().expect("id")
    );
    let (s, v) = app.patch(&mp, &owner, json!({"escalate": true})).await;
    assert_eq!(
        (s, v["escalated"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    let (s, esc) = app.get("/admin/reports", &owner).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the first account administers the instance: {esc}"
    );
    assert_eq!(esc.as_array().map(Vec::len), Some(1));
    let (s, _) = app.get("/admin/reports", &a).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .patch(
            &mp,
            &owner,
            json!({"status": "resolved", "action": "timeout", "duration_seconds": 600}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, member) = app
        .get(&format!("/guilds/{}/members/{}", g.id, troll.id), &owner)
        .await;
    assert!(
        member["communication_disabled_until"].is_string(),
        "{member}"
    );
    let (_, closed) = app
        .get(&format!("/guilds/{}/reports?status=resolved", g.id), &owner)
        .await;
    assert_eq!(closed.as_array().map(Vec::len), Some(2));
    let (_, log) = app
        .get(
            &format!("/guilds/{}/audit-logs?action_type=1000", g.id),
            &owner,
        )
        .await;
    assert_eq!(entries(&log).len(), 3, "{log}");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn rules_screening_verification_levels_and_raid_protection() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let newbie = app.user("newbie").await;
    let g = app.guild(&owner).await;
    let rules = format!("/guilds/{}/rules", g.id);
    let (s, v) = app
        .put(&rules, &owner, json!({"enabled": true, "rules": []}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035), "{v}");
    let (s, v) = app
        .put(
            &rules,
            &owner,
            json!({"enabled": true, "rules": ["Be kind.", "No spoilers."]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.join(&g, &owner, &newbie).await;
    let (_, me) = app
        .get(&format!("/guilds/{}/members/{}", g.id, newbie.id), &owner)
        .await;
    assert_eq!(me["pending"], true);
    let (_, r) = app.get(&rules, &newbie).await;
    assert_eq!(r["rules"][1], "No spoilers.");
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &newbie,
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013), "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("accept")),
        "{v}"
    );
    let (s, _) = app
        .get(&format!("/channels/{}/messages", g.general), &newbie)
        .await;
    assert_eq!(s, StatusCode::OK, "pending members read");
    let (s, m) = app
        .post(&format!("{rules}/accept"), &newbie, json!({}))
        .await;
    assert_eq!(
        (s, m["pending"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{m}"
    );
    app.create_message(&g.general, &newbie, "hi all").await;

    // Verification levels: 1 needs a verified email (these accounts have none).
    let (s, _) = app
        .patch(
            &format!("/guilds/{}", g.id),
            &owner,
            json!({"verification_level": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &newbie,
            json!({"content": "again"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013), "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("verified email")),
        "{v}"
    );
    // Members with a role are not held back.
    let role = app
        .create_role(&g, &owner, json!({"name": "regular"}))
        .await;
    app.put(
        &format!(
            "/guilds/{}/members/{}/roles/{}",
            g.id,
            newbie.id,
            role["id"].as_str().expect("id")
        ),
        &owner,
        json!({}),
    )
    .await;
    app.create_message(&g.general, &newbie, "with a role").await;

    // Raid protection: a third join within a minute is refused and pauses invites.
    app.clock.advance_ms(61_000);
    let raid = format!("/guilds/{}/raid-protection", g.id);
    let (s, v) = app
        .put(
            &raid,
            &owner,
            json!({"enabled": true, "joins": 2, "seconds": 60, "pause_minutes": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.put(&raid, &owner, json!({"joins": 0})).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let code_ = app.invite(&g, &owner).await;
    for name in ["r1", "r2"] {
        let u = app.user(name).await;
        let (s, v) = app.post(&format!("/invites/{code_}"), &u, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let late = app.user("r3").await;
    let (s, v) = app
        .post(&format!("/invites/{code_}"), &late, json!({}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 40069), "{v}");
    let (_, state) = app.get(&raid, &owner).await;
    assert!(state["invites_paused_until"].is_string(), "{state}");
    let (_, log) = app
        .get(
            &format!("/guilds/{}/audit-logs?action_type=1002", g.id),
            &owner,
        )
        .await;
    assert_eq!(entries(&log).len(), 1, "{log}");
    let (s, _) = app
        .put(&raid, &owner, json!({"invites_paused": false}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(&format!("/invites/{code_}"), &late, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Turning screening off lets pending members talk.
    let (s, _) = app
        .put(
            &rules,
            &owner,
            json!({"enabled": false, "rules": ["Be kind."]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn verification_levels_wait_for_account_and_membership_age() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (_, _, v) = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "fresh", "password": "correct horse battery", "email": "fresh@example.com"})),
        )
        .await;
    let u = User {
        id: v["user_id"].as_str().expect("id").to_owned(),
        token: v["token"].as_str().expect("token").to_owned(),
        name: "fresh".into(),
    };
    let mail = app.mailer.sent();
    let link = mail
        .last()
        .expect("mail")
        .body
        .split("token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("link")
        .to_owned();
    let (s, _, _) = app
        .call(
            Method::POST,
            "/auth/verify",
            None,
            Some(json!({"token": link})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.join(&g, &owner, &u).await;
    let send = |text: &'static str| {
        let app = &app;
        let u = &u;
        let ch = g.general.clone();
        async move {
            app.post(
                &format!("/channels/{ch}/messages"),
                u,
                json!({"content": text}),
            )
            .await
        }
    };
    app.patch(
        &format!("/guilds/{}", g.id),
        &owner,
        json!({"verification_level": 3}),
    )
    .await;
    let (s, v) = send("too soon").await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("5 minutes")),
        "{v}"
    );
    app.clock.advance_ms(6 * 60_000);
    let (_, v) = send("still too soon").await;
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("10 minutes")),
        "{v}"
    );
    app.clock.advance_ms(5 * 60_000);
    let (s, v) = send("now").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn suspended_accounts_lose_access_everywhere_until_lifted() -> R {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let bad = app.user("bad").await;
    let mut gw = app.gateway(&bad).await;
    let (s, v) = app
        .put(
            &format!("/admin/users/{}/suspension", bad.id),
            &bad,
            json!({}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, v) = app
        .put(
            &format!("/admin/users/{}/suspension", bad.id),
            &admin,
            json!({"reason": "spam ring"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(gw.closed().await, 4004);
    let (s, _) = app.get("/users/@me", &bad).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let login = json!({"login": "bad", "password": "correct horse battery"});
    let (s, _, v) = app
        .call(Method::POST, "/auth/login", None, Some(login.clone()))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app
        .delete(&format!("/admin/users/{}/suspension", bad.id), &admin)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, v) = app
        .call(Method::POST, "/auth/login", None, Some(login))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn slowmode_limits_new_threads_separately_from_messages() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let (s, _) = app
        .patch(
            &format!("/channels/{}", g.general),
            &owner,
            json!({"rate_limit_per_user": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let thread = |name: &'static str| {
        let app = &app;
        let member = &member;
        let ch = g.general.clone();
        async move {
            app.post(
                &format!("/channels/{ch}/threads"),
                member,
                json!({"name": name, "type": 11}),
            )
            .await
        }
    };
    let (s, v) = thread("first").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = thread("second").await;
    assert_eq!((s, code(&v)), (StatusCode::TOO_MANY_REQUESTS, 20016), "{v}");
    app.create_message(&g.general, &member, "messages have their own allowance")
        .await;
    let (s, _) = app
        .post(
            &format!("/channels/{}/threads", g.general),
            &owner,
            json!({"name": "mods are exempt", "type": 11}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.clock.advance_ms(60_001);
    let (s, v) = thread("later").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.shutdown().await;
    Ok(())
}
