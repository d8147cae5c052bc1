//! What the runner tells OpenLineage about a stage: the datasets it read (committed lake files,
//! drop files), the datasets it wrote (read where they are before the commit) and the dataset
//! each gate check reads.

use super::prepare::Prepared;
use super::runner::Runner;
use crate::commit::View;
use crate::layout;
use crate::lineage;
use crate::vocab::StageId;

impl Runner<'_> {
    /// The committed lake datasets a stage reads, for its lineage.
    pub(super) async fn lineage_inputs(&self, prepared: &Prepared) -> Vec<lineage::Dataset> {
        let files = prepared
            .inputs
            .reads
            .iter()
            .map(|r| (layout::partition_of(&r.file).to_string(), r.file.clone()));
        lineage::lake_datasets(self.ctx, self.lake, files).await
    }

    /// The datasets a stage wrote (read from where they are before the commit), for its lineage:
    /// each partition folder, and the release folder the stage made.
    pub(super) async fn lineage_outputs(&self, year: i64, view: &View) -> Vec<lineage::Dataset> {
        let mut files: Vec<(String, String)> = view
            .outputs()
            .map(|(committed, pending)| {
                (
                    layout::partition_of(committed).to_string(),
                    pending.to_string(),
                )
            })
            .collect();
        if let Some(v) = view.release(year) {
            files.push((
                layout::release_dir(year, v),
                layout::release_file(year, v, crate::publish::INDIKATORER_PARQUET),
            ));
        }
        lineage::lake_datasets(self.ctx, self.lake, files).await
    }

    /// The dataset (lineage name) check `id` of the gate after `stage` reads: a staged dataset or
    /// a warehouse model of the year, or the release the stage made.
    pub(super) fn checked_dataset(
        &self,
        stage: StageId,
        year: i64,
        view: &View,
        id: &str,
    ) -> Option<String> {
        use crate::gates::TableSource;
        let check = self.project.checks.of(stage).iter().find(|c| c.id == id)?;
        match self.project.checks.tables.get(check.table.as_deref()?)? {
            TableSource::Staging(d) => {
                Some(layout::partition_of(&layout::staging_file(d, year)).to_string())
            }
            TableSource::Warehouse(m) => {
                Some(layout::partition_of(&layout::warehouse_file(m, year)).to_string())
            }
            TableSource::Release {
                previous_year: false,
                ..
            } => view.release(year).map(|v| layout::release_dir(year, v)),
            TableSource::Release { .. } => None,
        }
    }
}
