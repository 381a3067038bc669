//! Embedded, versioned migrations: one list per engine, each applied once in its own transaction
//! and recorded in `schema_migrations`.

use crate::StoreError;
use crate::db::{Db, Engine, args};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sqlite: include_str!("../migrations/sqlite/0001_core.sql"),
        postgres: include_str!("../migrations/postgres/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "bots",
        sqlite: include_str!("../migrations/sqlite/0002_bots.sql"),
        postgres: include_str!("../migrations/postgres/0002_bots.sql"),
    },
    Migration {
        version: 3,
        name: "forums",
        sqlite: include_str!("../migrations/sqlite/0003_forums.sql"),
        postgres: include_str!("../migrations/postgres/0003_forums.sql"),
    },
    Migration {
        version: 4,
        name: "moderation",
        sqlite: include_str!("../migrations/sqlite/0004_moderation.sql"),
        postgres: include_str!("../migrations/postgres/0004_moderation.sql"),
    },
    Migration {
        version: 5,
        name: "search",
        sqlite: include_str!("../migrations/sqlite/0005_search.sql"),
        postgres: include_str!("../migrations/postgres/0005_search.sql"),
    },
    Migration {
        version: 6,
        name: "nodes",
        sqlite: include_str!("../migrations/sqlite/0006_nodes.sql"),
        postgres: include_str!("../migrations/postgres/0006_nodes.sql"),
    },
    Migration {
        version: 7,
        name: "media",
        sqlite: include_str!("../migrations/sqlite/0007_media.sql"),
        postgres: include_str!("../migrations/postgres/0007_media.sql"),
    },
    Migration {
        version: 8,
        name: "member_count",
        sqlite: include_str!("../migrations/sqlite/0008_member_count.sql"),
        postgres: include_str!("../migrations/postgres/0008_member_count.sql"),
    },
    Migration {
        version: 9,
        name: "message_extras",
        sqlite: include_str!("../migrations/sqlite/0009_message_extras.sql"),
        postgres: include_str!("../migrations/postgres/0009_message_extras.sql"),
    },
];

const CREATE_TABLE: &str = "create table if not exists schema_migrations (
    version bigint primary key, name text not null, applied_at bigint not null)";

#[derive(sqlx::FromRow)]
struct Version {
    version: i64,
}

/// Applies pending migrations; returns how many ran.
pub(crate) async fn run(db: &Db, now_ms: i64) -> Result<usize, StoreError> {
    db.exec(CREATE_TABLE, vec![]).await?;
    let done: Vec<Version> = db
        .all("select version from schema_migrations", vec![])
        .await?;
    let latest_known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(v) = done.iter().map(|v| v.version).max()
        && v > latest_known
    {
        return Err(StoreError::Corrupt(format!(
            "database schema version {v} is newer than this binary knows ({latest_known}); upgrade Coterie"
        )));
    }
    let mut applied = 0;
    for m in MIGRATIONS {
        if done.iter().any(|d| d.version == m.version) {
            continue;
        }
        let sql = match db.engine() {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        let mut tx = db.begin().await?;
        for stmt in split_statements(sql) {
            tx.exec(stmt, vec![]).await?;
        }
        tx.exec(
            "insert into schema_migrations (version, name, applied_at) values ($1, $2, $3)",
            args![m.version, m.name, now_ms],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            migration.version = m.version,
            migration.name = m.name,
            "migration applied"
        );
        applied += 1;
    }
    Ok(applied)
}

/// Splits a migration file on `;` at line ends (our migrations hold no procedural code).
fn split_statements(sql: &'static str) -> impl Iterator<Item = String> {
    // Statements end with `;` at the end of a line, except inside a trigger's `begin … end;`.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_body = false;
    for line in sql.lines() {
        let t = line.trim();
        if t.starts_with("--") && cur.trim().is_empty() {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        if t.to_ascii_lowercase().ends_with(" begin") {
            in_body = true;
        } else if in_body && t.eq_ignore_ascii_case("end;") {
            in_body = false;
        }
        if !in_body && t.ends_with(';') {
            out.push(cur.trim().trim_end_matches(';').to_owned());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().trim_end_matches(';').to_owned());
    }
    out.into_iter().filter(|s| !s.is_empty())
}
