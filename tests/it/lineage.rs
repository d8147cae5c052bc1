//! OpenLineage (`--lineage FILE|URL`, `OJ_LINEAGE`): a run of the fixture drops emits, per stage,
//! START then COMPLETE (or FAIL) run events that validate against the OpenLineage JSON schema and
//! the facet schemas vendored under tests/schemas/openlineage/ (spec 2-0-2, OpenLineage
//! repository at commit 8f02abfb7; validated as [`super::schemas`] says); a file gets one JSON object a line, an HTTP endpoint gets one
//! POST per event; a sink that fails warns once and the run goes on.

use super::fixtures::{self, project_root, write_drop};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Command;

/// Runs `oj` with `args` (after `--project`), `env` added; returns (exit code, stderr).
fn oj(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oj"));
    cmd.arg("--project")
        .arg(project_root())
        .args(args)
        .env_remove("OJ_LOG")
        .env_remove("OJ_LINEAGE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Every problem of `events` against the OpenLineage schema and against the schema of each
/// facet they carry (formats checked: `uuid`, `date-time`). `None` when the validator is not
/// available (skipped locally, see [`super::schemas`]).
fn problems(events: &[Value]) -> Option<Vec<String>> {
    let mut items: Vec<(&str, Value)> = Vec::new();
    for event in events {
        items.push(("OpenLineage.json", event.clone()));
        // Each facet, wrapped as its schema's top level expects ({"schema": {...}} etc.).
        let mut facet = |file: &'static str, key: &str, facet: &Value| {
            items.push((file, serde_json::json!({ key: facet })));
        };
        let run_facets = &event["run"]["facets"];
        facet("ParentRunFacet.json", "parent", &run_facets["parent"]);
        if let Some(f) = run_facets.get("errorMessage") {
            facet("ErrorMessageRunFacet.json", "errorMessage", f);
        }
        for d in datasets(event, "inputs")
            .into_iter()
            .chain(datasets(event, "outputs"))
        {
            if let Some(f) = d["facets"].get("schema") {
                facet("SchemaDatasetFacet.json", "schema", f);
            }
            for place in ["facets", "inputFacets"] {
                if let Some(f) = d[place].get("dataQualityAssertions") {
                    facet(
                        "DataQualityAssertionsDatasetFacet.json",
                        "dataQualityAssertions",
                        f,
                    );
                }
            }
        }
    }
    let results = super::schemas::problems("openlineage", &items)?;
    Some(
        items
            .iter()
            .zip(results)
            .flat_map(|((schema, instance), p)| {
                p.into_iter()
                    .map(move |p| format!("{schema}: {p} in {instance}"))
            })
            .collect(),
    )
}

#[track_caller]
fn assert_valid(events: &[Value]) {
    if let Some(p) = problems(events) {
        assert!(p.is_empty(), "{}", p.join("\n"));
    }
}

fn datasets<'a>(event: &'a Value, side: &str) -> Vec<&'a Value> {
    event[side]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn names(event: &Value, side: &str) -> Vec<String> {
    datasets(event, side)
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

/// The assertions on the dataset `name` of `event` (outputs' `facets`, inputs' `inputFacets`).
fn assertions(event: &Value, name: &str) -> Vec<(String, bool)> {
    datasets(event, "outputs")
        .into_iter()
        .map(|d| (d, "facets"))
        .chain(
            datasets(event, "inputs")
                .into_iter()
                .map(|d| (d, "inputFacets")),
        )
        .filter(|(d, _)| d["name"] == name)
        .flat_map(|(d, place)| {
            d[place]["dataQualityAssertions"]["assertions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|a| {
            (
                a["assertion"].as_str().unwrap().to_string(),
                a["success"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn read_events(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

const DATASETS: [&str; 5] = ["regioner", "befolkning", "register", "bakgrund", "enkat"];
const STAGES: [&str; 4] = ["ingest", "transform", "disclose", "publish"];

#[test]
fn a_run_emits_start_and_complete_per_stage_valid_against_the_openlineage_schema() {
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drops");
    let lake = dir.path().join("lake");
    let file = dir.path().join("lineage.ndjson");
    // The register window needs 2015 and 2016 staged (without lineage).
    for year in [2015, 2016, 2017] {
        write_drop(&drops, year);
    }
    for year in ["2015", "2016"] {
        let (code, stderr) = oj(
            &[
                "run",
                "--year",
                year,
                "--drops",
                drops.to_str().unwrap(),
                "--lake",
                lake.to_str().unwrap(),
                "--stage",
                "ingest",
            ],
            &[],
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, stderr) = oj(
        &[
            "run",
            "--year",
            "2017",
            "--drops",
            drops.to_str().unwrap(),
            "--lake",
            lake.to_str().unwrap(),
            "--lineage",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("lineage:"), "{stderr}");
    let events = read_events(&file);
    assert_valid(&events);
    // The validator is not vacuous: a run id that is not a UUID is refused.
    let mut broken = events[0].clone();
    broken["run"]["runId"] = serde_json::json!("run-1");
    if let Some(p) = problems(&[broken]) {
        assert!(!p.is_empty());
    }

    // Four stages ran: START then COMPLETE for each, in stage order – eight events.
    let kinds: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["job"]["name"].as_str().unwrap().to_string(),
                e["eventType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = STAGES
        .iter()
        .flat_map(|s| {
            ["START", "COMPLETE"].map(|k| (format!("ekonomiskt_bistand.{s}"), k.to_string()))
        })
        .collect();
    assert_eq!(kinds, expected);
    // One run id per stage run (its START and COMPLETE share it), four different ones; one
    // parent run (the oj run, job `ekonomiskt_bistand`) for all.
    let run_ids: Vec<&str> = events
        .iter()
        .map(|e| e["run"]["runId"].as_str().unwrap())
        .collect();
    for pair in run_ids.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    let distinct: std::collections::BTreeSet<&str> = run_ids.iter().copied().collect();
    assert_eq!(distinct.len(), 4);
    let parents: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| {
            e["run"]["facets"]["parent"]["run"]["runId"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(parents.len(), 1);
    assert!(!distinct.contains(parents.iter().next().unwrap()));
    for e in &events {
        assert_eq!(e["job"]["namespace"], "oj");
        assert_eq!(
            e["run"]["facets"]["parent"]["job"]["name"],
            "ekonomiskt_bistand"
        );
        assert!(e["run"]["facets"].get("errorMessage").is_none());
    }

    // Ingest reads the five drop files (namespace: the drops folder's URL) and writes the five
    // staged datasets (namespace: the lake's URL), each with its schema.
    let lake_url = format!("file://{}", std::fs::canonicalize(&lake).unwrap().display());
    let drops_url = format!(
        "file://{}",
        std::fs::canonicalize(&drops).unwrap().display()
    );
    let ingest_done = &events[1];
    let mut inputs = names(ingest_done, "inputs");
    inputs.sort();
    assert_eq!(
        inputs,
        [
            "2017/bakgrund.csv",
            "2017/befolkning.csv",
            "2017/enkat.csv",
            "2017/regioner.csv",
            "2017/register.tsv"
        ]
    );
    for d in datasets(ingest_done, "inputs") {
        assert_eq!(d["namespace"], drops_url.as_str());
    }
    let outputs = names(ingest_done, "outputs");
    for dataset in DATASETS {
        let name = format!("staging/{dataset}/ar=2017");
        assert!(outputs.contains(&name), "{name} not in {outputs:?}");
    }
    for d in datasets(ingest_done, "outputs") {
        assert_eq!(d["namespace"], lake_url.as_str());
    }
    // The staged register has the contract's columns (the schema facet names them in order).
    let register = datasets(ingest_done, "outputs")
        .into_iter()
        .find(|d| d["name"] == "staging/register/ar=2017")
        .unwrap();
    let columns: Vec<&str> = register["facets"]["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let project = super::fixtures::project();
    let contract = project.contract_of(
        project
            .pipeline
            .datasets
            .iter()
            .find(|d| d.name == "register")
            .unwrap(),
    );
    for c in &contract.columns {
        assert!(
            columns.contains(&c.name.as_str()),
            "{} not in {columns:?}",
            c.name
        );
    }
    // START carries the inputs but no outputs yet.
    assert_eq!(names(&events[0], "inputs").len(), 5);
    assert!(names(&events[0], "outputs").is_empty());
    // The ingest gate's contract check on the register passed, and is an assertion on it.
    assert!(
        assertions(ingest_done, "staging/register/ar=2017")
            .contains(&("contract.register.required".to_string(), true)),
        "{:?}",
        assertions(ingest_done, "staging/register/ar=2017")
    );
    // Transform reads the staged register it needs and writes ind_indikatorer.
    let transform_done = &events[3];
    assert!(names(transform_done, "inputs").contains(&"staging/register/ar=2017".to_string()));
    assert!(
        names(transform_done, "outputs").contains(&"warehouse/ind_indikatorer/ar=2017".to_string())
    );
    // Disclose writes rel_indikatorer with the disclosure audit and verification as assertions.
    let disclose_done = &events[5];
    let rel = "warehouse/rel_indikatorer/ar=2017";
    assert!(names(disclose_done, "outputs").contains(&rel.to_string()));
    let disclosed = assertions(disclose_done, rel);
    assert!(
        disclosed.contains(&("disclosure_audit".to_string(), true)),
        "{disclosed:?}"
    );
    assert!(disclosed.contains(&("disclosure_verification".to_string(), true)));
    // Publish writes release v001.
    assert!(names(&events[7], "outputs").contains(&"releases/2017/v001".to_string()));
}

#[test]
fn a_failing_gate_ends_its_stage_with_fail_and_the_failing_assertion() {
    let (dir, drops, lake) = fixtures::drop_2017_and_lake();
    let file = dir.path().join("lineage.ndjson");
    // Kommun 0302 is missing from the population: the blocking check befolkning.every_kommun
    // fails at the ingest gate (tests/it/gates.rs works out why).
    std::fs::write(
        drops.join("2017/befolkning.csv"),
        "region;kon;alder;utrikes_fodd;antal\n0301;1;30;0;100\n0301;2;30;1;120\n",
    )
    .unwrap();
    // Named by the environment variable this time.
    let (code, stderr) = oj(
        &[
            "run",
            "--year",
            "2017",
            "--drops",
            drops.to_str().unwrap(),
            "--lake",
            lake.to_str().unwrap(),
        ],
        &[("OJ_LINEAGE", file.to_str().unwrap())],
    );
    assert_eq!(code, 1, "{stderr}");
    let events = read_events(&file);
    assert_valid(&events);
    // Only ingest ran: START, then FAIL.
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["START", "FAIL"]);
    let fail = &events[1];
    assert_eq!(fail["job"]["name"], "ekonomiskt_bistand.ingest");
    let befolkning = assertions(fail, "staging/befolkning/ar=2017");
    assert!(
        befolkning.contains(&("befolkning.every_kommun".to_string(), false)),
        "{befolkning:?}"
    );
    let message = fail["run"]["facets"]["errorMessage"]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("befolkning.every_kommun"), "{message}");
}

#[test]
fn the_flag_wins_over_the_environment_and_an_http_endpoint_gets_every_event() {
    let (dir, drops, lake) = fixtures::drop_2017_and_lake();
    let unused = dir.path().join("from-env.ndjson");
    // A tiny HTTP server: reads each request, keeps its body, answers 201.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v1/lineage", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut received = Vec::new();
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            if request_line.starts_with("GET /stop") {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .unwrap();
                break;
            }
            let mut length = 0;
            let mut content_type = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (k, v) = line.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap(),
                    "content-type" => content_type = v.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            received.push((request_line.trim_end().to_string(), content_type, body));
            stream
                .write_all(
                    b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .unwrap();
        }
        received
    });
    let (code, stderr) = oj(
        &[
            "run",
            "--year",
            "2017",
            "--drops",
            drops.to_str().unwrap(),
            "--lake",
            lake.to_str().unwrap(),
            "--stage",
            "ingest",
            "--lineage",
            &url,
        ],
        &[("OJ_LINEAGE", unused.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("lineage:"), "{stderr}");
    let stop = url.replace("/api/v1/lineage", "/stop");
    let addr = stop
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /stop HTTP/1.1\r\n\r\n").unwrap();
    let received = server.join().unwrap();
    // The flag won: nothing went to the file the environment named.
    assert!(!unused.exists());
    // One POST per event, JSON: START and COMPLETE of ingest.
    assert_eq!(received.len(), 2);
    for (line, content_type, _) in &received {
        assert_eq!(line, "POST /api/v1/lineage HTTP/1.1");
        assert_eq!(content_type, "application/json");
    }
    let events: Vec<Value> = received
        .iter()
        .map(|(_, _, body)| serde_json::from_slice(body).unwrap())
        .collect();
    assert_valid(&events);
    for e in &events {
        assert_eq!(e["job"]["name"], "ekonomiskt_bistand.ingest");
    }
    assert_eq!(events[0]["eventType"], "START");
    assert_eq!(events[1]["eventType"], "COMPLETE");
}

#[test]
fn an_unreachable_endpoint_warns_once_and_the_run_goes_on() {
    let (_dir, drops, lake) = fixtures::drop_2017_and_lake();
    // A port nothing listens on: bound, then closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/api/v1/lineage");
    let (code, stderr) = oj(
        &[
            "run",
            "--year",
            "2017",
            "--drops",
            drops.to_str().unwrap(),
            "--lake",
            lake.to_str().unwrap(),
            "--stage",
            "ingest",
            "--lineage",
            &url,
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr
            .matches("lineage: cannot send OpenLineage events to")
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains(&url), "{stderr}");
    assert!(lake.join("staging/register/ar=2017/data.parquet").exists());
}
