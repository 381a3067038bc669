use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SEND: u64 = 1024 | 2048 | 65536;

#[tokio::test]
async fn an_application_gets_a_bot_whose_token_logs_in_and_resets() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bot = app.bot(&owner, "Ping Bot", 0).await;
    let (s, me) = app.get("/users/@me", &bot.user).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["bot"], true);
    assert_eq!(
        me["id"], bot.app_id,
        "the bot user's id is the application id"
    );
    for path in ["/applications/@me", "/oauth2/applications/@me"] {
        let (s, a) = app.get(path, &bot.user).await;
        assert_eq!(s, StatusCode::OK);
        for key in [
            "id",
            "name",
            "description",
            "icon",
            "bot_public",
            "bot_require_code_grant",
            "owner",
            "verify_key",
            "flags",
        ] {
            assert!(a.get(key).is_some(), "{path} lacks {key}");
        }
        assert_eq!(a["owner"]["id"], owner.id);
        assert_eq!(a["bot"]["id"], bot.app_id);
    }
    let (s, v) = app
        .post(
            &format!("/applications/{}/bot", bot.app_id),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .post(
            &format!("/applications/{}/bot/reset", bot.app_id),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/users/@me", &bot.user).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old token stops working");
    let fresh = User {
        token: format!("Bot {}", v["token"].as_str().unwrap()),
        ..bot.user.clone()
    };
    let (s, _) = app.get("/users/@me", &fresh).await;
    assert_eq!(s, StatusCode::OK);
    let stranger = app.user("stranger").await;
    let (s, v) = app
        .get(&format!("/applications/{}", bot.app_id), &stranger)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10002));
    Ok(())
}

#[tokio::test]
async fn a_manager_adds_a_bot_with_a_managed_role_and_privileged_intents_are_enforced() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let bot = app.bot(&owner, "Helper", 1 << 18).await;
    let (s, _) = app
        .post(
            &format!("/oauth2/authorize?client_id={}&scope=bot", bot.app_id),
            &member,
            json!({"guild_id": g.id, "permissions": "0", "authorize": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "needs MANAGE_GUILD");
    app.add_bot(&g, &owner, &bot, SEND).await;
    let (_, m) = app
        .get(&format!("/guilds/{}/members/{}", g.id, bot.app_id), &owner)
        .await;
    let (_, roles) = app.get(&format!("/guilds/{}/roles", g.id), &owner).await;
    let role = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == m["roles"][0])
        .expect("managed role");
    assert_eq!(role["managed"], true);
    assert_eq!(role["tags"]["bot_id"], bot.app_id);
    assert_eq!(role["permissions"], SEND.to_string());
    let (s, _) = app
        .delete(
            &format!("/guilds/{}/roles/{}", g.id, role["id"].as_str().unwrap()),
            &owner,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "managed roles cannot be deleted"
    );
    // MESSAGE_CONTENT is enabled for this app, GUILD_MEMBERS is not.
    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 2, "d": {"token": bot.user.token, "intents": 1 | 2, "properties": {}}}))
        .await;
    assert_eq!(c.closed().await, 4014);
    let mut gw = app
        .gateway_with(
            &bot.user,
            json!({"token": bot.user.token, "intents": 1 | 512 | 32768, "properties": {}}),
        )
        .await;
    assert_eq!(gw.ready["application"]["id"], bot.app_id);
    assert_eq!(gw.ready["user"]["bot"], true);
    let gc = gw.next_event("GUILD_CREATE").await;
    assert_eq!(gc["id"], g.id);
    let msg = app.create_message(&g.general, &member, "!ping").await;
    assert_eq!(gw.next_message_id(&msg["id"]).await["content"], "!ping");
    let (s, sent) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &bot.user,
            json!({"content": "pong"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sent["author"]["bot"], true);
    Ok(())
}

#[tokio::test]
async fn a_bot_without_message_content_reads_empty_content_over_rest_too() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let bot = app.bot(&owner, "Quiet", 0).await;
    app.add_bot(&g, &owner, &bot, SEND).await;
    let plain = app
        .create_message(&g.general, &owner, "private words")
        .await;
    app.create_message(&g.general, &owner, &format!("hey <@{}>", bot.app_id))
        .await;
    let (_, msgs) = app
        .get(&format!("/channels/{}/messages", g.general), &bot.user)
        .await;
    let by_content = |v: &Value, id: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|m| &m["id"] == id)
            .unwrap()["content"]
            .clone()
    };
    assert_eq!(by_content(&msgs, &plain["id"]), "");
    assert_eq!(msgs[0]["content"], format!("hey <@{}>", bot.app_id));
    Ok(())
}

