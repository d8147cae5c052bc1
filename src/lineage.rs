//! OpenLineage run events (<https://openlineage.io/spec/2-0-2/OpenLineage.json>): every stage
//! that runs emits a `START` event, then `COMPLETE` when its outputs are committed or `FAIL` when
//! it (or its gate, or its commit) failed. A [`Lineage`] sink appends each event as one JSON line
//! to a file (`--lineage FILE`) or POSTs it to an HTTP endpoint (`--lineage http(s)://…`, e.g.
//! Marquez's `/api/v1/lineage`).
//!
//! Guarantees: the job is namespace `oj`, name `<pipeline>.<stage>`; every stage run has its own
//! run id (a UUID) and a `parent` run facet naming the `oj` run (job `<pipeline>`, a UUID derived
//! from the run id of `runs/<run_id>/run.json`); datasets have the lake's URL as namespace and
//! their lake path as name (the drops' URL and the file path for drop files), with a `schema`
//! facet from their Arrow schema (drop files: the contract's columns); the gate's checks are
//! `dataQualityAssertions` on the dataset each check reads. A sink that fails never fails or
//! stops the run: the first failure is warned about once, with its reason, and the sink is then
//! turned off for the rest of the process.

use serde_json::{Value, json};
use std::sync::Mutex;

/// The spec every event follows.
pub(crate) const SCHEMA_URL: &str =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET: &str =
    "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const ASSERTIONS_FACET: &str = "https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet";
const PARENT_FACET: &str =
    "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet";
const ERROR_FACET: &str = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
/// The job namespace of every event.
pub(crate) const NAMESPACE: &str = "oj";

/// Who produced the events: `oj` and its version (a URN: the program has no public URL).
pub fn producer() -> String {
    format!("urn:oj:{}", env!("CARGO_PKG_VERSION"))
}

/// The environment variable naming the sink when `--lineage` is not given.
pub(crate) const ENV: &str = "OJ_LINEAGE";

/// Where the events go.
#[derive(Debug)]
enum Sink {
    /// Appended, one JSON object a line.
    File(std::path::PathBuf),
    /// POSTed one by one as `application/json`.
    Http(String, reqwest::Client),
}

/// A lineage sink for one process.
#[derive(Debug)]
pub struct Lineage {
    sink: Sink,
    /// Set once the sink failed: the sink is off and the warning was given.
    failed: Mutex<bool>,
}

impl Lineage {
    /// A sink for `target`: an `http://` or `https://` URL, else a file path.
    pub fn new(target: &str) -> Lineage {
        let sink = if target.starts_with("http://") || target.starts_with("https://") {
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default();
            Sink::Http(target.to_string(), client)
        } else {
            Sink::File(target.into())
        };
        Lineage {
            sink,
            failed: Mutex::new(false),
        }
    }

    /// The sink named by `flag` (`--lineage`), else by `OJ_LINEAGE`; none when neither is set.
    pub(crate) fn from_flag_or_env(flag: Option<&str>) -> Option<Lineage> {
        let env = std::env::var(ENV).ok().filter(|v| !v.is_empty());
        flag.map(str::to_string).or(env).map(|t| Lineage::new(&t))
    }

    /// Sends one event; a failure is warned about once and turns the sink off.
    pub async fn emit(&self, event: &Value) {
        if *self.failed.lock().unwrap_or_else(|e| e.into_inner()) {
            return;
        }
        let sent = match &self.sink {
            Sink::File(path) => append_line(path, event),
            Sink::Http(url, client) => post(client, url, event).await,
        };
        if let Err(reason) = sent {
            let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            if !*failed {
                *failed = true;
                tracing::warn!(
                    "lineage: cannot send OpenLineage events to {}: {reason}; the run goes on without lineage",
                    self.target()
                );
            }
        }
    }

    fn target(&self) -> String {
        match &self.sink {
            Sink::File(p) => p.display().to_string(),
            Sink::Http(url, _) => url.clone(),
        }
    }
}

fn append_line(path: &std::path::Path, event: &Value) -> Result<(), String> {
    use std::io::Write;
    let mut line = serde_json::to_vec(event).map_err(|e| e.to_string())?;
    line.push(b'\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(&line))
        .map_err(|e| e.to_string())
}

async fn post(client: &reqwest::Client, url: &str, event: &Value) -> Result<(), String> {
    let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| error_chain(&e))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the server answered {}", response.status()))
    }
}

/// An error and its causes on one line (reqwest's own message leaves out the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// A UUID (version 4 layout) from the first 16 bytes of SHA-256 of `text`: the same text always
/// gives the same id.
pub(crate) fn uuid_of(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A dataset of an event: where it is and its columns (name, type).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The store's URL (the lake's, or the drops').
    pub namespace: String,
    /// The path in the store (a partition folder such as `staging/register/ar=2017`, a release
    /// folder, or a drop file).
    pub name: String,
    /// Column names and types; empty when unknown.
    pub fields: Vec<(String, String)>,
    /// The checks of the gate on this dataset: (check id, passed, column checked, severity).
    pub assertions: Vec<Assertion>,
}

