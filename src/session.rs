//! The one place that builds the DataFusion session: memory limit, spill directory, target
//! partitions, and the object stores of the lake and the drops.
//!
//! Guarantees: every query of the pipeline runs in a session built here; tests get a small,
//! deterministic one from [`SessionOptions::for_tests`].

use crate::store::Store;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::path::PathBuf;

/// Default memory limit of a session: 4 GiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 4 << 30;

/// How a session is built.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Bytes the engine may hold before it spills or fails.
    pub memory_limit: usize,
    /// Where spill files go; the system temp folder when `None`.
    pub spill_dir: Option<PathBuf>,
    /// Parallelism of plans; the number of cores when `None`.
    pub target_partitions: Option<usize>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            memory_limit: DEFAULT_MEMORY_LIMIT,
            spill_dir: None,
            target_partitions: None,
        }
    }
}

impl SessionOptions {
    /// A deterministic session for tests: two partitions, 1 GiB.
    pub fn for_tests() -> Self {
        SessionOptions {
            memory_limit: 1 << 30,
            spill_dir: None,
            target_partitions: Some(2),
        }
    }
}

/// Builds the session and registers the given stores with it.
pub fn build(
    options: &SessionOptions,
    stores: &[&Store],
) -> Result<SessionContext, DataFusionError> {
    let mut config = SessionConfig::new()
        .with_information_schema(false)
        .with_batch_size(8192);
    if let Some(n) = options.target_partitions {
        config = config.with_target_partitions(n);
    }
    let disk = match &options.spill_dir {
        Some(dir) => {
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Directories(vec![dir.clone()]))
        }
        None => DiskManagerBuilder::default(),
    };
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(options.memory_limit, 1.0)
        .with_disk_manager_builder(disk)
        .build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    for store in stores {
        store.register(&ctx);
    }
    Ok(ctx)
}
