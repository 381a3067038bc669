//! Voice end to end: gateway op 4, VOICE_SERVER_UPDATE, the `/voice` signalling socket and real
//! UDP media on loopback, with str0m playing each member's browser.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use crate::harness::{Guild, Gw, R, TestApp, User, WAIT, code};
use coterie_voice::str0m::change::{SdpAnswer, SdpOffer};
use coterie_voice::str0m::format::Codec;
use coterie_voice::str0m::media::{Direction, Frequency, MediaKind, MediaTime};
use coterie_voice::str0m::net::{Protocol, Receive, TcpType};
use coterie_voice::str0m::{Candidate, Event, Input, Output, Rtc};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::Message;

/// What a media client saw.
#[derive(Default, Debug)]
struct Seen {
    /// user id → audio frames received from them.
    heard: HashMap<String, u64>,
    /// (user id, speaking) from op 5.
    speaking: Vec<(String, bool)>,
    connected: bool,
    /// The signalling socket's close code.
    closed: Option<u16>,
}

struct Media {
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Media {
    fn heard(&self, user: &User) -> u64 {
        self.seen
            .lock()
            .unwrap()
            .heard
            .get(&user.id)
            .copied()
            .unwrap_or(0)
    }

    async fn until(&self, what: &str, f: impl Fn(&Seen) -> bool) {
        let end = Instant::now() + WAIT;
        while !f(&self.seen.lock().unwrap()) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}: {:?}",
                self.seen.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Frames from `user` keep arriving.
    async fn hears(&self, user: &User) {
        let base = self.heard(user);
        self.until("audio", |s| {
            s.heard.get(&user.id).copied().unwrap_or(0) >= base + 10
        })
        .await;
    }

    /// No frames from `user` arrive for 600 ms (after 200 ms for in-flight ones).
    async fn silent(&self, user: &User) -> u64 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let base = self.heard(user);
        tokio::time::sleep(Duration::from_millis(600)).await;
        self.heard(user) - base
    }
}