/// One data-quality check on a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    pub check: String,
    pub success: bool,
    pub column: Option<String>,
    pub severity: String,
    /// Offending rows (or keys), as the gate counted them.
    pub failing: u64,
}

impl Dataset {
    /// The dataset as OpenLineage JSON; `assertions_key` is `facets` (outputs) or `inputFacets`
    /// (inputs), where the check results go.
    fn to_json(&self, assertions_key: &str) -> Value {
        let producer = producer();
        let mut facets = serde_json::Map::new();
        if !self.fields.is_empty() {
            facets.insert(
                "schema".into(),
                json!({
                    "_producer": producer,
                    "_schemaURL": SCHEMA_FACET,
                    "fields": self.fields.iter().enumerate().map(|(i, (name, ty))| json!({
                        "name": name,
                        "type": ty,
                        "ordinal_position": i + 1,
                    })).collect::<Vec<_>>(),
                }),
            );
        }
        let mut out = json!({
            "namespace": self.namespace,
            "name": self.name,
            "facets": facets,
        });
        if !self.assertions.is_empty() {
            let assertions: Vec<Value> = self
                .assertions
                .iter()
                .map(|a| {
                    let mut v = json!({
                        "assertion": a.check,
                        "success": a.success,
                        "severity": a.severity,
                        "actual": a.failing.to_string(),
                        "expected": "0",
                    });
                    if let Some(c) = &a.column {
                        v["column"] = json!(c);
                    }
                    v
                })
                .collect();
            let facet = json!({
                "_producer": producer,
                "_schemaURL": ASSERTIONS_FACET,
                "assertions": assertions,
            });
            match out.get_mut(assertions_key).and_then(Value::as_object_mut) {
                Some(map) => {
                    map.insert("dataQualityAssertions".into(), facet);
                }
                None => {
                    out[assertions_key] = json!({ "dataQualityAssertions": facet });
                }
            }
        }
        out
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy)]
pub struct StageRun<'a> {
    /// `pipeline:` of the project.
    pub pipeline: &'a str,
    /// The stage.
    pub stage: &'a str,
    /// The `oj` run id.
    pub run_id: &'a str,
}

impl StageRun<'_> {
    /// The stage run's own run id.
    pub(crate) fn stage_run_id(&self) -> String {
        uuid_of(&format!("oj run {} stage {}", self.run_id, self.stage))
    }

    /// The parent run's id.
    pub(crate) fn parent_run_id(&self) -> String {
        uuid_of(&format!("oj run {}", self.run_id))
    }

    /// A run event of this stage: `START`, `COMPLETE` or `FAIL` (with the error).
    pub fn event(
        &self,
        event_type: &str,
        time: chrono::DateTime<chrono::Utc>,
        inputs: &[Dataset],
        outputs: &[Dataset],
        error: Option<&str>,
    ) -> Value {
        let producer = producer();
        let mut run_facets = json!({
            "parent": {
                "_producer": producer,
                "_schemaURL": PARENT_FACET,
                "run": { "runId": self.parent_run_id() },
                "job": { "namespace": NAMESPACE, "name": self.pipeline },
            },
        });
        if let Some(message) = error {
            run_facets["errorMessage"] = json!({
                "_producer": producer,
                "_schemaURL": ERROR_FACET,
                "message": message,
                "programmingLanguage": "rust",
            });
        }
        json!({
            "eventType": event_type,
            "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "producer": producer,
            "schemaURL": SCHEMA_URL,
            "run": { "runId": self.stage_run_id(), "facets": run_facets },
            "job": {
                "namespace": NAMESPACE,
                "name": format!("{}.{}", self.pipeline, self.stage),
            },
            "inputs": inputs.iter().map(|d| d.to_json("inputFacets")).collect::<Vec<_>>(),
            "outputs": outputs.iter().map(|d| d.to_json("facets")).collect::<Vec<_>>(),
        })
    }
}

/// The columns of an Arrow schema as (name, type) pairs.
pub(crate) fn fields_of(schema: &datafusion::arrow::datatypes::Schema) -> Vec<(String, String)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().to_string()))
        .collect()
}

/// Datasets of lake files: (name, file to read the schema from). A file whose schema cannot be
/// read is listed without a schema facet.
pub(crate) async fn lake_datasets(
    ctx: &datafusion::prelude::SessionContext,
    lake: &crate::store::Store,
    files: impl IntoIterator<Item = (String, String)>,
) -> Vec<Dataset> {
    let mut out: Vec<Dataset> = Vec::new();
    for (name, file) in files {
        if out.iter().any(|d| d.name == name) {
            continue;
        }
        let fields = match crate::lake::read_files(ctx, lake, std::slice::from_ref(&file)).await {
            Ok(df) => fields_of(df.schema().as_arrow()),
            Err(_) => Vec::new(),
        };
        out.push(Dataset {
            namespace: lake.url(""),
            name,
            fields,
            assertions: Vec::new(),
        });
    }
    out
}

