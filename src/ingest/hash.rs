//! The SHA-256 of a drop file computed on a thread of its own while the file's chunks are read
//! and checked: hashing and reading a chunk take about the same time, and a year's register is
//! read twice (fingerprint and ingest).

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::IngestError;
use datafusion::error::DataFusionError;

/// Chunks waiting to be hashed.
const IN_FLIGHT: usize = 4;

/// A SHA-256 computed in the background over the chunks given to it, in order.
pub(super) struct Background {
    tx: mpsc::Sender<Bytes>,
    task: JoinHandle<String>,
}

impl Background {
    /// Starts hashing (nothing yet).
    pub(super) fn start() -> Background {
        let (tx, mut rx) = mpsc::channel::<Bytes>(IN_FLIGHT);
        let task = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
            }
            format!("{:x}", hasher.finalize())
        });
        Background { tx, task }
    }

    /// Hashes the next chunk (waits while `IN_FLIGHT` chunks are queued).
    pub(super) async fn update(&mut self, chunk: Bytes) {
        // A send fails only when the hashing thread is gone; `finish` says why.
        let _ = self.tx.send(chunk).await;
    }

    /// The lower-case hex digest of every chunk given; a failure of the hashing thread is an
    /// engine error of `dataset`.
    pub(super) async fn finish(self, dataset: &str) -> Result<String, IngestError> {
        drop(self.tx);
        self.task.await.map_err(|e| IngestError::Engine {
            dataset: dataset.to_string(),
            source: DataFusionError::External(Box::new(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_hash_as_the_whole() {
        let mut h = Background::start();
        for part in [&b"a;b\n"[..], b"1;", b"2\n"] {
            h.update(Bytes::copy_from_slice(part)).await;
        }
        // sha256("a;b\n1;2\n"), from `printf 'a;b\n1;2\n' | sha256sum`.
        assert_eq!(
            h.finish("test").await.unwrap(),
            "403bea5152c251c5bc7ef420d824d191605723f99392e83a0549ad58c6d46291"
        );
    }
}