impl Drop for Media {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A community owned by the first of `names`, the others members.
async fn community<const N: usize>(app: &TestApp, names: [&str; N]) -> (Guild, [User; N]) {
    let mut users = Vec::with_capacity(N);
    for n in names {
        users.push(app.user(n).await);
    }
    let g = app.guild(&users[0]).await;
    for u in &users[1..] {
        app.join(&g, &users[0], u).await;
    }
    (g, users.try_into().unwrap())
}

async fn voice_channel(app: &TestApp, g: &Guild, owner: &User, body: Value) -> String {
    let (s, c) = app
        .post(&format!("/guilds/{}/channels", g.id), owner, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_str().unwrap().to_owned()
}

/// Op 4 join; returns VOICE_SERVER_UPDATE's `d`.
async fn join(gw: &mut Gw, g: &Guild, channel: &str) -> Value {
    gw.send(json!({"op": 4, "d": {"guild_id": g.id, "channel_id": channel, "self_mute": false, "self_deaf": false}}))
        .await;
    gw.next_event("VOICE_SERVER_UPDATE").await
}

/// Waits for a VOICE_STATE_UPDATE about `user`.
async fn state_update(gw: &mut Gw, user: &User) -> Value {
    loop {
        let d = gw.next_event("VOICE_STATE_UPDATE").await;
        if d["user_id"] == user.id.as_str() {
            return d;
        }
    }
}

/// Waits for a VOICE_STATE_UPDATE about `user` with `d[key] == value` (skipping older ones).
async fn state_where(gw: &mut Gw, user: &User, key: &str, value: Value) -> Value {
    loop {
        let d = state_update(gw, user).await;
        if d[key] == value {
            return d;
        }
    }
}

/// Opens the signalling socket, negotiates, and runs the member's media (sending a 20 ms frame
/// every 20 ms when `talking`) in a task.
async fn media(gw: &Gw, u: &User, server: &Value, talking: bool) -> Media {
    media_over(gw, u, server, talking, false).await
}

/// The client's side of its media path: UDP datagrams, or RFC 4571 frames on an ICE-TCP
/// connection to the server.
enum Link {
    Udp(Arc<UdpSocket>),
    Tcp(tokio::net::tcp::OwnedWriteHalf),
}

impl Link {
    async fn send(&mut self, bytes: &[u8], to: std::net::SocketAddr) {
        match self {
            Self::Udp(s) => {
                let _ = s.send_to(bytes, to).await;
            }
            Self::Tcp(w) => {
                let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(bytes);
                let _ = w.write_all(&framed).await;
            }
        }
    }
}

/// Like `media`, over ICE-TCP when `tcp` (the client offers only an active TCP candidate).
async fn media_over(gw: &Gw, u: &User, server: &Value, talking: bool, tcp: bool) -> Media {
    let endpoint = server["endpoint"].as_str().expect("endpoint");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{endpoint}"))
        .await
        .expect("signalling connects");
    let next = |v: Option<Result<Message, _>>| -> Value {
        match v {
            Some(Ok(Message::Text(t))) => serde_json::from_str(&t).unwrap(),
            other => panic!("signalling: {other:?}"),
        }
    };
    let hello = next(ws.next().await);
    assert_eq!(hello["op"], 8, "{hello}");
    let identify = json!({"op": 0, "d": {"server_id": server["guild_id"], "user_id": u.id, "session_id": gw.session_id, "token": server["token"]}});
    ws.send(Message::text(identify.to_string())).await.unwrap();
    let ready = next(ws.next().await);
    assert_eq!(ready["op"], 2, "{ready}");

    let server_addr: std::net::SocketAddr = format!(
        "{}:{}",
        ready["d"]["ip"].as_str().unwrap(),
        ready["d"]["port"]
    )
    .parse()
    .unwrap();
    let (frames_tx, mut frames) =
        tokio::sync::mpsc::channel::<(std::net::SocketAddr, Vec<u8>)>(1024);
    let (local, mut link, proto) = if tcp {
        let stream = tokio::net::TcpStream::connect(server_addr)
            .await
            .expect("ICE-TCP port");
        let local = stream.local_addr().unwrap();
        let (mut r, w) = stream.into_split();
        tokio::spawn(async move {
            while let Ok(len) = r.read_u16().await {
                let mut b = vec![0u8; len as usize];
                if r.read_exact(&mut b).await.is_err()
                    || frames_tx.send((server_addr, b)).await.is_err()
                {
                    return;
                }
            }
        });
        (local, Link::Tcp(w), Protocol::Tcp)
    } else {
        let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let local = sock.local_addr().unwrap();
        let reader = sock.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while let Ok((n, from)) = reader.recv_from(&mut buf).await {
                if frames_tx.send((from, buf[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        });
        (local, Link::Udp(sock), Protocol::Udp)
    };
    let mut rtc = Rtc::builder()
        .clear_codecs()
        .enable_opus(true, false)
        .build(Instant::now());
    let candidate = if tcp {
        Candidate::builder()
            .tcp()
            .host(local)
            .tcptype(TcpType::Active)
            .build()
            .unwrap()
    } else {
        Candidate::host(local, "udp").unwrap()
    };
    rtc.add_local_candidate(candidate);
    let mut change = rtc.sdp_api();
    let dir = if talking {
        Direction::SendRecv
    } else {
        Direction::RecvOnly
    };
    let mid = change.add_media(MediaKind::Audio, dir, None, None, None);
    let (offer, pending) = change.apply().unwrap();
    let msg = json!({"op": 20, "d": {"sdp": offer.to_sdp_string(), "tracks": {mid.to_string(): "audio"}}});
    ws.send(Message::text(msg.to_string())).await.unwrap();
    let answer = loop {
        let f = next(ws.next().await);
        if f["op"] == 21 {
            break f;
        }
    };
    rtc.sdp_api()
        .accept_answer(
            pending,
            SdpAnswer::from_sdp_string(answer["d"]["sdp"].as_str().unwrap()).unwrap(),
        )
        .unwrap();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let task = tokio::spawn(async move {
        let mut owners: HashMap<String, String> = HashMap::new();
        let mut next_frame = Instant::now();
        let mut media_time = 0u64;
        let mut wake;
        loop {
            // Drain the client's output.
            loop {
                match rtc.poll_output().unwrap() {
                    Output::Timeout(t) => {
                        wake = t;
                        break;
                    }
                    Output::Transmit(t) => link.send(&t.contents, t.destination).await,
                    Output::Event(Event::Connected) => shared.lock().unwrap().connected = true,
                    Output::Event(Event::MediaData(d)) => {
                        if let Some(u) = owners.get(&d.mid.to_string()) {
                            *shared.lock().unwrap().heard.entry(u.clone()).or_default() += 1;
                        }
                    }
                    Output::Event(_) => {}
                }
            }
            if talking && shared.lock().unwrap().connected && Instant::now() >= next_frame {
                next_frame += Duration::from_millis(20);
                media_time += 960;
                let w = rtc.writer(mid).unwrap();
                let pt = w
                    .payload_params()
                    .find(|p| p.spec().codec == Codec::Opus)
                    .unwrap()
                    .pt();
                w.audio_level(-20, true)
                    .write(
                        pt,
                        Instant::now(),
                        MediaTime::new(media_time, Frequency::FORTY_EIGHT_KHZ),
                        vec![9u8; 80],
                    )
                    .unwrap();
                continue;
            }
            let until = if talking { wake.min(next_frame) } else { wake };
            tokio::select! {
                r = frames.recv() => {
                    let Some((source, b)) = r else { continue };
                    let input = Input::Receive(Instant::now(), Receive {
                        proto, source, destination: local,
                        contents: b.as_slice().try_into().unwrap(),
                    });
                    rtc.handle_input(input).unwrap();
                }
                f = ws.next() => {
                    let f: Value = match f {
                        Some(Ok(Message::Text(t))) => serde_json::from_str(&t).unwrap(),
                        Some(Ok(Message::Close(c))) => {
                            shared.lock().unwrap().closed = Some(c.map_or(0, |c| u16::from(c.code)));
                            return;
                        }
                        Some(Ok(_)) => continue,
                        _ => { shared.lock().unwrap().closed.get_or_insert(0); return; }
                    };
                    match f["op"].as_u64() {
                        Some(20) => {
                            owners = f["d"]["tracks"].as_array().unwrap().iter()
                                .map(|t| (t["mid"].as_str().unwrap().to_owned(), t["user_id"].as_str().unwrap().to_owned()))
                                .collect();
                            let offer = SdpOffer::from_sdp_string(f["d"]["sdp"].as_str().unwrap()).unwrap();
                            let answer = rtc.sdp_api().accept_offer(offer).unwrap();
                            let msg = json!({"op": 21, "d": {"sdp": answer.to_sdp_string()}});
                            let _ = ws.send(Message::text(msg.to_string())).await;
                        }
                        Some(5) => shared.lock().unwrap().speaking.push((
                            f["d"]["user_id"].as_str().unwrap().to_owned(),
                            f["d"]["speaking"].as_bool().unwrap(),
                        )),
                        _ => {}
                    }
                }
                () = tokio::time::sleep_until(until.into()) => {}
            }
            rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
        }
    });
    Media { seen, task }
}

#[tokio::test]
async fn members_talk_and_moderators_mute_deafen_move_and_kick() -> R {
    let app = TestApp::new().await;
    let (g, [owner, ann, bob]) = community(&app, ["owner", "ann", "bob"]).await;
    let lounge = voice_channel(&app, &g, &owner, json!({"name": "Lounge", "type": 2})).await;
    let other = voice_channel(&app, &g, &owner, json!({"name": "Quiet", "type": 2})).await;
    let mut ow = app.gateway(&owner).await;
    let mut aw = app.gateway(&ann).await;
    let mut bw = app.gateway(&bob).await;

    // Joining: everyone sees the state; the joiner gets a token and the endpoint.
    let a_server = join(&mut aw, &g, &lounge).await;
    assert_eq!(a_server["guild_id"], g.id.as_str());
    assert!(a_server["token"].as_str().is_some_and(|t| t.len() >= 20));
    let st = state_update(&mut ow, &ann).await;
    assert_eq!(st["channel_id"], lounge.as_str());
    assert_eq!(st["guild_id"], g.id.as_str());
    assert_eq!(st["session_id"], aw.session_id.as_str());
    assert_eq!(st["member"]["user"]["id"], ann.id.as_str());
    assert_eq!(
        (st["mute"].as_bool(), st["self_deaf"].as_bool()),
        (Some(false), Some(false))
    );
    let b_server = join(&mut bw, &g, &lounge).await;
    let (s, v) = app
        .get(&format!("/guilds/{}/voice-states/{}", g.id, bob.id), &owner)
        .await;
    assert_eq!(
        (s, v["channel_id"].as_str()),
        (StatusCode::OK, Some(lounge.as_str()))
    );

    // A fresh session's GUILD_CREATE lists who is in voice.
    let mut fresh = app.gateway(&owner).await;
    let gc = fresh.next_event("GUILD_CREATE").await;
    assert_eq!(gc["id"], g.id.as_str());
    let mut in_voice: Vec<&str> = gc["voice_states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user_id"].as_str().unwrap())
        .collect();
    in_voice.sort_unstable();
    let mut expected = vec![ann.id.as_str(), bob.id.as_str()];
    expected.sort_unstable();
    assert_eq!(in_voice, expected);

    // Media: each hears the other, speaking is reported.
    let am = media(&aw, &ann, &a_server, true).await;
    let bm = media(&bw, &bob, &b_server, true).await;
    am.hears(&bob).await;
    bm.hears(&ann).await;
    am.until("bob speaking", |s| {
        s.speaking.contains(&(bob.id.clone(), true))
    })
    .await;
    assert_eq!(am.heard(&ann), 0, "nobody hears themselves");

    // Server mute: bob's packets reach nobody; the state says so.
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/members/{}", g.id, bob.id),
            &owner,
            json!({"mute": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    state_where(&mut ow, &bob, "mute", json!(true)).await;
    assert_eq!(
        am.silent(&bob).await,
        0,
        "a server-muted member is heard by nobody"
    );
    am.until("bob stops speaking", |s| {
        s.speaking.contains(&(bob.id.clone(), false))
    })
    .await;
    bm.hears(&ann).await;
    // A member without MUTE_MEMBERS cannot unmute.
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/members/{}", g.id, bob.id),
            &ann,
            json!({"mute": false}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    app.patch(
        &format!("/guilds/{}/members/{}", g.id, bob.id),
        &owner,
        json!({"mute": false}),
    )
    .await;
    am.hears(&bob).await;

    // Server deafen: ann receives nothing, is still heard.
    app.patch(
        &format!("/guilds/{}/members/{}", g.id, ann.id),
        &owner,
        json!({"deaf": true}),
    )
    .await;
    state_where(&mut ow, &ann, "deaf", json!(true)).await;
    assert_eq!(
        am.silent(&bob).await,
        0,
        "a deafened member receives nothing"
    );
    bm.hears(&ann).await;
    app.patch(
        &format!("/guilds/{}/members/{}", g.id, ann.id),
        &owner,
        json!({"deaf": false}),
    )
    .await;
    am.hears(&bob).await;

    // Self mute through op 4.
    bw.send(json!({"op": 4, "d": {"guild_id": g.id, "channel_id": lounge, "self_mute": true, "self_deaf": false}})).await;
    state_where(&mut ow, &bob, "self_mute", json!(true)).await;
    assert_eq!(am.silent(&bob).await, 0);
    bw.send(json!({"op": 4, "d": {"guild_id": g.id, "channel_id": lounge, "self_mute": false, "self_deaf": false}})).await;
    am.hears(&bob).await;

    // Move: bob goes to another channel; his media session ends (4014) and a new token comes.
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/members/{}", g.id, bob.id),
            &owner,
            json!({"channel_id": other}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    state_where(&mut ow, &bob, "channel_id", json!(other.as_str())).await;
    bw.next_event("VOICE_SERVER_UPDATE").await;
    bm.until("bob's media closed", |s| s.closed == Some(4014))
        .await;
    assert_eq!(am.silent(&bob).await, 0);
    // Moving someone not in voice is refused with Discord's code.
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/members/{}", g.id, owner.id),
            &owner,
            json!({"channel_id": other}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 40032));

    // Kick: out of voice at once.
    let (s, _) = app
        .delete(&format!("/guilds/{}/members/{}", g.id, ann.id), &owner)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    state_where(&mut ow, &ann, "channel_id", Value::Null).await;
    am.until("ann's media closed", |s| s.closed == Some(4014))
        .await;
    let (s, v) = app
        .get(&format!("/guilds/{}/voice-states/{}", g.id, ann.id), &owner)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10065));

    // Leaving with op 4 channel null; the gateway session closing also ends voice.
    bw.send(json!({"op": 4, "d": {"guild_id": g.id, "channel_id": null, "self_mute": false, "self_deaf": false}})).await;
    state_where(&mut ow, &bob, "channel_id", Value::Null).await;
    Ok(())
}

#[tokio::test]
async fn connect_speak_and_user_limit_are_enforced() -> R {
    let app = TestApp::new().await;
    let (g, [owner, ann, bob]) = community(&app, ["owner", "ann", "bob"]).await;
    let small = voice_channel(
        &app,
        &g,
        &owner,
        json!({"name": "Duo", "type": 2, "user_limit": 1}),
    )
    .await;
    let open = voice_channel(&app, &g, &owner, json!({"name": "Open", "type": 2})).await;
    let mut aw = app.gateway(&ann).await;
    let mut bw = app.gateway(&bob).await;

    // user_limit: the second member is not let in.
    join(&mut aw, &g, &small).await;
    bw.send(json!({"op": 4, "d": {"guild_id": g.id, "channel_id": small, "self_mute": false, "self_deaf": false}})).await;
    // Bad payloads close the session with 4002 … on a throwaway session.
    let mut junk = app.gateway(&owner).await;
    junk.send(json!({"op": 4, "d": {"guild_id": "nope"}})).await;
    assert_eq!(junk.closed().await, 4002);
    let (s, v) = app
        .get(&format!("/guilds/{}/voice-states/{}", g.id, bob.id), &owner)
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::NOT_FOUND, 10065),
        "a full channel refuses: {v}"
    );

    // No SPEAK in the open channel for bob: he is connected, hears, is never heard.
    let (s, v) = app
        .put(
            &format!("/channels/{open}/permissions/{}", bob.id),
            &owner,
            json!({"type": 1, "allow": "0", "deny": (1u64 << 21).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let a_server = join(&mut aw, &g, &open).await;
    let b_server = join(&mut bw, &g, &open).await;
    let am = media(&aw, &ann, &a_server, true).await;
    let bm = media(&bw, &bob, &b_server, true).await;
    bm.hears(&ann).await;
    assert_eq!(
        am.silent(&bob).await,
        0,
        "a member without SPEAK is never forwarded"
    );
    assert!(
        !am.seen
            .lock()
            .unwrap()
            .speaking
            .iter()
            .any(|(u, s)| u == &bob.id && *s)
    );

    // Granting SPEAK takes effect in the running session.
    app.delete(&format!("/channels/{open}/permissions/{}", bob.id), &owner)
        .await;
    am.hears(&bob).await;

    // Losing CONNECT removes the member from voice at once.
    app.put(
        &format!("/channels/{open}/permissions/{}", bob.id),
        &owner,
        json!({"type": 1, "allow": "0", "deny": (1u64 << 20).to_string()}),
    )
    .await;
    state_where(&mut aw, &bob, "channel_id", Value::Null).await;
    bm.until("bob's media closed", |s| s.closed == Some(4014))
        .await;
    // … and cannot join again.
    bw.send(json!({"op": 4, "d": {"guild_id": g.id, "channel_id": open, "self_mute": false, "self_deaf": false}})).await;
    let (s, _) = app
        .get(&format!("/guilds/{}/voice-states/{}", g.id, bob.id), &owner)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A signalling token is single-use and bound to its session.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}",
        a_server["endpoint"].as_str().unwrap()
    ))
    .await?;
    ws.next().await;
    let bad = json!({"op": 0, "d": {"server_id": g.id, "user_id": ann.id, "session_id": aw.session_id, "token": a_server["token"]}});
    ws.send(Message::text(bad.to_string())).await?;
    let closed = loop {
        match ws.next().await {
            Some(Ok(Message::Close(c))) => break c.map(|c| u16::from(c.code)),
            Some(Ok(_)) => continue,
            _ => break None,
        }
    };
    assert_eq!(closed, Some(4004));
    Ok(())
}

#[tokio::test]
async fn stage_audience_is_not_heard_until_made_a_speaker() -> R {
    let app = TestApp::new().await;
    let (g, [owner, ann]) = community(&app, ["owner", "ann"]).await;
    let stage = voice_channel(&app, &g, &owner, json!({"name": "Stage", "type": 13})).await;
    let mut ow = app.gateway(&owner).await;
    let mut aw = app.gateway(&ann).await;
    let o_server = join(&mut ow, &g, &stage).await;
    let a_server = join(&mut aw, &g, &stage).await;
    state_where(&mut ow, &ann, "suppress", json!(true)).await; // joins as audience
    let om = media(&ow, &owner, &o_server, true).await;
    let am = media(&aw, &ann, &a_server, true).await;
    am.until("connected", |s| s.connected).await;
    assert_eq!(om.silent(&ann).await, 0, "the audience is not heard");

    // Ann asks to speak; she may not make herself a speaker.
    let me = format!("/guilds/{}/voice-states/@me", g.id);
    let (s, v) = app
        .patch(
            &me,
            &ann,
            json!({"channel_id": g.general, "suppress": true}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50035),
        "not her channel: {v}"
    );
    assert!(v["errors"]["channel_id"].is_object(), "{v}");
    let (s, _) = app
        .patch(
            &me,
            &ann,
            json!({"channel_id": stage, "request_to_speak_timestamp": "2026-11-24T12:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    loop {
        if state_update(&mut ow, &ann).await["request_to_speak_timestamp"].is_string() {
            break;
        }
    }
    let (s, v) = app
        .patch(&me, &ann, json!({"channel_id": stage, "suppress": false}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    // The moderator invites her up: heard from now on.
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/voice-states/{}", g.id, ann.id),
            &owner,
            json!({"channel_id": stage, "suppress": false}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let st = state_where(&mut ow, &ann, "suppress", json!(false)).await;
    assert!(st["request_to_speak_timestamp"].is_null());
    om.hears(&ann).await;
    // And back to the audience.
    app.patch(
        &format!("/guilds/{}/voice-states/{}", g.id, ann.id),
        &owner,
        json!({"suppress": true}),
    )
    .await;
    assert_eq!(om.silent(&ann).await, 0);

    // A live stage: opened by a stage moderator, seen by the community, one per channel.
    let (s, v) = app
        .post(
            "/stage-instances",
            &ann,
            json!({"channel_id": stage, "topic": "AMA"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, 50013));
    let (s, v) = app
        .post(
            "/stage-instances",
            &owner,
            json!({"channel_id": stage, "topic": ""}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app
        .post(
            "/stage-instances",
            &owner,
            json!({"channel_id": g.general, "topic": "AMA"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, 50024),
        "not a stage channel: {v}"
    );
    let (s, created) = app
        .post(
            "/stage-instances",
            &owner,
            json!({"channel_id": stage, "topic": "Ask me anything", "privacy_level": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{created}");
    assert_eq!(
        (created["channel_id"].as_str(), created["topic"].as_str()),
        (Some(stage.as_str()), Some("Ask me anything"))
    );
    let ev = aw.next_event("STAGE_INSTANCE_CREATE").await;
    assert_eq!(ev["id"], created["id"]);
    let (s, v) = app
        .post(
            "/stage-instances",
            &owner,
            json!({"channel_id": stage, "topic": "again"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 150_006));
    let (s, v) = app
        .patch(
            &format!("/stage-instances/{stage}"),
            &owner,
            json!({"topic": "Office hours"}),
        )
        .await;
    assert_eq!(
        (s, v["topic"].as_str()),
        (StatusCode::OK, Some("Office hours"))
    );
    assert_eq!(
        aw.next_event("STAGE_INSTANCE_UPDATE").await["topic"],
        "Office hours"
    );
    let (s, v) = app.get(&format!("/stage-instances/{stage}"), &ann).await;
    assert_eq!(
        (s, v["topic"].as_str()),
        (StatusCode::OK, Some("Office hours"))
    );
    let mut fresh = app.gateway(&ann).await;
    let gc = fresh.next_event("GUILD_CREATE").await;
    assert_eq!(gc["stage_instances"][0]["topic"], "Office hours");

    // A member whose media connection drops leaves voice at once; when the stage empties it ends.
    drop(am);
    state_where(&mut ow, &ann, "channel_id", Value::Null).await;
    drop(om);
    state_where(&mut aw, &owner, "channel_id", Value::Null).await;
    assert_eq!(
        aw.next_event("STAGE_INSTANCE_DELETE").await["id"],
        created["id"]
    );
    let (s, v) = app.get(&format!("/stage-instances/{stage}"), &ann).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10067));
    Ok(())
}

#[tokio::test]
async fn ice_tcp_carries_media_for_members_without_udp() -> R {
    let app = TestApp::new().await;
    let (g, [ann, bob]) = community(&app, ["ann", "bob"]).await;
    let lounge = voice_channel(&app, &g, &ann, json!({"name": "Lounge", "type": 2})).await;
    let mut aw = app.gateway(&ann).await;
    let mut bw = app.gateway(&bob).await;
    let a_server = join(&mut aw, &g, &lounge).await;
    let b_server = join(&mut bw, &g, &lounge).await;
    let am = media(&aw, &ann, &a_server, true).await;
    let bm = media_over(&bw, &bob, &b_server, true, true).await;
    bm.until("connected over TCP", |s| s.connected).await;
    bm.hears(&ann).await;
    am.hears(&bob).await;
    Ok(())
}

#[tokio::test]
async fn media_flows_over_udp_with_ice_tcp_switched_off() -> R {
    // Regression: without the ICE-TCP listener the media task once stopped reading UDP.
    let app = TestApp::with(|c| c.voice_tcp = false).await;
    let (g, [ann, bob]) = community(&app, ["ann", "bob"]).await;
    let lounge = voice_channel(&app, &g, &ann, json!({"name": "Lounge", "type": 2})).await;
    let mut aw = app.gateway(&ann).await;
    let mut bw = app.gateway(&bob).await;
    let a_server = join(&mut aw, &g, &lounge).await;
    let b_server = join(&mut bw, &g, &lounge).await;
    let am = media(&aw, &ann, &a_server, true).await;
    let bm = media(&bw, &bob, &b_server, true).await;
    bm.hears(&ann).await;
    am.hears(&bob).await;
    Ok(())
}
