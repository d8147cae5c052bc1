//! The one place that builds the DataFusion session: memory limit, spill directory, target
//! partitions, and the object stores of the lake and the drops.
//!
//! Guarantees: every query of the pipeline runs in a session built here; tests get a small,
//! deterministic one from [`SessionOptions::for_tests`]. The memory limit is one pool shared by
//! every operator and by the transform's in-memory model tables: a fair spill pool (each spilling
//! operator – sort, aggregation, sort-merge join – gets an equal share of what the non-spilling
//! ones leave and spills to the disk manager when it is used up), tracked per consumer so that an
//! exhausted limit names the five largest consumers. Below [`HASH_JOIN_MIN_LIMIT`] joins are
//! planned as sort-merge joins, which spill, instead of hash joins, which cannot. Any DataFusion
//! option can be overridden for tuning by its environment variable (`DATAFUSION_…`).

pub mod scratch;

use crate::store::Store;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

/// Default memory limit of a session: 1 GiB (a national year's run peaks at about 0.65–0.75 GiB
/// resident with it; 2 or 4 GiB is no faster, docs/benchmarks.md, session 12).
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// Below this memory limit joins are sort-merge joins (they spill) rather than hash joins (their
/// build side must fit in memory). The models put the small side of every large join first (its
/// build side), so the largest build side of a national run is about 30 MB; at 1 GiB hash joins
/// saved a fifth of the transform's time against sort-merge joins (docs/benchmarks.md, session 6).
pub const HASH_JOIN_MIN_LIMIT: usize = 1 << 30;

/// Rows per batch of every operator.
const BATCH_ROWS: usize = 8192;

/// How a session is built.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Bytes the engine may hold before it spills or fails.
    pub(crate) memory_limit: usize,
    /// Where spill files go; the system temp folder when `None`.
    pub(crate) spill_dir: Option<PathBuf>,
    /// Parallelism of plans; the number of cores when `None`.
    pub(crate) target_partitions: Option<usize>,
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

    /// The test session of [`SessionOptions::for_tests`] with a memory limit of `bytes`.
    pub fn for_tests_with_limit(bytes: usize) -> Self {
        SessionOptions {
            memory_limit: bytes,
            ..Self::for_tests()
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
        .with_batch_size(BATCH_ROWS)
        .set_bool(
            "datafusion.optimizer.prefer_hash_join",
            options.memory_limit >= HASH_JOIN_MIN_LIMIT,
        )
        // Parquet text read back as plain strings, not string views: views share large buffers
        // that the memory pool counts whole for every batch, so a sort of a small table asked
        // for 125 MB per batch and gave up under a 1 GiB limit (docs/benchmarks.md). The release
        // files are the same either way.
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        );
    if let Some(n) = options.target_partitions {
        config = config.with_target_partitions(n);
    }
    // A scan of more yearly files than target partitions is declared partitioned by the year
    // (`lake::register_years`); an aggregation grouped by the year and more may then group each
    // year's partition on its own, without a repartition and a final step over all of them. Only
    // inputs with more partitions than the target are affected: a repartition never makes more.
    let threshold = config.options().optimizer.subset_repartition_threshold;
    config.options_mut().optimizer.subset_repartition_threshold =
        threshold.min(config.target_partitions() + 1);
    apply_overrides(&mut config, std::env::vars())?;
    let disk = match &options.spill_dir {
        Some(dir) => {
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Directories(vec![dir.clone()]))
        }
        None => DiskManagerBuilder::default(),
    };
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(TrackConsumersPool::new(
            FairSpillPool::new(options.memory_limit),
            NonZeroUsize::new(5).expect("five is not zero"),
        )))
        .with_disk_manager_builder(disk)
        .build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    for store in stores {
        store.register(&ctx);
    }
    Ok(ctx)
}

/// The analysed logical plan of `df`: names resolved, types coerced and checked, as execution
/// would see them, without the optimizer's rewrites (which keep the schema). Planning against
/// schemas (`oj validate`, and the project compile before every run) needs no more; the optimizer
/// took most of the time of planning every model and check.
pub fn analyzed_plan(df: DataFrame) -> Result<LogicalPlan, DataFusionError> {
    let (state, plan) = df.into_parts();
    state
        .analyzer()
        .execute_and_check(plan, state.config_options(), |_, _| {})
}

