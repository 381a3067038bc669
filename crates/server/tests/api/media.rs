use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Cursor;

#[expect(
    clippy::expect_used,
    reason = "a fixture that cannot be built should fail loudly"
)]
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(w, h);
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// A PNG whose header claims `w`×`h` pixels but holds one: a decompression bomb's shape.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    let mut b = png(1, 1);
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    b
}

async fn send_files(
    app: &TestApp,
    channel: &str,
    u: &User,
    payload: Value,
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let payload = payload.to_string();
    let names: Vec<String> = (0..files.len()).map(|i| format!("files[{i}]")).collect();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> =
        vec![("payload_json", None, payload.as_bytes())];
    for (i, (name, data)) in files.iter().enumerate() {
        parts.push((names[i].as_str(), Some(name), data));
    }
    let (s, _, v) = app
        .multipart(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(&u.token),
            &parts,
        )
        .await;
    (s, v)
}

/// Runs the sweeper, then counts what is left in object storage.
async fn objects_after_sweep(app: &TestApp) -> Result<usize, Box<dyn std::error::Error>> {
    use futures_util::StreamExt;
    use object_store::ObjectStore;
    let state = app.app();
    coterie_server::service::media::sweep_once(state).await?;
    Ok(state
        .media
        .objects
        .list(None)
        .collect::<Vec<_>>()
        .await
        .len())
}

