//! What the publication files of a release are made from: the indicator metadata of the year,
//! the kommun facts of the warehouse (län, kommungrupp, population), and the current releases of
//! earlier years for trends. Shared by the publish stage and `oj report`.

use crate::lake;
use crate::layout;
use crate::pipeline::StageError;
use crate::publish;
use crate::render::{self, IndicatorMeta, RegionFacts};
use crate::store::Store;
use crate::vocab::names::KOMMUN_MODEL;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;

/// How many earlier years the report's trends show.
pub const TREND_YEARS: i64 = 5;

/// Everything besides the year's own rows that the workbook and the reports need.
pub struct PublicationContext {
    pub meta: Vec<IndicatorMeta>,
    pub facts: Option<BTreeMap<String, RegionFacts>>,
    pub earlier: Vec<(i64, Vec<RecordBatch>)>,
}

/// Loads the metadata, the kommun facts (`warehouse/int_kommun`) and earlier releases.
pub async fn load(
    ctx: &SessionContext,
    project: &crate::config::Project,
    lake: &Store,
    year: i64,
) -> Result<PublicationContext, StageError> {
    let meta = render::indicator_meta(project, year)?;
    let kommun_file = layout::warehouse_file(KOMMUN_MODEL, year);
    let facts = if project.declares_model(KOMMUN_MODEL) && lake.head(&kommun_file).await?.is_some()
    {
        let batches = lake::read_files(ctx, lake, &[kommun_file])
            .await?
            .collect()
            .await?;
        Some(render::region_facts(&batches)?)
    } else {
        None
    };
    let mut earlier = Vec::new();
    for y in (year - TREND_YEARS)..year {
        if let Some(release) = publish::latest_release(lake, y).await? {
            let batches = publish::release_table(lake, &release).await?;
            earlier.push((y, batches));
        }
    }
    Ok(PublicationContext {
        meta,
        facts,
        earlier,
    })
}