/// The drop files an ingest reads, each with its contract's columns.
pub(crate) fn drop_datasets(
    project: &crate::config::Project,
    drops: &crate::store::Store,
    files: &[Vec<crate::ingest::DropFile>],
) -> Vec<Dataset> {
    project
        .pipeline
        .datasets
        .iter()
        .zip(files)
        .flat_map(|(dataset, files)| {
            let contract = project.contract_of(dataset);
            files.iter().map(move |f| Dataset {
                namespace: drops.url(""),
                name: f.relative.clone(),
                fields: contract
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.logical.name().to_string()))
                    .collect(),
                assertions: Vec::new(),
            })
        })
        .collect()
}

/// The lineage of one stage run: its START event is sent by [`Tracker::start`], its last event
/// (`COMPLETE` or `FAIL`) by [`Tracker::finish`].
pub struct Tracker<'a> {
    sink: &'a Lineage,
    run: StageRun<'a>,
    inputs: Vec<Dataset>,
    outputs: Vec<Dataset>,
}

impl<'a> Tracker<'a> {
    /// Sends the START event of `run` with its inputs.
    pub async fn start(sink: &'a Lineage, run: StageRun<'a>, inputs: Vec<Dataset>) -> Self {
        let t = Tracker {
            sink,
            run,
            inputs,
            outputs: Vec::new(),
        };
        t.send("START", None).await;
        t
    }

    /// The datasets the stage wrote.
    pub(crate) fn set_outputs(&mut self, outputs: Vec<Dataset>) {
        self.outputs = outputs;
    }

    /// Adds the gate's check results (the run record's JSON: `id`, `status`, `severity`,
    /// `failing`) as assertions on the dataset each check reads: `dataset_of` names it from the
    /// check id; a check on no dataset of the event goes to the first output. Skipped checks are
    /// left out.
    pub fn assert(&mut self, checks: &[Value], dataset_of: impl Fn(&str) -> Option<String>) {
        for c in checks {
            let id = c["id"].as_str().unwrap_or_default();
            let status = c["status"].as_str().unwrap_or_default().to_lowercase();
            if status == "skip" {
                continue;
            }
            let assertion = Assertion {
                check: id.to_string(),
                success: status == "pass",
                column: c["column"].as_str().map(str::to_string),
                severity: c["severity"].as_str().unwrap_or("error").to_string(),
                failing: c["failing"].as_u64().unwrap_or(0),
            };
            let name = dataset_of(id);
            let named = |d: &Dataset| name.as_deref() == Some(d.name.as_str());
            let target = match self.outputs.iter().position(named) {
                Some(i) => self.outputs.get_mut(i),
                None => match self.inputs.iter().position(named) {
                    Some(i) => self.inputs.get_mut(i),
                    None => self.outputs.first_mut(),
                },
            };
            if let Some(d) = target {
                d.assertions.push(assertion);
            }
        }
    }

    /// Sends COMPLETE, or FAIL with `error`.
    pub async fn finish(self, error: Option<&str>) {
        let kind = if error.is_some() { "FAIL" } else { "COMPLETE" };
        self.send(kind, error).await;
    }

    async fn send(&self, kind: &str, error: Option<&str>) {
        let event = self
            .run
            .event(kind, chrono::Utc::now(), &self.inputs, &self.outputs, error);
        self.sink.emit(&event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_runs_have_their_own_ids_and_share_their_parent() {
        let run = |stage| StageRun {
            pipeline: "p",
            stage,
            run_id: "20261122T120000000Z-000001-2017-abcd",
        };
        let (a, b) = (run("ingest"), run("transform"));
        assert_ne!(a.stage_run_id(), b.stage_run_id());
        assert_eq!(a.parent_run_id(), b.parent_run_id());
        // A version 4, RFC 4122 variant UUID: 8-4-4-4-12 hex digits, `4` leading the third
        // group, one of 8, 9, a, b leading the fourth.
        let id = a.stage_run_id();
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{id}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
    }

    #[test]
    fn input_assertions_go_to_input_facets_and_output_ones_to_facets() {
        let d = Dataset {
            namespace: "file:///lake".into(),
            name: "staging/register/ar=2017".into(),
            fields: vec![("ar".into(), "Int64".into())],
            assertions: vec![Assertion {
                check: "c".into(),
                success: false,
                column: Some("ar".into()),
                severity: "error".into(),
                failing: 3,
            }],
        };
        let input = d.to_json("inputFacets");
        assert_eq!(
            input["inputFacets"]["dataQualityAssertions"]["assertions"][0]["actual"],
            "3"
        );
        assert_eq!(input["facets"]["schema"]["fields"][0]["name"], "ar");
        let output = d.to_json("facets");
        assert_eq!(
            output["facets"]["dataQualityAssertions"]["assertions"][0]["column"],
            "ar"
        );
        assert!(output.get("inputFacets").is_none());
    }

    #[test]
    fn an_unwritable_file_sink_warns_once_and_turns_off() {
        let dir = tempfile::tempdir().unwrap();
        // A folder cannot be appended to as a file.
        let sink = Lineage::new(dir.path().to_str().unwrap());
        futures::executor::block_on(sink.emit(&json!({"a": 1})));
        assert!(*sink.failed.lock().unwrap());
    }
}
