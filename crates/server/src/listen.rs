//! The HTTP accept loop: HTTP/1.1 connections served by hyper with upgrades, each request carrying
//! the peer's address (`ConnectInfo`).
//!
//! Done here rather than by `axum::serve`, whose connection builder wraps every stream in a private
//! type: an upgraded WebSocket could then not be turned back into its `TcpStream`, which the
//! gateway needs to write dispatches straight into the socket (see `gateway::socket`).

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_service::Service;

/// A client has this long to send a request's headers (slow-header attacks hold connections).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `stop` turns true, then lets open connections finish their
/// requests (upgraded connections are their handlers' to end) and returns once all have.
pub async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let mut make: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        router.into_make_service_with_connect_info::<SocketAddr>();
    // Every connection task holds a receiver; `closed()` resolves when the last one is gone.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of file descriptors, most likely: wait rather than spin.
                        tracing::error!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        // Frames and responses go out as soon as they are written: without TCP_NODELAY a small
        // frame written while an earlier one is unacknowledged waits for the ACK (Nagle).
        let _ = tcp.set_nodelay(true);
        let Ok(svc) = make.call(peer).await;
        let mut stop = stop.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(svc))
                .with_upgrades();
            tokio::pin!(conn);
            let stopping = tokio::select! {
                _ = conn.as_mut() => false,
                () = stopped(&mut stop) => true,
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
            drop(open);
        });
    }
    drop(open_rx);
    open_tx.closed().await;
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await;
}

/// Errors of one connection (reset before it was accepted), not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}
