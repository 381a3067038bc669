//! Group commit for new messages: sends queue here and one task stores whatever has queued up in
//! a single transaction, so a burst of messages costs one commit, not one each. On SQLite there is
//! one writer anyway; on PostgreSQL concurrent sends to one channel used to queue for its row lock
//! (`last_message_id`) one commit after another, while a batch takes each lock once, in order.

use crate::app::AppState;
use crate::error::ApiError;
use coterie_store::{NewMessage, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Messages committed together at most.
const BATCH: usize = 128;

type Queued = (NewMessage, oneshot::Sender<Result<(), StoreError>>);

/// The queue to the writer task (started on first use).
#[derive(Default)]
pub struct Writer {
    queue: std::sync::OnceLock<mpsc::Sender<Queued>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("messages::Writer")
    }
}

async fn run(store: coterie_store::Store, mut rx: mpsc::Receiver<Queued>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(q) => batch.push(q),
                Err(_) => break,
            }
        }
        let (msgs, replies): (Vec<NewMessage>, Vec<_>) = batch.into_iter().unzip();
        match store.create_messages(&msgs).await {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            // One bad message must not fail the others: store them one by one.
            Err(_) => {
                for (m, reply) in msgs.iter().zip(replies) {
                    let _ = reply.send(store.create_message(m).await);
                }
            }
        }
    }
}

/// Stores a new message; returns once it is committed.
pub async fn store(app: &AppState, m: NewMessage) -> Result<(), ApiError> {
    let queue = app.message_writer.queue.get_or_init(|| {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(app.store.clone(), rx));
        tx
    });
    let (reply, answer) = oneshot::channel();
    if queue.send((m, reply)).await.is_err() {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "the message writer stopped"
        )));
    }
    answer
        .await
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("the message writer stopped")))?
        .map_err(ApiError::from)
}
