//! The store's error type.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the change; `constraint` names it.
    #[error("conflict on {constraint}")]
    Conflict {
        /// e.g. `users_username_lower_key`.
        constraint: &'static str,
    },
    /// A stored value could not be decoded (corrupt JSON, out-of-range number).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error")]
    Backend(#[source] sqlx::Error),
}

/// Unique constraints the services react to, with the text each engine reports for them.
const CONSTRAINTS: &[(&str, &str)] = &[
    ("users_username_lower_key", "users.username_lower"),
    ("users_email_lower_key", "users.email_lower"),
    ("invites_pkey", "invites.code"),
];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let name = db.constraint().unwrap_or_default();
            let msg = db.message();
            for (pg, sqlite) in CONSTRAINTS {
                if name == *pg || msg.contains(sqlite) {
                    return Self::Conflict { constraint: pg };
                }
            }
            if db.is_unique_violation() {
                return Self::Conflict {
                    constraint: "unique",
                };
            }
            if db.is_foreign_key_violation() {
                return Self::Conflict {
                    constraint: "foreign_key",
                };
            }
        }
        Self::Backend(e)
    }
}
