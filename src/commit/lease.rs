//! One writer per year: the lease `_commit/leases/ar=<Y>.json`, created with `PutMode::Create`,
//! naming its holder (run, host, pid); a second run of the year is refused naming the holder, the
//! lease of a process that no longer exists on this host is broken automatically, any other by
//! `oj unlock` ([`break_lease`]).

use super::{CommitError, read_json};
use crate::layout;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Who holds a year's lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub run_id: String,
    pub host: String,
    pub pid: u32,
    pub started: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {} on host {}, pid {}, started {}",
            self.run_id, self.host, self.pid, self.started
        )
    }
}

impl Holder {
    /// This process as the holder of run `run_id`.
    pub fn this_process(run_id: &str, started: &str) -> Self {
        Holder {
            run_id: run_id.to_string(),
            host: host_name(),
            pid: std::process::id(),
            started: started.to_string(),
        }
    }

    /// Whether the holder is a process of this host that no longer exists (Linux `/proc`).
    pub(super) fn is_gone(&self) -> bool {
        let proc = std::path::Path::new("/proc");
        self.host == host_name()
            && proc.join("self").exists()
            && !proc.join(self.pid.to_string()).exists()
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The lease of one year, held by this run until [`Lease::release`].
#[derive(Debug)]
pub struct Lease {
    lake: Store,
    year: i64,
    run_id: String,
}

impl Lease {
    /// Takes the lease of `year` for `holder`, or refuses naming the current holder.
    pub async fn acquire(lake: &Store, year: i64, holder: &Holder) -> Result<Lease, CommitError> {
        let path = layout::lease_file(year);
        let body = serde_json::to_vec_pretty(holder).map_err(|source| CommitError::Json {
            path: lake.display(&path),
            source,
        })?;
        let mut broke_stale = false;
        loop {
            if lake.put_if(&path, body.clone(), None).await? {
                return Ok(Lease {
                    lake: lake.clone(),
                    year,
                    run_id: holder.run_id.clone(),
                });
            }
            let current: Option<Holder> = read_json(lake, &path).await?;
            match current {
                // Released between the two calls: try again.
                None => continue,
                Some(h) if h.is_gone() && !broke_stale => {
                    tracing::warn!(
                        "{}: breaking the stale lease of {h}: that process no longer exists",
                        lake.display(&path)
                    );
                    lake.delete(&path).await?;
                    broke_stale = true;
                }
                Some(h) => {
                    return Err(CommitError::Leased {
                        year,
                        holder: h,
                        path: lake.display(&path),
                        lake: lake.display(""),
                    });
                }
            }
        }
    }

    /// Gives the lease back (only if it is still this run's).
    pub async fn release(self) -> Result<(), CommitError> {
        let path = layout::lease_file(self.year);
        let current: Option<Holder> = read_json(&self.lake, &path).await.unwrap_or(None);
        if current.is_some_and(|h| h.run_id == self.run_id) {
            self.lake.delete(&path).await?;
        }
        Ok(())
    }
}

/// Removes the lease of `year` whoever holds it (`oj unlock`); returns the holder it removed.
pub async fn break_lease(lake: &Store, year: i64) -> Result<Option<Holder>, CommitError> {
    let path = layout::lease_file(year);
    let holder = read_json(lake, &path).await.unwrap_or(None);
    let existed = lake.head(&path).await?.is_some();
    lake.delete(&path).await?;
    Ok(if existed { holder } else { None })
}
