//! The `coterie` command: `serve`, `migrate` and `admin`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use coterie_server::config::{RegistrationMode, ServeArgs};
use coterie_server::{clock::SystemClock, serve};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "coterie",
    version,
    about = "Self-hosted communities with a Discord-compatible API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(ServeArgs),
    /// Instance administration.
    Admin {
        #[command(flatten)]
        db: ServeArgs,
        #[command(subcommand)]
        action: Admin,
    },
}

#[derive(Debug, Subcommand)]
enum Admin {
    /// Set a new password for an account (revokes its sessions). Reads it from COTERIE_NEW_PASSWORD
    /// or generates one and prints it.
    ResetPassword {
        /// Username or email.
        login: String,
    },
    /// Make an account an instance administrator.
    #[command(name = "grant-admin")]
    Grant {
        /// Username or email.
        login: String,
    },
    /// Remove instance administration from an account.
    #[command(name = "revoke-admin")]
    Revoke {
        /// Username or email.
        login: String,
    },
    /// Set who may register: open, invite or closed.
    RegistrationMode {
        /// open, invite or closed.
        mode: String,
    },
}

fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_env("COTERIE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// Hands memory glibc's malloc holds free back to the system (docs/decisions.md, 79).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod trim {
    use std::time::{Duration, Instant};

    /// How often.
    const EVERY: Duration = Duration::from_secs(30);

    #[expect(unsafe_code, reason = "declaring a glibc function")]
    unsafe extern "C" {
        /// glibc: releases free memory at the top of the heap and, since 2.8, every whole free page
        /// inside each arena (madvise). Returns 1 when some memory was released.
        fn malloc_trim(pad: usize) -> i32;
    }

    /// Every [`EVERY`], for the life of the process.
    pub fn run() {
        loop {
            std::thread::sleep(EVERY);
            let t = Instant::now();
            // SAFETY: malloc_trim takes no pointers and is thread-safe (it locks each arena).
            #[expect(unsafe_code, reason = "glibc's malloc_trim has no safe binding in std")]
            let released = unsafe { malloc_trim(0) };
            tracing::debug!(
                released,
                took_us = t.elapsed().as_micros() as u64,
                "malloc_trim"
            );
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = args.resolve()?;
            init_logs(config.log_json);
            let parts = serve::production_parts(config).await?;
            let running = serve::start(parts).await?;
            let url = running
                .app
                .config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", running.addr));
            tracing::info!(addr = %running.addr, "Coterie is listening");
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            std::thread::spawn(trim::run);
            println!(
                "Coterie is running at {url}  (API: {url}/api/v10, gateway: {})",
                url.replacen("http", "ws", 1)
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.shutdown().await?;
            Ok(())
        }
        Command::Migrate(args) => {
            let config = args.resolve()?;
            init_logs(config.log_json);
            let store = serve::open_store(&config, &SystemClock).await?;
            store.close().await;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Admin { db, action } => {
            let config = db.resolve()?;
            init_logs(config.log_json);
            let store = serve::open_store(&config, &SystemClock).await?;
            let r = admin(&store, &config, action).await;
            store.close().await;
            r
        }
    }
}

async fn admin(
    store: &coterie_store::Store,
    config: &coterie_server::config::Config,
    action: Admin,
) -> anyhow::Result<()> {
    let find = |login: String| async move {
        store
            .user_by_login(&login)
            .await?
            .with_context(|| format!("no account {login:?}"))
    };
    match action {
        Admin::ResetPassword { login } => {
            let user = find(login).await?;
            let (password, generated) = match std::env::var("COTERIE_NEW_PASSWORD") {
                Ok(p) if !p.is_empty() => (p, false),
                _ => (coterie_server::service::auth::new_token().0, true),
            };
            coterie_model::validate::password(&password, &user.username)
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let hash = coterie_server::service::auth::hash_with_params(
                config.argon2_memory_kib,
                password.clone(),
            )
            .await?;
            store.set_password(user.id, &hash, None).await?;
            if generated {
                println!("new password for {}: {password}", user.username);
            } else {
                println!(
                    "password of {} changed; its sessions were revoked",
                    user.username
                );
            }
        }
        Admin::Grant { login } => {
            let user = find(login).await?;
            store.set_instance_admin(user.id, true).await?;
            println!("{} now administers this instance", user.username);
        }
        Admin::Revoke { login } => {
            let user = find(login).await?;
            store.set_instance_admin(user.id, false).await?;
            println!("{} no longer administers this instance", user.username);
        }
        Admin::RegistrationMode { mode } => {
            let m = RegistrationMode::parse(&mode).context("expected open, invite or closed")?;
            coterie_server::service::auth::set_registration_mode(store, m).await?;
            println!("registration is now {}", m.as_str());
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