/// A session sharing `parent`'s configuration and runtime (memory pool, spill directory, object
/// stores) with its own empty catalog: a stage's or a gate's intermediate tables never leak into
/// the caller's catalog, and it is the same engine, not a second one.
pub fn private(parent: &SessionContext) -> SessionContext {
    SessionContext::new_with_config_rt(parent.copied_config(), parent.runtime_env())
}

/// Sets every DataFusion option named by one of `vars` in its environment-variable form
/// (`datafusion.execution.batch_size` ← `DATAFUSION_EXECUTION_BATCH_SIZE`), over the settings
/// above: a tuning knob for benchmarks (docs/benchmarks.md). A value that does not parse is an
/// error naming the option; other variables are ignored.
fn apply_overrides(
    config: &mut SessionConfig,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), DataFusionError> {
    let vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with("DATAFUSION_"))
        .collect();
    if vars.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = config
        .options()
        .entries()
        .into_iter()
        .map(|e| e.key)
        .collect();
    for (name, value) in vars {
        if let Some(key) = keys
            .iter()
            .find(|k| k.to_uppercase().replace('.', "_") == name)
        {
            config.options_mut().set(key, &value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::memory_pool::MemoryConsumer;

    fn session(memory_limit: usize) -> SessionContext {
        let options = SessionOptions {
            memory_limit,
            ..SessionOptions::for_tests()
        };
        build(&options, &[]).unwrap()
    }

    #[tokio::test]
    async fn parquet_text_reads_back_as_plain_strings() {
        use datafusion::arrow::datatypes::DataType;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.parquet");
        let ctx = session(1 << 30);
        ctx.sql("SELECT 'a' AS t")
            .await
            .unwrap()
            .write_parquet(file.to_str().unwrap(), Default::default(), None)
            .await
            .unwrap();
        let df = ctx
            .read_parquet(file.to_str().unwrap(), Default::default())
            .await
            .unwrap();
        assert_eq!(df.schema().field(0).data_type(), &DataType::Utf8);
    }

    #[test]
    fn joins_can_spill_below_the_hash_join_limit() {
        let prefers_hash =
            |ctx: &SessionContext| ctx.state().config().options().optimizer.prefer_hash_join;
        assert!(!prefers_hash(&session(512 << 20)));
        assert!(prefers_hash(&session(HASH_JOIN_MIN_LIMIT)));
    }

    #[test]
    fn datafusion_options_can_be_overridden_by_their_environment_names() {
        let mut config = SessionConfig::new().with_batch_size(BATCH_ROWS);
        let vars = [
            ("DATAFUSION_EXECUTION_BATCH_SIZE", "4096"),
            ("DATAFUSION_OPTIMIZER_PREFER_HASH_JOIN", "false"),
            ("DATAFUSION_NO_SUCH_OPTION", "1"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        apply_overrides(&mut config, vars).unwrap();
        assert_eq!(config.batch_size(), 4096);
        assert!(!config.options().optimizer.prefer_hash_join);
        let bad = [("DATAFUSION_EXECUTION_BATCH_SIZE", "many")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let err = apply_overrides(&mut config, bad).unwrap_err().to_string();
        assert!(err.contains("batch_size"), "{err}");
    }

    #[test]
    fn the_limit_is_one_pool_that_names_what_exhausted_it() {
        // 10 MiB limit: a 6 MiB table and a 6 MiB operator cannot both have their memory.
        let ctx = session(10 << 20);
        let pool = ctx.runtime_env().memory_pool.clone();
        let table = MemoryConsumer::new("model table a").register(&pool);
        table.try_grow(6 << 20).unwrap();
        let sort = MemoryConsumer::new("ExternalSorter")
            .with_can_spill(true)
            .register(&pool);
        let err = sort.try_grow(6 << 20).unwrap_err().to_string();
        assert!(err.contains("Resources exhausted"), "{err}");
        assert!(err.contains("model table a"), "{err}");
        // Released, the table's share is available again.
        drop(table);
        sort.try_grow(6 << 20).unwrap();
    }
}
