//! floor – what DataFusion 55 alone, with no contract, check, reject, gate or release, takes for
//! the work a national year of `oj` cannot avoid (issue 15; docs/benchmarks.md, session 25):
//!
//!   floor parse FILE             the register's TSV read with its types, every column, rows counted
//!   floor stage FILE OUT         the same written to Parquet (Snappy, as the lake's files): staging
//!   floor group OUT DIR...       staged years read, `int_hushall_plats` and `int_person_plats` grouped
//!                                (person ids as text) and each written to a Parquet file in OUT
//!   floor memory FILE...         the DuckDB script's way: the TSVs parsed into memory and grouped the
//!                                same, nothing written
//!
//! Two partitions (the project's machine has two cores); `COMPRESSION=uncompressed` (or any of
//! DataFusion's Parquet compression names) changes the writer. A binary of the `oj` package built
//! only on request, with oj's own dependencies: `cargo build --release --features floor --bin floor`.
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::prelude::*;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;

/// The register contract's columns and types.
fn register_schema() -> Schema {
    let mut fields = vec![
        Field::new("ar", DataType::Int64, true),
        Field::new("manad", DataType::Int64, true),
        Field::new("kommun", DataType::Utf8, true),
        Field::new("distrikt", DataType::Utf8, true),
        Field::new("hushall_id", DataType::Utf8, true),
        Field::new("barn_under_16", DataType::Int64, true),
        Field::new("belopp_kr", DataType::Int64, true),
    ];
    for i in 1..=5 {
        fields.push(Field::new(format!("pnr{i}"), DataType::Utf8, true));
        for c in ["kon", "alder", "utrikes"] {
            fields.push(Field::new(format!("{c}{i}"), DataType::Int64, true));
        }
    }
    Schema::new(fields)
}

/// `sql/int_hushall_plats.sql` without its window filter (every year given is in the window): a
/// copy rather than the model's file, so that the floor stays a lower bound with nothing to bind.
const HOUSEHOLDS: &str = "SELECT ar, CASE WHEN distrikt IS NULL THEN kommun ELSE kommun || distrikt END AS plats,
    hushall_id, CAST(bit_or(1 << (manad - 1)) AS BIGINT) AS manader, MAX(barn_under_16) AS barn_under_16,
    SUM(CAST(belopp_kr AS DECIMAL(38, 0))) AS belopp_kr
FROM register WHERE belopp_kr > 0 GROUP BY ar, kommun, distrikt, hushall_id";

/// `sql/int_person_plats.sql` the plain way: one branch per person slot, ids as text.
fn persons() -> String {
    let slots: Vec<String> = (1..=5)
        .map(|i| {
            format!(
                "SELECT ar, manad, kommun, distrikt, hushall_id, pnr{i} AS pnr, \
                 kon{i} * 10000 + alder{i} * 10 + utrikes{i} AS attribut FROM betalda WHERE pnr{i} IS NOT NULL"
            )
        })
        .collect();
    format!(
        "WITH betalda AS (SELECT * FROM register WHERE belopp_kr > 0), personer AS ({})
SELECT ar, pnr, CASE WHEN distrikt IS NULL THEN kommun ELSE kommun || distrikt END AS plats, hushall_id,
    attribut, CAST(bit_or(1 << (manad - 1)) AS BIGINT) AS manader, MAX(manad) AS senaste_manad
FROM personer GROUP BY ar, kommun, distrikt, pnr, hushall_id, attribut",
        slots.join(" UNION ALL ")
    )
}

fn tsv() -> CsvReadOptions<'static> {
    CsvReadOptions::new()
        .delimiter(b'\t')
        .has_header(true)
        .file_extension(".tsv")
}

async fn union_of(dfs: Vec<DataFrame>) -> datafusion::error::Result<DataFrame> {
    let mut dfs = dfs.into_iter();
    let mut all = dfs.next().expect("at least one input");
    for df in dfs {
        all = all.union(df)?;
    }
    Ok(all)
}

#[tokio::main]
async fn main() -> datafusion::error::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: floor parse FILE | stage FILE OUT | group OUT DIR... | memory FILE...";
    // The arguments each mode needs at least.
    let needed = match args.get(1).map(String::as_str) {
        Some("parse" | "memory") => Some(1),
        Some("stage" | "group") => Some(2),
        _ => None,
    };
    if needed.is_none_or(|n| args.len() < 2 + n) {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let mode = &args[1];
    let compression = std::env::var("COMPRESSION").unwrap_or_else(|_| "snappy".into());
    let config = SessionConfig::new()
        .with_target_partitions(2)
        .set_str("datafusion.execution.parquet.compression", &compression);
    let ctx = SessionContext::new_with_config(config);
    let schema = register_schema();
    let start = Instant::now();
    let inputs = &args[2..];
    match mode.as_str() {
        "parse" => {
            let mut stream = ctx
                .read_csv(inputs[0].as_str(), tsv().schema(&schema))
                .await?
                .execute_stream()
                .await?;
            let mut rows = 0;
            while let Some(batch) = stream.next().await {
                rows += batch?.num_rows();
            }
            println!("parse: {rows} rows");
        }
        "stage" => {
            let out = &args[3];
            let df = ctx
                .read_csv(inputs[0].as_str(), tsv().schema(&schema))
                .await?;
            df.write_parquet(out, DataFrameWriteOptions::new(), None)
                .await?;
        }
        "group" | "memory" => {
            if mode == "group" {
                let mut dfs = Vec::new();
                for dir in &inputs[1..] {
                    dfs.push(
                        ctx.read_parquet(dir.as_str(), ParquetReadOptions::default())
                            .await?,
                    );
                }
                ctx.register_table("register", union_of(dfs).await?.into_view())?;
            } else {
                let mut dfs = Vec::new();
                for file in inputs {
                    dfs.push(ctx.read_csv(file.as_str(), tsv().schema(&schema)).await?);
                }
                let batches = union_of(dfs).await?.collect().await?;
                println!("memory: parsed in {:.3} s", start.elapsed().as_secs_f64());
                let table = MemTable::try_new(Arc::new(schema.clone()), vec![batches])?;
                ctx.register_table("register", Arc::new(table))?;
            }
            for (name, sql) in [
                ("int_hushall_plats", HOUSEHOLDS.to_string()),
                ("int_person_plats", persons()),
            ] {
                let t = Instant::now();
                let df = ctx.sql(&sql).await?;
                if mode == "group" {
                    let out = format!("{}/{name}.parquet", inputs[0]);
                    let options = DataFrameWriteOptions::new().with_single_file_output(true);
                    df.write_parquet(&out, options, None).await?;
                } else {
                    let rows: usize = df.collect().await?.iter().map(|b| b.num_rows()).sum();
                    println!("{name}: {rows} rows");
                }
                println!("{name}: {:.3} s", t.elapsed().as_secs_f64());
            }
        }
        _ => unreachable!("modes are checked above"),
    }
    println!("{mode}: {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
