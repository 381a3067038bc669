use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn bad_json_missing_tokens_and_unknown_routes_get_discord_shaped_errors() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let resp = app
        .http
        .post(format!("{}/channels/{}/messages", app.base, g.general))
        .header("Authorization", &u.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: serde_json::Value = resp.json().await?;
    assert_eq!(code(&v), 50109);

    let (s, _, v) = app.call(Method::GET, "/users/@me", None, None).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, 40001));
    let (s, _, v) = app
        .call(Method::GET, "/users/@me", Some("garbage"), None)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, 40001));
    let (s, v) = app.get("/nope", &u).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 0));
    let (s, v) = app.get("/channels/notanid", &u).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app.get("/channels/12345", &u).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10003));
    let (s, v) = app.get("/guilds/12345", &u).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10004));
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &u,
            json!({"content": 5}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    assert!(v["errors"]["content"].is_object(), "{v}");
    Ok(())
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_before_it_is_read() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let big = "x".repeat(300 * 1024);
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &u,
            json!({"content": big}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::PAYLOAD_TOO_LARGE, 40005));
    let (_, msgs) = app
        .get(&format!("/channels/{}/messages", g.general), &u)
        .await;
    assert_eq!(msgs.as_array().unwrap().len(), 0, "nothing was stored");
    Ok(())
}

#[tokio::test]
async fn rate_limits_send_discords_headers_and_a_429_with_via_and_retry_after() -> R {
    let app = TestApp::with(|c| c.rate_limit_messages = 3).await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let path = format!("/channels/{}/messages", g.general);
    for i in 0..3 {
        let (s, h, _) = app
            .call(
                Method::POST,
                &path,
                Some(&u.token),
                Some(json!({"content": format!("m{i}")})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["x-ratelimit-limit"], "3");
        assert_eq!(h["x-ratelimit-remaining"].to_str()?, (2 - i).to_string());
        assert!(h["x-ratelimit-reset"].to_str()?.parse::<f64>().is_ok());
        assert!(
            h["x-ratelimit-reset-after"]
                .to_str()?
                .parse::<f64>()
                .is_ok()
        );
        assert!(h.contains_key("x-ratelimit-bucket"));
    }
    let (s, h, v) = app
        .call(
            Method::POST,
            &path,
            Some(&u.token),
            Some(json!({"content": "too many"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key("via"), "discord.py needs Via on a 429");
    assert!(h.contains_key("retry-after"));
    assert_eq!(h["x-ratelimit-scope"], "user");
    assert_eq!(v["global"], false);
    assert!(v["retry_after"].as_f64().unwrap() > 0.0);
    app.clock.advance_ms(5_001);
    let (s, _, _) = app
        .call(
            Method::POST,
            &path,
            Some(&u.token),
            Some(json!({"content": "later"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the window resets with time");
    Ok(())
}

#[tokio::test]
async fn rate_limits_can_be_switched_off_for_load_tests() -> R {
    let app = TestApp::with(|c| {
        c.rate_limits = false;
        c.rate_limit_messages = 1;
    })
    .await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    for i in 0..5 {
        let (s, h, _) = app
            .call(
                Method::POST,
                &format!("/channels/{}/messages", g.general),
                Some(&u.token),
                Some(json!({"content": format!("{i}")})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!h.contains_key("x-ratelimit-limit"));
    }
    Ok(())
}

#[tokio::test]
async fn health_and_metrics_answer() -> R {
    let app = TestApp::new().await;
    let root = app.base.trim_end_matches("/api/v10").to_owned();
    let r = app.http.get(format!("{root}/healthz")).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    let m = app
        .http
        .get(format!("{root}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    assert!(m.contains("coterie_gateway_sessions"));
    Ok(())
}
