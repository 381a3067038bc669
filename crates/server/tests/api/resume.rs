use crate::harness::*;
use serde_json::json;

#[tokio::test]
async fn a_dropped_session_resumes_with_every_missed_event_in_order() -> R {
    let app = TestApp::new().await;
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    let g = app.guild(&a).await;
    app.join(&g, &a, &b).await;
    let mut gw = app.gateway(&b).await;
    gw.next_event("GUILD_CREATE").await;
    app.create_message(&g.general, &a, "before").await;
    gw.next_message("before").await;
    let (session, seq) = (gw.session_id.clone(), gw.seq);
    drop(gw); // the network drops: no close frame
    for i in 0..5 {
        app.create_message(&g.general, &a, &format!("missed {i}"))
            .await;
    }
    let mut again = app.connect().await;
    again.next_frame().await;
    again
        .send(json!({"op": 6, "d": {"token": b.token, "session_id": session, "seq": seq}}))
        .await;
    let mut got = vec![];
    let mut seqs = vec![];
    loop {
        let f = again.next_frame().await.expect("frame");
        if f["t"] == "RESUMED" {
            assert!(f["d"].is_object());
            break;
        }
        if f["t"] == "MESSAGE_CREATE" {
            got.push(f["d"]["content"].as_str().unwrap().to_owned());
            seqs.push(f["s"].as_u64().unwrap());
        }
    }
    assert_eq!(
        got,
        (0..5).map(|i| format!("missed {i}")).collect::<Vec<_>>()
    );
    assert_eq!(
        seqs,
        (seq + 1..=seq + 5).collect::<Vec<_>>(),
        "replayed with their original sequence numbers"
    );
    app.create_message(&g.general, &a, "live again").await;
    assert_eq!(
        again.next_event("MESSAGE_CREATE").await["content"],
        "live again"
    );
    Ok(())
}

#[tokio::test]
async fn resuming_an_unknown_or_ended_session_is_refused_with_invalid_session() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 6, "d": {"token": u.token, "session_id": "nope", "seq": 3}}))
        .await;
    let f = c.next_frame().await.unwrap();
    assert_eq!(f, json!({"op": 9, "d": false}));
    // After INVALID_SESSION the client may identify on the same connection.
    c.send(json!({"op": 2, "d": {"token": u.token, "intents": 1, "properties": {}}}))
        .await;
    c.next_event("READY").await;

    let mut gw = app.gateway(&u).await;
    let session = gw.session_id.clone();
    gw.logout().await; // 1000: the client ends its session
    let mut c = app.connect().await;
    c.next_frame().await;
    c.send(json!({"op": 6, "d": {"token": u.token, "session_id": session, "seq": 1}}))
        .await;
    let mut f = c.next_frame().await.unwrap();
    while f["op"] == 11 {
        f = c.next_frame().await.unwrap();
    }
    assert_eq!(f, json!({"op": 9, "d": false}));
    Ok(())
}

#[tokio::test]
async fn a_graceful_shutdown_asks_sessions_to_reconnect() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let mut gw = app.gateway(&u).await;
    let shutdown = tokio::spawn(app.shutdown());
    loop {
        let f = gw.next_frame().await.expect("frame");
        if f["op"] == 7 {
            break;
        }
    }
    let code = gw.closed().await;
    assert!(code == 4000 || code == 0, "closed with {code}");
    shutdown.await?;
    Ok(())
}

#[tokio::test]
async fn a_client_that_stops_heartbeating_is_closed_and_may_resume() -> R {
    let app = TestApp::with(|c| c.heartbeat_interval_ms = 400).await;
    let u = app.user("alice").await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &u).await;
    let mut gw = app.gateway(&u).await;
    // Heartbeating keeps the connection open past several intervals.
    let until = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
    while tokio::time::Instant::now() < until {
        gw.send(json!({"op": 1, "d": gw.seq})).await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    gw.send(json!({"op": 1, "d": gw.seq})).await;
    let started = std::time::Instant::now();
    // Then silence: closed with 4009 once one and a half intervals have passed.
    assert_eq!(gw.closed().await, 4009);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(550)
            && waited < std::time::Duration::from_secs(3),
        "closed after {waited:?}"
    );
    // The session survives it: a message sent meanwhile arrives after RESUME.
    app.create_message(&g.general, &owner, "while you were away")
        .await;
    let mut again = app.connect().await;
    again.next_frame().await;
    again
        .send(json!({"op": 6, "d": {"token": u.token, "session_id": gw.session_id, "seq": gw.seq}}))
        .await;
    again.next_message("while you were away").await;
    Ok(())
}