async fn history_len(app: &TestApp, channel: &str, u: &User) -> usize {
    let (_, v) = app
        .get(&format!("/channels/{channel}/messages?limit=100"), u)
        .await;
    v.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn files_upload_serve_with_signatures_and_reach_other_members() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let mut gw = app.gateway(&member).await;
    let big = png(1200, 800);
    let notes = "chapter 3 notes\n".repeat(50);
    let (s, m) = send_files(
        &app,
        &g.general,
        &owner,
        json!({"content": "look", "attachments": [
            {"id": 0, "description": "a black rectangle"},
            {"id": 1, "filename": "my notes.txt"}]}),
        &[("diagram.png", &big), ("ignored.txt", notes.as_bytes())],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let a = &m["attachments"][0];
    assert_eq!(a["filename"], "diagram.png");
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["size"], big.len());
    assert_eq!(
        (a["width"].as_u64(), a["height"].as_u64()),
        (Some(1200), Some(800))
    );
    assert_eq!(a["description"], "a black rectangle");
    let t = &m["attachments"][1];
    assert_eq!(t["filename"], "my_notes.txt");
    assert_eq!(t["content_type"], "text/plain; charset=utf-8");
    assert!(t.get("width").is_none());
    let url = a["url"].as_str().ok_or("url")?;
    assert!(
        url.contains("ex=") && url.contains("&is=") && url.contains("&hm="),
        "{url}"
    );
    // The other member gets the files with the message, and can download them without a token.
    // (The member's own join message may come first.)
    let ev = gw.next_message("look").await;
    assert_eq!(ev["attachments"][0]["id"], a["id"], "{ev}");
    let (s, h, bytes) = app.fetch(url, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes, big);
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-disposition"].to_str()?.starts_with("inline"));
    assert!(h["cache-control"].to_str()?.contains("private"));
    // Ranges, conditional requests, and the thumbnail of the media URL.
    let (s, h, part) = app.fetch(url, &[("Range", "bytes=0-99")]).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, big[..100]);
    assert_eq!(h["content-range"], format!("bytes 0-99/{}", big.len()));
    let (s, _, _) = app.fetch(url, &[("Range", "bytes=99999999-")]).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
    let etag = h["etag"].to_str()?.to_owned();
    let (s, _, _) = app.fetch(url, &[("If-None-Match", &etag)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    let proxy = format!(
        "{}&width=400&height=300",
        a["proxy_url"].as_str().ok_or("proxy")?
    );
    let (s, h, thumb) = app.fetch(&proxy, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "image/jpeg");
    let t = image::load_from_memory(&thumb)?;
    assert_eq!((t.width(), t.height()), (512, 341));
    // Forged, altered or expired signatures are 404, as is a file of another channel.
    for bad in [
        url.replace("&hm=", "&hm=00"),
        url.replace(&format!("/{}/", g.general), "/1234567890123/"),
        url.split('?').next().unwrap_or_default().to_owned(),
    ] {
        let (s, _, _) = app.fetch(&bad, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
    }
    app.clock.advance_ms(25 * 3600 * 1000);
    let (s, _, _) = app.fetch(url, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "expired");
    // Reading the message again signs fresh URLs.
    let (_, again) = app
        .get(
            &format!(
                "/channels/{}/messages/{}",
                g.general,
                m["id"].as_str().ok_or("id")?
            ),
            &member,
        )
        .await;
    let fresh = again["attachments"][0]["url"].as_str().ok_or("url")?;
    assert_ne!(fresh, url);
    let (s, _, _) = app.fetch(fresh, &[]).await;
    assert_eq!(s, StatusCode::OK);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_nothing_behind() -> R {
    let app = TestApp::with(|c| c.upload_file_limit = 64 * 1024).await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let before = history_len(&app, &g.general, &owner).await;
    // Too large: 413 with Discord's code, read no further than the limit.
    let huge = vec![b'a'; 100 * 1024];
    let (s, v) = send_files(&app, &g.general, &owner, json!({}), &[("big.txt", &huge)]).await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(40005)),
        "{v}"
    );
    // An image bomb is a field error naming the file; so is a corrupt image.
    let (s, v) = send_files(
        &app,
        &g.general,
        &owner,
        json!({"content": "x"}),
        &[("ok.txt", b"fine"), ("bomb.png", &bomb(100_000, 100_000))],
    )
    .await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(50035)),
        "{v}"
    );
    let err = v["errors"]["files"]["1"]["_errors"][0]["message"]
        .as_str()
        .unwrap_or("");
    assert!(err.contains("bomb.png"), "{v}");
    let (s, v) = send_files(
        &app,
        &g.general,
        &owner,
        json!({}),
        &[("b.png", &bomb(4000, 4000))],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // More than ten files.
    let many: Vec<(&str, &[u8])> = (0..11).map(|_| ("f.txt", &b"x"[..])).collect();
    let (s, v) = send_files(&app, &g.general, &owner, json!({}), &many).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // A file whose post fails (reply to an unknown message) is removed at once.
    let (s, _) = send_files(
        &app,
        &g.general,
        &owner,
        json!({"message_reference": {"message_id": "1234567890123456789"}}),
        &[("a.txt", b"hello")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(history_len(&app, &g.general, &owner).await, before);
    let app_state = app.app();
    let left = app_state.store.sweepable_attachments(i64::MAX, 100).await?;
    assert!(left.is_empty(), "{left:?}");
    // Without ATTACH_FILES a member cannot upload (text still goes through).
    let (_, roles) = app.get(&format!("/guilds/{}/roles", g.id), &owner).await;
    let everyone = roles[0]["permissions"]
        .as_str()
        .ok_or("perms")?
        .parse::<u64>()?;
    app.patch(
        &format!("/guilds/{}/roles/{}", g.id, g.id),
        &owner,
        json!({"permissions": (everyone & !(1u64 << 15)).to_string()}),
    )
    .await;
    let (s, v) = send_files(&app, &g.general, &member, json!({}), &[("a.txt", b"hi")]).await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::FORBIDDEN, Some(50013)),
        "{v}"
    );
    // Forged types and path tricks: the bytes decide the type, the name loses its directories,
    // and HTML never renders inline.
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let (s, m) = send_files(
        &app,
        &g.general,
        &owner,
        json!({}),
        &[("../../../etc/cat.png", html)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let a = &m["attachments"][0];
    assert_eq!(a["filename"], "cat.png");
    assert_eq!(a["content_type"], "text/html");
    assert!(a.get("width").is_none());
    let (_, h, _) = app.fetch(a["url"].as_str().ok_or("url")?, &[]).await;
    assert!(
        h["content-disposition"].to_str()?.starts_with("attachment"),
        "{h:?}"
    );
    assert!(h["content-security-policy"].to_str()?.contains("sandbox"));
    assert_eq!(h["content-type"], "text/html");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn edits_and_deletes_remove_files_from_storage() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (_, m) = send_files(
        &app,
        &g.general,
        &owner,
        json!({"content": "two files"}),
        &[("a.txt", b"first"), ("b.txt", b"second")],
    )
    .await;
    let mid = m["id"].as_str().ok_or("id")?.to_owned();
    let keep = m["attachments"][0]["id"].as_str().ok_or("id")?.to_owned();
    let dropped_url = m["attachments"][1]["url"].as_str().ok_or("url")?.to_owned();
    // Edit: keep the first, drop the second, add a third.
    let payload = json!({"attachments": [{"id": keep}, {"id": 0}]}).to_string();
    let (s, _, e) = app
        .multipart(
            Method::PATCH,
            &format!("/channels/{}/messages/{mid}", g.general),
            Some(&owner.token),
            &[
                ("payload_json", None, payload.as_bytes()),
                ("files[0]", Some("c.txt"), b"third"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let names: Vec<&str> = e["attachments"]
        .as_array()
        .ok_or("list")?
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    assert_eq!(names, ["a.txt", "c.txt"]);
    assert!(e["edited_timestamp"].is_string());
    let (s, _, _) = app.fetch(&dropped_url, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a dropped file is gone");
    // Deleting the message deletes its files from storage.
    let kept_url = e["attachments"][0]["url"].as_str().ok_or("url")?.to_owned();
    app.delete(&format!("/channels/{}/messages/{mid}", g.general), &owner)
        .await;
    let (s, _, _) = app.fetch(&kept_url, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(objects_after_sweep(&app).await?, 0);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn webhooks_post_files() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (s, w) = app
        .post(
            &format!("/channels/{}/webhooks", g.general),
            &owner,
            json!({"name": "ci"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let path = format!(
        "/webhooks/{}/{}?wait=true",
        w["id"].as_str().ok_or("id")?,
        w["token"].as_str().ok_or("token")?
    );
    let report = b"build 42 passed";
    let (s, _, m) = app
        .multipart(
            Method::POST,
            &path,
            None,
            &[
                ("content", None, b"CI report"),
                ("files[0]", Some("report.log"), report),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["content"], "CI report");
    let (_, _, bytes) = app
        .fetch(m["attachments"][0]["url"].as_str().ok_or("url")?, &[])
        .await;
    assert_eq!(bytes, report);
    app.shutdown().await;
    Ok(())
}

fn data_uri(bytes: &[u8]) -> String {
    use base64::Engine;
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[tokio::test]
async fn avatars_and_icons_are_stored_as_hashes_and_served() -> R {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let g = app.guild(&alice).await;
    let (s, me) = app
        .patch(
            "/users/@me",
            &alice,
            json!({"avatar": data_uri(&png(2000, 1000))}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let hash = me["avatar"].as_str().ok_or("hash")?.to_owned();
    assert!(
        hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hash}"
    );
    let root = app.base.trim_end_matches("/api/v10").to_owned();
    let url = format!("{root}/cdn/avatars/{}/{hash}.png?size=128", alice.id);
    let (s, h, bytes) = app.fetch(&url, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "image/png");
    assert!(h["cache-control"].to_str()?.contains("immutable"));
    let img = image::load_from_memory(&bytes)?;
    assert_eq!((img.width(), img.height()), (1024, 512), "bounded to 1024");
    // Bad data is a field error and changes nothing.
    let (s, v) = app
        .patch(
            "/users/@me",
            &alice,
            json!({"avatar": "data:image/png;base64,bm9wZQ=="}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(50035)),
        "{v}"
    );
    assert!(v["errors"]["avatar"].is_object());
    let (s, v) = app
        .patch(
            "/users/@me",
            &alice,
            json!({"avatar": data_uri(&bomb(90_000, 90_000))}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (_, me) = app.get("/users/@me", &alice).await;
    assert_eq!(me["avatar"], hash.as_str());
    // Removing it removes the image.
    let (_, me) = app
        .patch("/users/@me", &alice, json!({"avatar": null}))
        .await;
    assert!(me["avatar"].is_null());
    let (s, _, _) = app.fetch(&url, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Community icons.
    let (s, gv) = app
        .patch(
            &format!("/guilds/{}", g.id),
            &alice,
            json!({"icon": data_uri(&png(64, 64))}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{gv}");
    let icon = gv["icon"].as_str().ok_or("icon")?;
    let (s, _, _) = app
        .fetch(&format!("{root}/cdn/icons/{}/{icon}.webp", g.id), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn custom_emoji_crud_events_and_reactions() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &member).await;
    let mut gw = app.gateway(&member).await;
    let path = format!("/guilds/{}/emojis", g.id);
    let (s, v) = app
        .post(
            &path,
            &owner,
            json!({"name": "x", "image": data_uri(&png(32, 32))}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(50035)),
        "{v}"
    );
    let (s, v) = app
        .post(
            &path,
            &member,
            json!({"name": "party_cat", "image": data_uri(&png(32, 32))}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, e) = app
        .post(
            &path,
            &owner,
            json!({"name": "party_cat", "image": data_uri(&png(300, 300))}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(
        (e["name"].as_str(), e["animated"].as_bool()),
        (Some("party_cat"), Some(false))
    );
    assert_eq!(e["require_colons"], true);
    let id = e["id"].as_str().ok_or("id")?.to_owned();
    let ev = gw.next_event("GUILD_EMOJIS_UPDATE").await;
    assert_eq!(ev["emojis"][0]["id"], id.as_str());
    let (_, guild) = app.get(&format!("/guilds/{}", g.id), &member).await;
    assert_eq!(guild["emojis"][0]["name"], "party_cat");
    let root = app.base.trim_end_matches("/api/v10").to_owned();
    let (s, _, bytes) = app.fetch(&format!("{root}/cdn/emojis/{id}.png"), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let img = image::load_from_memory(&bytes)?;
    assert_eq!(img.width(), 128, "emoji images are at most 128 pixels");
    // Reacting with it; an unknown custom emoji is 10014.
    let m = app.create_message(&g.general, &owner, "party").await;
    let mid = m["id"].as_str().ok_or("id")?;
    let (s, _) = app
        .put(
            &format!(
                "/channels/{}/messages/{mid}/reactions/party_cat:{id}/@me",
                g.general
            ),
            &member,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let ev = gw.next_event("MESSAGE_REACTION_ADD").await;
    assert_eq!(ev["emoji"]["id"], id.as_str());
    let (s, v) = app
        .put(
            &format!(
                "/channels/{}/messages/{mid}/reactions/nope:1234567890123/@me",
                g.general
            ),
            &member,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(10014)),
        "{v}"
    );
    // Rename, then delete: the image goes too.
    let (s, e2) = app
        .patch(
            &format!("{path}/{id}"),
            &owner,
            json!({"name": "party_parrot"}),
        )
        .await;
    assert_eq!(
        (s, e2["name"].as_str()),
        (StatusCode::OK, Some("party_parrot")),
        "{e2}"
    );
    // Limited to a role the member lacks: they cannot use it.
    let role = app
        .create_role(&g, &owner, json!({"name": "party people"}))
        .await;
    let (s, _) = app
        .patch(
            &format!("{path}/{id}"),
            &owner,
            json!({"roles": [role["id"]]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let m2 = app.create_message(&g.general, &owner, "again").await;
    let (s, v) = app
        .put(
            &format!(
                "/channels/{}/messages/{}/reactions/party_parrot:{id}/@me",
                g.general,
                m2["id"].as_str().ok_or("id")?
            ),
            &member,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app.delete(&format!("{path}/{id}"), &owner).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = app.fetch(&format!("{root}/cdn/emojis/{id}.png"), &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&path, &owner).await;
    assert_eq!(list, json!([]));
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn search_filters_by_kind_of_file() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let img = png(8, 8);
    send_files(
        &app,
        &g.general,
        &owner,
        json!({"content": "pic"}),
        &[("a.png", &img)],
    )
    .await;
    send_files(
        &app,
        &g.general,
        &owner,
        json!({"content": "doc"}),
        &[("a.txt", b"words")],
    )
    .await;
    app.create_message(&g.general, &owner, "plain").await;
    let q = |has: &str| format!("/guilds/{}/messages/search?has={has}", g.id);
    let (_, v) = app.get(&q("file"), &owner).await;
    assert_eq!(v["total_results"], 2, "{v}");
    let (_, v) = app.get(&q("image"), &owner).await;
    assert_eq!(v["total_results"], 1, "{v}");
    assert_eq!(v["messages"][0][0]["attachments"][0]["filename"], "a.png");
    let (_, v) = app.get(&q("video"), &owner).await;
    assert_eq!(v["total_results"], 0, "{v}");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn deleting_an_account_deletes_its_files_and_keeps_its_messages() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let leaver = app.user("leaver").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &leaver).await;
    app.patch(
        "/users/@me",
        &leaver,
        json!({"avatar": data_uri(&png(16, 16))}),
    )
    .await;
    let (_, m) = send_files(
        &app,
        &g.general,
        &leaver,
        json!({"content": "my notes"}),
        &[("n.txt", b"notes")],
    )
    .await;
    let url = m["attachments"][0]["url"].as_str().ok_or("url")?.to_owned();
    let (s, v) = app
        .post(
            "/users/@me/delete",
            &leaver,
            json!({"password": "wrong password!"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .post(
            "/users/@me/delete",
            &owner,
            json!({"password": "correct horse battery"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(40011)),
        "owners transfer first: {v}"
    );
    let (s, _) = app
        .post(
            "/users/@me/delete",
            &leaver,
            json!({"password": "correct horse battery"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/users/@me", &leaver).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the token is revoked");
    let (s, _, _) = app.fetch(&url, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, history) = app
        .get(&format!("/channels/{}/messages", g.general), &owner)
        .await;
    let kept = history
        .as_array()
        .ok_or("list")?
        .iter()
        .find(|x| x["content"] == "my notes")
        .ok_or("the message stays")?;
    assert!(
        kept["author"]["username"]
            .as_str()
            .unwrap_or("")
            .starts_with("deleted_user_")
    );
    assert_eq!(kept["attachments"], json!([]));
    assert_eq!(
        objects_after_sweep(&app).await?,
        0,
        "files and avatar are gone"
    );
    app.shutdown().await;
    Ok(())
}
