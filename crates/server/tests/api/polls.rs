use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn members_vote_on_polls_change_their_minds_and_see_final_results() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &a).await;
    app.join(&g, &owner, &b).await;
    let mut gw = app
        .gateway_with(
            &b,
            json!({"token": b.token, "intents": 3276799u64 | (1 << 24), "properties": {}}),
        )
        .await;
    // Bad polls are refused with field errors.
    for (bad, field) in [
        (
            json!({"question": {"text": ""}, "answers": [{"poll_media": {"text": "x"}}]}),
            "question",
        ),
        (json!({"question": {"text": "q"}, "answers": []}), "answers"),
        (
            json!({"question": {"text": "q"}, "answers": [{"poll_media": {"text": "x".repeat(56)}}]}),
            "answers",
        ),
        (
            json!({"question": {"text": "q"}, "answers": [{"poll_media": {"text": "x"}}], "duration": 769}),
            "duration",
        ),
    ] {
        let (s, v) = app
            .post(
                &format!("/channels/{}/messages", g.general),
                &owner,
                json!({"poll": bad}),
            )
            .await;
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035), "{v}");
        assert!(v["errors"]["poll"][field].is_object(), "{field}: {v}");
    }
    let answers: Vec<_> = ["Mon", "Tue", "Wed"]
        .iter()
        .map(|d| json!({"poll_media": {"text": d}}))
        .collect();
    let (s, m) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &owner,
            json!({"poll": {"question": {"text": "Which day?"}, "answers": answers, "duration": 1, "allow_multiselect": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let p = &m["poll"];
    assert_eq!(p["question"]["text"], "Which day?");
    assert_eq!(p["answers"][1]["answer_id"], 2);
    assert_eq!(p["answers"][1]["poll_media"]["text"], "Tue");
    assert_eq!(p["allow_multiselect"], false);
    assert_eq!(p["layout_type"], 1);
    assert!(p["expiry"].is_string());
    assert_eq!(p["results"]["is_finalized"], false);
    let mid = m["id"].as_str().unwrap();
    let ans = format!("/channels/{}/polls/{mid}/answers", g.general);
    let (s, _) = app
        .put(&format!("{ans}/@me"), &a, json!({"answer_ids": [2]}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let add = gw.next_event("MESSAGE_POLL_VOTE_ADD").await;
    assert_eq!(
        (
            add["user_id"].clone(),
            add["answer_id"].clone(),
            add["message_id"].clone()
        ),
        (json!(a.id), json!(2), json!(mid))
    );
    let (s, v) = app
        .put(&format!("{ans}/@me"), &a, json!({"answer_ids": [1, 2]}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "single choice"
    );
    let (s, v) = app
        .put(&format!("{ans}/@me"), &a, json!({"answer_ids": [9]}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "unknown answer"
    );
    app.put(&format!("{ans}/@me"), &a, json!({"answer_ids": [3]}))
        .await;
    assert_eq!(gw.next_event("MESSAGE_POLL_VOTE_ADD").await["answer_id"], 3);
    assert_eq!(
        gw.next_event("MESSAGE_POLL_VOTE_REMOVE").await["answer_id"],
        2
    );
    app.put(&format!("{ans}/@me"), &b, json!({"answer_ids": ["3"]}))
        .await;
    let (_, got) = app
        .get(&format!("/channels/{}/messages/{mid}", g.general), &b)
        .await;
    let counts = &got["poll"]["results"]["answer_counts"];
    assert_eq!(
        counts[2],
        json!({"id": 3, "count": 2, "me_voted": true}),
        "{counts}"
    );
    assert_eq!(counts[1]["count"], 0);
    let (s, v) = app.get(&format!("{ans}/3"), &owner).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["users"].as_array().unwrap().len(), 2);
    // Bob withdraws with an empty list.
    app.put(&format!("{ans}/@me"), &b, json!({"answer_ids": []}))
        .await;
    assert_eq!(
        gw.next_event("MESSAGE_POLL_VOTE_REMOVE").await["user_id"],
        json!(b.id)
    );
    // Only the author ends it early; then the results are final and votes are refused.
    let (s, _) = app
        .post(
            &format!("/channels/{}/polls/{mid}/expire", g.general),
            &a,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/channels/{}/polls/{mid}/expire", g.general),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["poll"]["results"]["is_finalized"], true);
    let upd = gw.next_event("MESSAGE_UPDATE").await;
    assert_eq!(upd["poll"]["results"]["is_finalized"], true);
    let result = gw.next_event("MESSAGE_CREATE").await;
    assert_eq!(result["type"], 46);
    assert_eq!(result["embeds"][0]["type"], "poll_result");
    let (s, v) = app
        .put(&format!("{ans}/@me"), &b, json!({"answer_ids": [1]}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 520001));
    // A poll closes itself when its time is up.
    let (_, m2) = app
        .post(&format!("/channels/{}/messages", g.general), &a,
              json!({"poll": {"question": {"text": "Pizza?"}, "answers": [{"poll_media": {"text": "yes"}}], "duration": 1}}))
        .await;
    app.clock.advance_ms(3_600_000);
    let upd = gw.next_event("MESSAGE_UPDATE").await;
    assert_eq!(upd["id"], m2["id"]);
    assert_eq!(upd["poll"]["results"]["is_finalized"], true);
    // Without SEND_POLLS, no polls.
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/roles/{}", g.id, g.id),
            &owner,
            json!({"permissions": "3072"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(&format!("/channels/{}/messages", g.general), &a,
              json!({"poll": {"question": {"text": "q"}, "answers": [{"poll_media": {"text": "a"}}]}}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    Ok(())
}
