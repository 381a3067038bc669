//! A small engine-neutral layer over sqlx: one `Db` (SQLite writer + read pool, or a PostgreSQL
//! pool) and one `Tx`, taking shared SQL text with `$n` placeholders and a list of [`Arg`]s.
//! Every query in the store is written once and runs on both engines.

use crate::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(Option<i64>),
    Str(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::I64(v)
    }
}
impl From<u32> for Arg {
    fn from(v: u32) -> Self {
        Self::I64(Some(i64::from(v)))
    }
}
impl From<coterie_model::Snowflake> for Arg {
    fn from(v: coterie_model::Snowflake) -> Self {
        Self::I64(Some(v.get()))
    }
}
impl From<Option<coterie_model::Snowflake>> for Arg {
    fn from(v: Option<coterie_model::Snowflake>) -> Self {
        Self::I64(v.map(coterie_model::Snowflake::get))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Str(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Str(Some(v.to_owned()))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Self::Str(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Self::Str(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::Str(v.map(str::to_owned))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v)
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(v.to_vec())
    }
}

/// Builds a `Vec<Arg>` from heterogeneous values.
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::db::Arg::from($v)),*] };
}
pub(crate) use args;

/// A row type both engines can decode.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(v),
                Arg::Str(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// SQL text: static, or built at run time from placeholders only (never from values).
#[derive(Clone)]
pub(crate) enum Sql {
    Static(&'static str),
    Built(String),
}

impl From<&'static str> for Sql {
    fn from(s: &'static str) -> Self {
        Self::Static(s)
    }
}
impl From<String> for Sql {
    fn from(s: String) -> Self {
        Self::Built(s)
    }
}

/// Parameters from which SQLite statements are rewritten to anonymous `?` (see [`anonymous`]).
const ANONYMOUS_FROM: usize = 16;

/// SQLite finds a `$n` parameter's name with a linear scan of the statement's parameter list,
/// and sqlx asks for every parameter's name when binding: a statement with n named parameters
/// costs O(n²) to bind (a 64-row insert of 24 columns spent more time there than in SQLite's
/// own insert). Anonymous `?` parameters have no name to scan for, so a statement with many
/// parameters is rewritten: each `$k` outside quotes becomes `?`, and the arguments are laid out
/// in the order the `?`s appear (repeating those a statement uses more than once).
fn anonymous(sql: Sql, mut args: Vec<Arg>) -> (Sql, Vec<Arg>) {
    if args.len() < ANONYMOUS_FROM {
        return (sql, args);
    }
    let text = match &sql {
        Sql::Static(s) => *s,
        Sql::Built(s) => s.as_str(),
    };
    let mut out = String::with_capacity(text.len());
    // The parameter number behind each `?`, in order.
    let mut order: Vec<usize> = Vec::with_capacity(args.len());
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut k = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    k = k.saturating_mul(10).saturating_add(d as usize);
                    chars.next();
                }
                if k == 0 || k > args.len() {
                    // Not one of ours: leave the statement alone; SQLite will say what is wrong.
                    return (sql, args);
                }
                order.push(k - 1);
                out.push('?');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    let mut uses = vec![0usize; args.len()];
    for &i in &order {
        uses[i] += 1;
    }
    let ordered = order
        .iter()
        .map(|&i| {
            uses[i] -= 1;
            if uses[i] == 0 {
                std::mem::replace(&mut args[i], Arg::Bool(false))
            } else {
                args[i].clone()
            }
        })
        .collect();
    (Sql::Built(out), ordered)
}

macro_rules! run {
    ($kind:ident, $exec:expr, $sql:expr, $args:expr, $method:ident) => {
        match $sql {
            Sql::Static(s) => bind_all!(sqlx::$kind(s), $args).$method($exec).await,
            Sql::Built(s) => {
                bind_all!(sqlx::$kind(AssertSqlSafe(s)), $args)
                    .$method($exec)
                    .await
            }
        }
    };
}

/// The connection pools.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    /// One writer connection (SQLite has one writer) and a set of readers (WAL).
    Sqlite {
        write: SqlitePool,
        read: std::sync::Arc<crate::readers::Readers>,
    },
    /// One pool.
    Postgres(PgPool),
}

/// An open transaction on the writer.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Which engine, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// How to open the database.
#[derive(Clone, Debug)]
pub enum DbConfig {
    /// A SQLite file (created if missing).
    Sqlite {
        /// Path of the database file.
        path: std::path::PathBuf,
        /// Reader connections.
        readers: u32,
    },
    /// A PostgreSQL URL; `schema` selects a schema (tests use one each).
    Postgres {
        /// `postgres://…`.
        url: String,
        /// Connections.
        max_connections: u32,
        /// Schema to use as `search_path`.
        schema: Option<String>,
    },
}