async fn register_ping(app: &TestApp, bot: &Bot) -> Value {
    let (s, cmds) = app
        .put(
            &format!("/applications/{}/commands", bot.app_id),
            &bot.user,
            json!([{"name": "ping", "description": "Replies with pong", "options": [{"type": 5, "name": "loud", "description": "Shout it"}]}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cmds}");
    cmds[0].clone()
}

#[tokio::test]
async fn commands_are_validated_created_overwritten_edited_and_deleted() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let bot = app.bot(&owner, "Cmd", 0).await;
    let base = format!("/applications/{}/commands", bot.app_id);
    let (s, v) = app
        .post(
            &base,
            &bot.user,
            json!({"name": "Bad Name", "description": "x"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert!(v["errors"]["name"].is_object());
    let (s, v) = app
        .post(
            &base,
            &bot.user,
            json!({"name": "x", "description": "d".repeat(101)}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app
        .put(
            &base,
            &bot.user,
            json!([{"name": "a", "description": "d"}, {"name": "a", "description": "e"}]),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "duplicate names in a bulk overwrite"
    );
    let (s, created) = app
        .post(
            &base,
            &bot.user,
            json!({"name": "echo", "description": "Echo"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for key in [
        "id",
        "application_id",
        "name",
        "description",
        "type",
        "version",
        "default_member_permissions",
        "dm_permission",
        "nsfw",
        "options",
    ] {
        assert!(created.get(key).is_some(), "missing {key}");
    }
    let (s, again) = app
        .post(
            &base,
            &bot.user,
            json!({"name": "echo", "description": "Echo again"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "same name replaces");
    assert_eq!(again["id"], created["id"]);
    let ping = register_ping(&app, &bot).await;
    let (_, list) = app.get(&base, &owner).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "bulk overwrite removed echo"
    );
    let pid = ping["id"].as_str().unwrap();
    let (s, v) = app
        .patch(
            &format!("{base}/{pid}"),
            &bot.user,
            json!({"description": "Pong!"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["description"], "Pong!");
    let (s, _) = app.delete(&format!("{base}/{pid}"), &bot.user).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("{base}/{pid}"), &bot.user).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10063));
    let other = app.user("other").await;
    let (s, _) = app.get(&base, &other).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}

/// Answers every INTERACTION_CREATE with `reply`.
async fn answer_next(
    app: &TestApp,
    gw: &mut Gw,
    reply: Value,
    with_response: bool,
) -> (Value, StatusCode, Value) {
    let i = gw.next_event("INTERACTION_CREATE").await;
    let path = format!(
        "/interactions/{}/{}/callback{}",
        i["id"].as_str().unwrap_or_default(),
        i["token"].as_str().unwrap_or_default(),
        if with_response {
            "?with_response=true"
        } else {
            ""
        }
    );
    let (s, _, v) = app.call(Method::POST, &path, None, Some(reply)).await;
    (i, s, v)
}

#[tokio::test]
async fn a_slash_command_reaches_the_bot_with_discords_fields_and_its_answer_appears() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let bot = app.bot(&owner, "Pinger", 0).await;
    app.add_bot(&g, &owner, &bot, SEND).await;
    let cmd = register_ping(&app, &bot).await;
    let mut gw = app
        .gateway_with(
            &bot.user,
            json!({"token": bot.user.token, "intents": 513, "properties": {}}),
        )
        .await;
    let mut watcher = app.gateway(&owner).await;
    let invoke = json!({"type": 2, "application_id": bot.app_id, "guild_id": g.id, "channel_id": g.general,
        "data": {"id": cmd["id"], "name": "ping", "type": 1, "options": [{"name": "loud", "type": 5, "value": true}]}});
    let app2 = &app;
    let owner2 = owner.clone();
    let invoke2 = invoke.clone();
    let user_side = async move { app2.post("/interactions", &owner2, invoke2).await };
    let bot_side = answer_next(
        &app,
        &mut gw,
        json!({"type": 4, "data": {"content": "pong!"}}),
        true,
    );
    let ((s, v), (i, cs, cv)) = tokio::join!(user_side, bot_side);
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(cs, StatusCode::OK, "{cv}");
    for key in [
        "id",
        "application_id",
        "type",
        "token",
        "version",
        "data",
        "guild_id",
        "guild",
        "channel_id",
        "channel",
        "member",
        "app_permissions",
        "locale",
        "guild_locale",
        "entitlements",
        "authorizing_integration_owners",
        "context",
        "attachment_size_limit",
    ] {
        assert!(i.get(key).is_some(), "INTERACTION_CREATE lacks {key}");
    }
    assert_eq!(i["data"]["options"][0]["value"], true);
    assert_eq!(i["member"]["user"]["id"], owner.id);
    assert!(i["member"]["permissions"].is_string() && i["channel"]["permissions"].is_string());
    assert_eq!(cv["interaction"]["id"], i["id"]);
    assert_eq!(cv["resource"]["message"]["content"], "pong!");
    let shown = watcher.next_message("pong!").await;
    assert_eq!(shown["type"], 20);
    assert_eq!(shown["author"]["id"], bot.app_id);
    assert_eq!(shown["interaction_metadata"]["user"]["id"], owner.id);
    // A second answer is refused; follow-ups and @original edits work.
    let again = format!(
        "/interactions/{}/{}/callback",
        i["id"].as_str().unwrap(),
        i["token"].as_str().unwrap()
    );
    let (s, _, v) = app
        .call(
            Method::POST,
            &again,
            None,
            Some(json!({"type": 4, "data": {"content": "twice"}})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 40060));
    let token = i["token"].as_str().unwrap();
    let (s, _, f) = app
        .call(
            Method::POST,
            &format!("/webhooks/{}/{token}", bot.app_id),
            None,
            Some(json!({"content": "follow-up"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let (s, _, e) = app
        .call(
            Method::PATCH,
            &format!("/webhooks/{}/{token}/messages/@original", bot.app_id),
            None,
            Some(json!({"content": "PONG!"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["content"], "PONG!");
    app.clock.advance_ms(16 * 60 * 1000);
    let (s, _, v) = app
        .call(
            Method::POST,
            &format!("/webhooks/{}/{token}", bot.app_id),
            None,
            Some(json!({"content": "too late"})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::NOT_FOUND, 10015),
        "tokens last 15 minutes"
    );
    Ok(())
}

#[tokio::test]
async fn a_bot_that_does_not_answer_in_3_seconds_gives_a_clear_error_and_late_answers_are_refused()
-> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let bot = app.bot(&owner, "Sleepy", 0).await;
    app.add_bot(&g, &owner, &bot, SEND).await;
    let cmd = register_ping(&app, &bot).await;
    let mut gw = app
        .gateway_with(
            &bot.user,
            json!({"token": bot.user.token, "intents": 513, "properties": {}}),
        )
        .await;
    let (s, v) = app
        .post("/interactions", &owner, json!({"type": 2, "application_id": bot.app_id, "channel_id": g.general, "data": {"id": cmd["id"], "name": "ping", "type": 1}}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["message"], "The application did not respond");
    let (_, cs, cv) = answer_next(
        &app,
        &mut gw,
        json!({"type": 4, "data": {"content": "late"}}),
        false,
    )
    .await;
    assert_eq!((cs, code(&cv)), (StatusCode::NOT_FOUND, 10062));
    let (s, v) = app
        .post("/interactions", &owner, json!({"type": 2, "application_id": bot.app_id, "channel_id": g.general, "data": {"id": cmd["id"], "name": "ping", "type": 1, "options": [{"name": "loud", "type": 5, "value": "yes"}]}}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "option values are checked against the definition"
    );
    let (s, _, v) = app
        .call(
            Method::POST,
            "/interactions/123/nope/callback",
            None,
            Some(json!({"type": 4, "data": {"content": "x"}})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10062));
    Ok(())
}

#[tokio::test]
async fn deferred_answers_buttons_and_ephemeral_messages_round_trip() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let bot = app.bot(&owner, "Buttons", 0).await;
    app.add_bot(&g, &owner, &bot, SEND).await;
    let cmd = register_ping(&app, &bot).await;
    let mut gw = app
        .gateway_with(
            &bot.user,
            json!({"token": bot.user.token, "intents": 513, "properties": {}}),
        )
        .await;
    let invoke = json!({"type": 2, "application_id": bot.app_id, "channel_id": g.general, "data": {"id": cmd["id"], "name": "ping", "type": 1}});
    let owner2 = owner.clone();
    let (r, (i, s, _)) = tokio::join!(
        app.post("/interactions", &owner2, invoke.clone()),
        answer_next(&app, &mut gw, json!({"type": 5}), false)
    );
    assert_eq!((r.0, s), (StatusCode::OK, StatusCode::NO_CONTENT));
    let token = i["token"].as_str().unwrap();
    let (_, _, orig) = app
        .call(
            Method::GET,
            &format!("/webhooks/{}/{token}/messages/@original", bot.app_id),
            None,
            None,
        )
        .await;
    assert_eq!(
        orig["flags"].as_u64().unwrap() & 128,
        128,
        "a deferred answer shows as loading"
    );
    let (s, _, done) = app
        .call(Method::PATCH, &format!("/webhooks/{}/{token}/messages/@original", bot.app_id), None, Some(json!({"content": "Pick one", "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Yes", "custom_id": "yes"}]}]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["flags"].as_u64().unwrap() & 128, 0);
    let click = json!({"type": 3, "application_id": bot.app_id, "channel_id": g.general, "message_id": done["id"], "data": {"component_type": 2, "custom_id": "yes"}});
    let (r, (ci, s, _)) = tokio::join!(
        app.post("/interactions", &owner2, click),
        answer_next(
            &app,
            &mut gw,
            json!({"type": 7, "data": {"content": "You chose yes", "components": []}}),
            false
        )
    );
    assert_eq!(
        (r.0, s),
        (StatusCode::OK, StatusCode::NO_CONTENT),
        "{}",
        r.1
    );
    assert_eq!(ci["data"]["custom_id"], "yes");
    assert_eq!(ci["message"]["id"], done["id"]);
    let (_, m) = app
        .get(
            &format!(
                "/channels/{}/messages/{}",
                g.general,
                done["id"].as_str().unwrap()
            ),
            &owner,
        )
        .await;
    assert_eq!(m["content"], "You chose yes");
    let bad_click = json!({"type": 3, "application_id": bot.app_id, "channel_id": g.general, "message_id": done["id"], "data": {"component_type": 2, "custom_id": "nope"}});
    let (s, _) = app.post("/interactions", &owner, bad_click).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let mut watcher = app.gateway(&owner).await;
    let (r, (_, s, _)) = tokio::join!(
        app.post("/interactions", &owner2, invoke),
        answer_next(
            &app,
            &mut gw,
            json!({"type": 4, "data": {"content": "only you", "flags": 64}}),
            false
        )
    );
    assert_eq!((r.0, s), (StatusCode::OK, StatusCode::NO_CONTENT));
    let eph = watcher.next_message("only you").await;
    assert_eq!(eph["flags"], 64);
    let (_, history) = app
        .get(&format!("/channels/{}/messages", g.general), &owner)
        .await;
    assert!(
        !history
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["content"] == "only you"),
        "ephemeral messages are not stored"
    );
    Ok(())
}

#[tokio::test]
async fn webhooks_are_managed_and_executed_with_their_token_only() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let (s, _) = app
        .post(
            &format!("/channels/{}/webhooks", g.general),
            &member,
            json!({"name": "CI"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/channels/{}/webhooks", g.general),
            &owner,
            json!({"name": "Discord bot"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, w) = app
        .post(
            &format!("/channels/{}/webhooks", g.general),
            &owner,
            json!({"name": "CI"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    for key in [
        "id",
        "type",
        "guild_id",
        "channel_id",
        "name",
        "avatar",
        "token",
        "application_id",
        "user",
    ] {
        assert!(w.get(key).is_some(), "webhook lacks {key}");
    }
    let (id, token) = (w["id"].as_str().unwrap(), w["token"].as_str().unwrap());
    let (s, _, none) = app
        .call(
            Method::POST,
            &format!("/webhooks/{id}/{token}"),
            None,
            Some(json!({"content": "build passed"})),
        )
        .await;
    assert_eq!((s, none), (StatusCode::NO_CONTENT, Value::Null));
    let (s, _, m) = app
        .call(Method::POST, &format!("/webhooks/{id}/{token}?wait=true"), None, Some(json!({"content": "deploy done", "username": "Deployer", "embeds": [{"title": "v1.2"}]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["webhook_id"], id);
    assert_eq!(m["author"]["username"], "Deployer");
    assert_eq!(m["embeds"][0]["title"], "v1.2");
    let (s, _, v) = app
        .call(
            Method::POST,
            &format!("/webhooks/{id}/wrong"),
            None,
            Some(json!({"content": "x"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, 50027));
    let (s, _, v) = app
        .call(
            Method::POST,
            &format!("/webhooks/{id}/{token}"),
            None,
            Some(json!({"content": ""})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50006));
    let (s, _, e) = app
        .call(
            Method::PATCH,
            &format!(
                "/webhooks/{id}/{token}/messages/{}",
                m["id"].as_str().unwrap()
            ),
            None,
            Some(json!({"content": "deploy really done"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["content"], "deploy really done");
    let (s, _, slack) = app
        .call(Method::POST, &format!("/webhooks/{id}/{token}/slack"), None, Some(json!({"text": "from slack", "attachments": [{"title": "T", "text": "body", "color": "#36a64f"}]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{slack}");
    assert_eq!(slack["content"], "from slack");
    assert_eq!(slack["embeds"][0]["color"], 0x36a64f);
    let (_, list) = app
        .get(&format!("/channels/{}/webhooks", g.general), &owner)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (s, _, public) = app
        .call(Method::GET, &format!("/webhooks/{id}/{token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(public.get("user").is_none());
    let (s, _) = app.delete(&format!("/webhooks/{id}"), &owner).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, v) = app
        .call(
            Method::POST,
            &format!("/webhooks/{id}/{token}"),
            None,
            Some(json!({"content": "x"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10015));
    Ok(())
}
