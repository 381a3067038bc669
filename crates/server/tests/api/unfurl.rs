#![expect(clippy::expect_used, reason = "test servers fail loudly")]

use crate::harness::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a fake web server answers.
#[derive(Clone, Copy)]
enum Page {
    /// A page with Open Graph tags.
    Preview,
    /// A redirect to `to`.
    Redirect(u16),
    /// Headers, then nothing for a long time.
    Slow,
    /// Headers, then bytes without end.
    Endless,
}

/// Serves `page` on `ip`; returns the port and a request counter.
async fn serve(ip: [u8; 4], page: Page) -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind(std::net::SocketAddr::from((ip, 0)))
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                match page {
                    Page::Preview => {
                        let body = "<html><head><title>ignored</title><meta property=\"og:title\" content=\"Study tips &amp; tricks\">\
                                    <meta name=\"description\" content=\"How to revise\"><meta property=\"og:image\" content=\"/cover.png\">\
                                    <meta property=\"og:site_name\" content=\"Example\"></head></html>";
                        let _ = s
                            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                            .await;
                    }
                    Page::Redirect(to) => {
                        let _ = s
                            .write_all(format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{to}/inside\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
                            .await;
                    }
                    Page::Slow => {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<html>")
                            .await;
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    }
                    Page::Endless => {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n")
                            .await;
                        let chunk = vec![b'a'; 64 * 1024];
                        while s.write_all(&chunk).await.is_ok() {}
                    }
                }
            });
        }
    });
    (port, hits)
}

#[tokio::test]
async fn links_unfold_into_embeds_and_private_addresses_are_never_fetched() -> R {
    // 127.0.0.2 stands for "the internet" (allow-listed); 127.0.0.1 is the private side.
    let app = TestApp::with(|c| c.unfurl_allow = "127.0.0.2".into()).await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (inside, inside_hits) = serve([127, 0, 0, 1], Page::Preview).await;
    let (redirect, _) = serve([127, 0, 0, 2], Page::Redirect(inside)).await;
    let (slow, _) = serve([127, 0, 0, 2], Page::Slow).await;
    let (endless, _) = serve([127, 0, 0, 2], Page::Endless).await;
    let (public, public_hits) = serve([127, 0, 0, 2], Page::Preview).await;
    let content = format!(
        "private http://127.0.0.1:{inside}/x, a redirect inside http://127.0.0.2:{redirect}/r, ftp://127.0.0.2:{public}/, a suppressed <http://127.0.0.2:{public}/s>, \
         slow http://127.0.0.2:{slow}/ endless http://127.0.0.2:{endless}/ and the real one http://127.0.0.2:{public}/page"
    );
    let m = app.create_message(&g.general, &owner, &content).await;
    assert_eq!(m["embeds"], json!([]), "previews come later");
    // The slow page holds the task for its 5-second limit (longer than the test gateway's
    // heartbeat), so this reads the message until the preview is there.
    let path = format!(
        "/channels/{}/messages/{}",
        g.general,
        m["id"].as_str().expect("id")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let up = loop {
        let (_, v) = app.get(&path, &owner).await;
        if v["embeds"].as_array().is_some_and(|e| !e.is_empty())
            || std::time::Instant::now() > deadline
        {
            break v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let embeds = up["embeds"].as_array().expect("embeds");
    assert_eq!(embeds.len(), 1, "{up}");
    let e = &embeds[0];
    assert_eq!(e["title"], "Study tips & tricks");
    assert_eq!(e["description"], "How to revise");
    assert_eq!(e["provider"]["name"], "Example");
    assert_eq!(e["url"], format!("http://127.0.0.2:{public}/page"));
    assert_eq!(
        e["thumbnail"]["url"],
        format!("http://127.0.0.2:{public}/cover.png")
    );
    assert_eq!(
        inside_hits.load(Ordering::SeqCst),
        0,
        "nothing reached the private address"
    );
    assert_eq!(
        public_hits.load(Ordering::SeqCst),
        1,
        "ftp and <suppressed> links are not fetched"
    );

    // SUPPRESS_EMBEDS on the message: nothing is fetched.
    let (s, v) = app
        .post(
            &format!("/channels/{}/messages", g.general),
            &owner,
            json!({"content": format!("http://127.0.0.2:{public}/quiet"), "flags": 4}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK, "{v}");
    let mut gw = app.gateway(&owner).await;
    // (Links unfold in order, at most five a message: the two private ones are refused first.)
    app.create_message(
        &g.general,
        &owner,
        &format!("http://localhost:{inside}/y http://[::1]:{inside}/z again http://127.0.0.2:{public}/again"),
    )
    .await;
    let up = gw.next_event("MESSAGE_UPDATE").await;
    assert_ne!(up["id"], v["id"]);
    assert_eq!(
        public_hits.load(Ordering::SeqCst),
        2,
        "the suppressed message was not fetched"
    );
    assert_eq!(
        inside_hits.load(Ordering::SeqCst),
        0,
        "localhost and ::1 are private too"
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn previews_can_be_switched_off() -> R {
    let app = TestApp::with(|c| {
        c.unfurl = false;
        c.unfurl_allow = "127.0.0.2".into();
    })
    .await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (public, hits) = serve([127, 0, 0, 2], Page::Preview).await;
    let (fence, fence_hits) = serve([127, 0, 0, 2], Page::Preview).await;
    let _ = fence;
    app.create_message(
        &g.general,
        &owner,
        &format!("http://127.0.0.2:{public}/page"),
    )
    .await;
    // Nothing to wait for when nothing happens: the app has no fetcher at all.
    assert!(app.app().unfurler.is_none());
    assert_eq!(
        hits.load(Ordering::SeqCst) + fence_hits.load(Ordering::SeqCst),
        0
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn an_edit_replaces_the_previews_of_its_old_links() -> R {
    let app = TestApp::with(|c| c.unfurl_allow = "127.0.0.2".into()).await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let (first, _) = serve([127, 0, 0, 2], Page::Preview).await;
    let (second, _) = serve([127, 0, 0, 2], Page::Preview).await;
    let old = format!("http://127.0.0.2:{first}/page");
    let new = format!("http://127.0.0.2:{second}/page");
    let m = app
        .create_message(&g.general, &owner, &format!("see {old}"))
        .await;
    let path = format!(
        "/channels/{}/messages/{}",
        g.general,
        m["id"].as_str().expect("id")
    );
    let wait_for_url = |url: String| {
        let (app, path, owner) = (&app, path.clone(), owner.clone());
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let (_, v) = app.get(&path, &owner).await;
                let urls: Vec<String> = v["embeds"]
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .filter_map(|x| x["url"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if urls == [url.clone()] || std::time::Instant::now() > deadline {
                    return urls;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(wait_for_url(old.clone()).await, [old]);
    let (s, v) = app
        .patch(&path, &owner, json!({"content": format!("actually {new}")}))
        .await;
    assert_eq!(s, reqwest::StatusCode::OK, "{v}");
    assert_eq!(
        wait_for_url(new.clone()).await,
        [new],
        "the old preview is gone, the new one came"
    );
    app.shutdown().await;
    Ok(())
}
