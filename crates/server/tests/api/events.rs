use crate::harness::*;
use coterie_model::Timestamp;
use coterie_server::clock::Clock;
use reqwest::StatusCode;
use serde_json::json;

fn at(app: &TestApp, ms_from_now: i64) -> String {
    Timestamp(app.clock.now_ms() + ms_from_now).to_string()
}

#[tokio::test]
async fn events_are_scheduled_rsvpd_started_completed_and_remind_the_interested() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let fan = app.user("fan").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &fan).await;
    let hour = 3_600_000;
    let body = json!({"name": "Study night", "entity_type": 3, "privacy_level": 2, "scheduled_start_time": at(&app, hour),
        "scheduled_end_time": at(&app, 2 * hour), "entity_metadata": {"location": "Library"}, "description": "Bring notes"});
    let (s, v) = app
        .post(
            &format!("/guilds/{}/scheduled-events", g.id),
            &fan,
            body.clone(),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, 50013),
        "needs CREATE_EVENTS"
    );
    let (s, v) = app
        .post(
            &format!("/guilds/{}/scheduled-events", g.id),
            &owner,
            json!({"name": "x", "entity_type": 3, "scheduled_start_time": at(&app, -1000)}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert!(
        v["errors"]["scheduled_start_time"].is_object()
            && v["errors"]["entity_metadata"].is_object(),
        "{v}"
    );
    let mut gw = app.gateway(&fan).await;
    let (s, e) = app
        .post(&format!("/guilds/{}/scheduled-events", g.id), &owner, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    for key in [
        "id",
        "guild_id",
        "channel_id",
        "creator_id",
        "name",
        "description",
        "scheduled_start_time",
        "scheduled_end_time",
        "privacy_level",
        "status",
        "entity_type",
        "entity_id",
        "entity_metadata",
        "creator",
        "user_count",
    ] {
        assert!(e.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        gw.next_event("GUILD_SCHEDULED_EVENT_CREATE").await["id"],
        e["id"]
    );
    let eid = e["id"].as_str().unwrap();
    let (s, _) = app
        .put(
            &format!("/guilds/{}/scheduled-events/{eid}/users/@me", g.id),
            &fan,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        gw.next_event("GUILD_SCHEDULED_EVENT_USER_ADD").await["user_id"],
        fan.id
    );
    let (_, users) = app
        .get(
            &format!(
                "/guilds/{}/scheduled-events/{eid}/users?with_member=true",
                g.id
            ),
            &owner,
        )
        .await;
    assert_eq!(users[0]["user"]["id"], fan.id);
    assert!(users[0]["member"].is_object());
    let (_, list) = app
        .get(
            &format!("/guilds/{}/scheduled-events?with_user_count=true", g.id),
            &fan,
        )
        .await;
    assert_eq!(list[0]["user_count"], 1);
    // 15 minutes before the start the interested get a DM from the instance.
    app.clock.advance_ms(hour - 10 * 60_000);
    let dm = gw.next_event("MESSAGE_CREATE").await;
    assert!(
        dm["content"].as_str().unwrap().contains("Study night"),
        "{dm}"
    );
    assert!(dm.get("guild_id").is_none());
    app.clock.advance_ms(11 * 60_000);
    let started = gw.next_event("GUILD_SCHEDULED_EVENT_UPDATE").await;
    assert_eq!(started["status"], 2);
    app.clock.advance_ms(hour);
    let done = gw.next_event("GUILD_SCHEDULED_EVENT_UPDATE").await;
    assert_eq!(done["status"], 3);
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/scheduled-events/{eid}", g.id),
            &owner,
            json!({"status": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "completed events do not change");
    let (s, _) = app
        .delete(&format!("/guilds/{}/scheduled-events/{eid}", g.id), &owner)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app
        .get(&format!("/guilds/{}/scheduled-events/{eid}", g.id), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10070));
    Ok(())
}

#[tokio::test]
async fn voice_events_need_a_voice_channel_and_status_changes_follow_discords_rules() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (_, chans) = app.get(&format!("/guilds/{}/channels", g.id), &owner).await;
    let voice = chans
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == 2)
        .unwrap()["id"]
        .clone();
    let (s, _) = app.post(&format!("/guilds/{}/scheduled-events", g.id), &owner, json!({"name": "Talk", "entity_type": 2, "channel_id": g.general, "scheduled_start_time": at(&app, 60_000)})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, e) = app.post(&format!("/guilds/{}/scheduled-events", g.id), &owner, json!({"name": "Talk", "entity_type": 2, "channel_id": voice, "scheduled_start_time": at(&app, 60_000)})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let eid = e["id"].as_str().unwrap();
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/scheduled-events/{eid}", g.id),
            &owner,
            json!({"status": 3}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "scheduled cannot jump to completed"
    );
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/scheduled-events/{eid}", g.id),
            &owner,
            json!({"status": 4}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], 4);
    Ok(())
}
