//! `--memory-limit` (issue 15): a limit too small to finish is a runtime failure (exit 3) whose
//! message says that memory ran out – in ingest and in transform, never a data-quality failure –
//! and a limit below the hash-join threshold (joins planned as sort-merge joins, which spill)
//! produces exactly the same tables as the default limit.

use super::integrity::{lake_with_drops, oj};

#[test]
fn a_limit_too_small_to_finish_exits_3_naming_memory() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    // 1 KiB cannot hold one batch of the drop's checked rows.
    let (code, err) = oj(
        &l,
        &[
            "run",
            "--year",
            "2015",
            "--stage",
            "ingest",
            "--memory-limit",
            "1KiB",
        ],
        None,
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("Resources exhausted"), "{err}");
    for y in ["2015", "2016", "2017"] {
        let (code, err) = oj(&l, &["run", "--year", y, "--stage", "ingest"], None);
        assert_eq!(code, Some(0), "{err}");
    }
    // The staged data is fine; the transform cannot hold its first model in 1 KiB.
    let (code, err) = oj(
        &l,
        &[
            "run",
            "--year",
            "2017",
            "--stage",
            "transform",
            "--memory-limit",
            "1KiB",
        ],
        None,
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("Resources exhausted"), "{err}");
}

#[tokio::test]
async fn sort_merge_joins_below_the_hash_join_limit_give_the_same_tables() {
    let run = |limit: &str| {
        let l = lake_with_drops(&[2015, 2016, 2017]);
        for y in ["2015", "2016"] {
            let (code, err) = oj(
                &l,
                &[
                    "run",
                    "--year",
                    y,
                    "--stage",
                    "ingest",
                    "--memory-limit",
                    limit,
                ],
                None,
            );
            assert_eq!(code, Some(0), "{limit}: {err}");
        }
        let (code, err) = oj(
            &l,
            &["run", "--year", "2017", "--memory-limit", limit],
            None,
        );
        assert_eq!(code, Some(0), "{limit}: {err}");
        l
    };
    let hash = run("4GiB");
    let merge = run("512MiB");
    let ctx = datafusion::prelude::SessionContext::new();
    let warehouse = hash.lake_path().join("warehouse");
    let mut compared = 0;
    for entry in std::fs::read_dir(&warehouse).unwrap() {
        let model = entry.unwrap().file_name().to_string_lossy().to_string();
        let file = |l: &super::integrity::Lake| {
            l.lake_path()
                .join(format!("warehouse/{model}/ar=2017/data.parquet"))
                .to_string_lossy()
                .to_string()
        };
        if !std::path::Path::new(&file(&hash)).exists() {
            continue;
        }
        for (name, l) in [("a", &hash), ("b", &merge)] {
            ctx.deregister_table(name).unwrap();
            ctx.register_parquet(name, file(l), Default::default())
                .await
                .unwrap();
        }
        // Same rows both ways (as multisets: EXCEPT ALL keeps duplicates).
        for sql in [
            "SELECT * FROM a EXCEPT ALL SELECT * FROM b",
            "SELECT * FROM b EXCEPT ALL SELECT * FROM a",
        ] {
            let rows = ctx.sql(sql).await.unwrap().count().await.unwrap();
            assert_eq!(rows, 0, "{model}: {sql}");
        }
        let n = |t: &'static str| {
            let ctx = ctx.clone();
            async move { ctx.table(t).await.unwrap().count().await.unwrap() }
        };
        assert_eq!(n("a").await, n("b").await, "{model}");
        compared += 1;
    }
    // Every model of sql/ wrote a warehouse file for 2017.
    assert!(compared >= 20, "{compared} models compared");
}