impl Db {
    pub(crate) async fn open(cfg: &DbConfig) -> Result<Self, StoreError> {
        match cfg {
            DbConfig::Sqlite { path, readers } => {
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL in WAL mode survives process crashes; see docs/decisions.md.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .pragma("cache_size", "-32768")
                    // Pages are read through a memory map (up to SQLite's 2 GB ceiling) instead of
                    // a read() copy per page-cache miss: history pages jump around big tables.
                    .pragma("mmap_size", "2147418112")
                    .pragma("temp_store", "memory");
                // A pool pings an idle connection before lending it out by default; on SQLite
                // that is one more round trip to the connection's thread per query, and an
                // in-process database cannot have hung up.
                let write = SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(base.clone())
                    .await?;
                let read = crate::readers::Readers::open(&base.read_only(true), *readers).await?;
                Ok(Self::Sqlite {
                    write,
                    read: std::sync::Arc::new(read),
                })
            }
            DbConfig::Postgres {
                url,
                max_connections,
                schema,
            } => {
                let mut opts = PgConnectOptions::from_str(url)?;
                if let Some(s) = schema {
                    opts = opts.options([("search_path", s.as_str())]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(*max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                if let Some(s) = schema {
                    if !s
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    {
                        return Err(StoreError::Corrupt(format!("invalid schema name {s:?}")));
                    }
                    sqlx::query(AssertSqlSafe(format!("create schema if not exists {s}")))
                        .execute(&pool)
                        .await?;
                }
                Ok(Self::Postgres(pool))
            }
        }
    }

    pub(crate) fn engine(&self) -> Engine {
        match self {
            Self::Sqlite { .. } => Engine::Sqlite,
            Self::Postgres(_) => Engine::Postgres,
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Self::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Self::Postgres(p) => p.close().await,
        }
    }

    /// All rows (from a reader).
    pub(crate) async fn all<T: Row>(
        &self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Self::Sqlite { read, .. } => {
                let (sql, args) = anonymous(sql.into(), args);
                let mut loan = read.lend().await?;
                run!(query_as, loan.conn(), sql, args, fetch_all)
            }?,
            Self::Postgres(p) => run!(query_as, p, sql.into(), args, fetch_all)?,
        })
    }

    /// At most one row (from a reader).
    pub(crate) async fn opt<T: Row>(
        &self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> Result<Option<T>, StoreError> {
        Ok(match self {
            Self::Sqlite { read, .. } => {
                let (sql, args) = anonymous(sql.into(), args);
                let mut loan = read.lend().await?;
                run!(query_as, loan.conn(), sql, args, fetch_optional)
            }?,
            Self::Postgres(p) => run!(query_as, p, sql.into(), args, fetch_optional)?,
        })
    }

    /// A single statement in its own transaction, on the writer; returns rows affected.
    pub(crate) async fn exec(
        &self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> Result<u64, StoreError> {
        Ok(match self {
            Self::Sqlite { write, .. } => {
                let (sql, args) = anonymous(sql.into(), args);
                run!(query, write, sql, args, execute)?.rows_affected()
            }
            Self::Postgres(p) => run!(query, p, sql.into(), args, execute)?.rows_affected(),
        })
    }
}

impl Tx {
    /// Which engine the transaction runs on.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Self::Sqlite(_) => Engine::Sqlite,
            Self::Postgres(_) => Engine::Postgres,
        }
    }

    pub(crate) async fn all<T: Row>(
        &mut self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Self::Sqlite(t) => {
                let (sql, args) = anonymous(sql.into(), args);
                run!(query_as, &mut **t, sql, args, fetch_all)
            }?,
            Self::Postgres(t) => run!(query_as, &mut **t, sql.into(), args, fetch_all)?,
        })
    }

    pub(crate) async fn opt<T: Row>(
        &mut self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> Result<Option<T>, StoreError> {
        Ok(match self {
            Self::Sqlite(t) => {
                let (sql, args) = anonymous(sql.into(), args);
                run!(query_as, &mut **t, sql, args, fetch_optional)
            }?,
            Self::Postgres(t) => run!(query_as, &mut **t, sql.into(), args, fetch_optional)?,
        })
    }

    pub(crate) async fn exec(
        &mut self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> Result<u64, StoreError> {
        Ok(match self {
            Self::Sqlite(t) => {
                let (sql, args) = anonymous(sql.into(), args);
                run!(query, &mut **t, sql, args, execute)
            }?
            .rows_affected(),
            Self::Postgres(t) => run!(query, &mut **t, sql.into(), args, execute)?.rows_affected(),
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(t) => t.commit().await?,
            Self::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// `$from, $from+1, …` placeholders for an `in (…)` list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A boolean literal for SQL text. Conditions that must match a partial index use literals, not
/// parameters: PostgreSQL cannot use a partial index in a generic plan whose condition is `$n`.
pub(crate) fn bool_lit(engine: Engine, v: bool) -> &'static str {
    match (engine, v) {
        (Engine::Sqlite, true) => "1",
        (Engine::Sqlite, false) => "0",
        (Engine::Postgres, true) => "true",
        (Engine::Postgres, false) => "false",
    }
}

#[cfg(test)]
mod tests {
    use super::{ANONYMOUS_FROM, Arg, Sql, anonymous};

    fn text(s: &Sql) -> &str {
        match s {
            Sql::Static(s) => s,
            Sql::Built(s) => s,
        }
    }

    fn ints(n: i64) -> Vec<Arg> {
        (1..=n).map(|i| Arg::I64(Some(i))).collect()
    }

    fn values(a: &[Arg]) -> Vec<i64> {
        a.iter()
            .map(|a| match a {
                Arg::I64(Some(v)) => *v,
                _ => -1,
            })
            .collect()
    }

    #[test]
    fn many_parameters_become_anonymous_in_the_order_they_are_used() {
        let n = ANONYMOUS_FROM as i64;
        let list: Vec<String> = (3..=n).map(|i| format!("${i}")).collect();
        let sql = format!(
            "select '$1 stays', \"$2\" from t where a = $2 and b in ({}) and c = $1 or d = $2",
            list.join(", ")
        );
        let (out, args) = anonymous(Sql::Built(sql), ints(n));
        let qs = vec!["?"; list.len()].join(", ");
        assert_eq!(
            text(&out),
            format!(
                "select '$1 stays', \"$2\" from t where a = ? and b in ({qs}) and c = ? or d = ?"
            )
        );
        let mut want = vec![2];
        want.extend(3..=n);
        want.extend([1, 2]);
        assert_eq!(values(&args), want);
    }

    #[test]
    fn few_parameters_and_foreign_numbers_are_left_alone() {
        let (out, args) = anonymous(Sql::Static("select $1, $2"), ints(2));
        assert_eq!((text(&out), values(&args)), ("select $1, $2", vec![1, 2]));
        let n = ANONYMOUS_FROM as i64;
        let (out, args) = anonymous(Sql::Static("select $99"), ints(n));
        assert_eq!(text(&out), "select $99");
        assert_eq!(args.len(), ANONYMOUS_FROM);
    }

    /// Columns a partial index is conditioned on by equality (`where archived = 0`): a query
    /// comparing one with a bound parameter can never use the index (decision 84), so it takes a
    /// literal.
    #[test]
    fn partial_index_columns_are_never_compared_with_parameters() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |dir: &str| -> Vec<(String, String)> {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            files
                .into_iter()
                .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
                .collect()
        };
        let mut columns = vec![];
        for (_, sql) in read("migrations/sqlite") {
            for line in sql.lines().map(str::to_ascii_lowercase) {
                let Some((_, cond)) = line.split_once(") where ") else {
                    continue;
                };
                if (line.starts_with("create index") || line.starts_with("create unique index"))
                    && let Some((col, _)) = cond.split_once(" = ")
                {
                    columns.push(col.trim().to_owned());
                }
            }
        }
        assert!(
            columns.iter().any(|c| c == "mention_everyone"),
            "{columns:?}"
        );
        for (path, src) in read("src") {
            for col in &columns {
                for (i, _) in src.match_indices(&format!("{col} = $")) {
                    // A condition (`where x = $1`, `and t.x = $2`), not an assignment (`set x = $1`).
                    let before = &src[..i];
                    if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                        continue; // another column whose name ends the same way
                    }
                    let word = before.trim_end().rsplit(' ').next().unwrap_or("");
                    let condition =
                        before.ends_with('.') || ["where", "and", "or", "on"].contains(&word);
                    let line = src[..i].lines().count();
                    assert!(
                        !condition,
                        "{path}:{line} compares `{col}` with a parameter; use a literal (bool_lit)"
                    );
                }
            }
        }
    }
}
