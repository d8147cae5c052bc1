//! The object-store code against a real S3 API: a local S3-compatible server (moto, from PyPI,
//! installed by `.ci/run`) on 127.0.0.1. The whole pipeline runs with its lake in a bucket and
//! gives the same release as a local lake; LATEST moves only by conditional put; two publishers
//! racing for one year get distinct versions or a typed refusal (`Superseded`), never a half
//! release.
//!
//! Without the server the tests fail in CI (`CI` set) and are skipped locally, saying so.

use super::fixtures::{project_root, write_drop};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, UpdateVersion};
use oj::store::Store;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BUCKET: &str = "oj-test";

/// A running moto server, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// Starts `moto_server` on a free port of 127.0.0.1 with an empty bucket; `None` (skip) outside
/// CI when it cannot start.
fn server() -> Option<Server> {
    let fail = |why: String| -> Option<Server> {
        if in_ci() {
            panic!("the S3 test server could not start: {why} (.ci/run installs moto[server])");
        }
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no S3 test server ({why}); these tests fail in CI"
        );
        None
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .ok()?;
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("moto_server: {e}")),
    };
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return fail("moto_server did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // CreateBucket: an unsigned PUT of the bucket (the test server does not check signatures).
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    Some(server)
}

/// The environment `oj` reads an `s3://` location with (object_store's standard variables).
fn s3_env(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
    ]
}

fn bucket(port: u16) -> AmazonS3 {
    let mut b = AmazonS3Builder::new().with_bucket_name(BUCKET);
    for (k, v) in s3_env(port) {
        b = b.with_config(k.to_lowercase().parse().unwrap(), v);
    }
    b.build().unwrap()
}

/// Runs `oj run` for `year` with `extra` arguments; panics on a non-zero exit.
fn run(env: &[(&'static str, String)], drops: &str, lake: &str, year: i64, extra: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_oj"))
        .arg("--project")
        .arg(project_root())
        .args([
            "run",
            "--year",
            &year.to_string(),
            "--drops",
            drops,
            "--lake",
            lake,
        ])
        .args(extra)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "oj run {year} {lake}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn text(store: &dyn ObjectStore, path: &str) -> String {
    let got = store.get(&Path::from(path)).await.unwrap();
    String::from_utf8(got.bytes().await.unwrap().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pipeline_on_s3_gives_the_local_release_and_latest_moves_by_conditional_put() {
    let Some(server) = server() else { return };
    let env = s3_env(server.port);
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drops");
    for year in [2015, 2016, 2017] {
        write_drop(&drops, year);
    }
    let drops = drops.to_str().unwrap();
    let local = dir.path().join("lake");
    let local = local.to_str().unwrap();
    let s3 = format!("s3://{BUCKET}/lake");
    // Ingest → publish: the history years ingested, 2017 in full, in both lakes.
    for lake in [local, s3.as_str()] {
        run(&env, drops, lake, 2015, &["--stage", "ingest"]);
        run(&env, drops, lake, 2016, &["--stage", "ingest"]);
        run(&env, drops, lake, 2017, &[]);
    }
    let store = bucket(server.port);
    assert_eq!(text(&store, "lake/releases/2017/LATEST").await, "v001\n");
    // The same table as on the local disk, byte for byte.
    let local_csv =
        std::fs::read_to_string(dir.path().join("lake/releases/2017/v001/indikatorer.csv"))
            .unwrap();
    assert_eq!(
        text(&store, "lake/releases/2017/v001/indikatorer.csv").await,
        local_csv
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&text(&store, "lake/releases/2017/v001/manifest.json").await).unwrap();
    assert!(manifest["files"].as_array().unwrap().len() >= 7);

    // LATEST moves only by conditional put: once it has moved, an update on the e_tag read
    // before the move and a create of the existing object are refused by the server.
    let latest = Path::from("lake/releases/2017/LATEST");
    let tag = |meta: object_store::ObjectMeta| UpdateVersion {
        e_tag: meta.e_tag,
        version: meta.version,
    };
    let before = tag(store.head(&latest).await.unwrap());
    store
        .put_opts(
            &latest,
            "v000\n".into(),
            PutMode::Update(before.clone()).into(),
        )
        .await
        .unwrap();
    let refused = store
        .put_opts(&latest, "v999\n".into(), PutMode::Update(before).into())
        .await;
    assert!(
        matches!(refused, Err(object_store::Error::Precondition { .. })),
        "{refused:?}"
    );
    let refused = store
        .put_opts(&latest, "v999\n".into(), PutMode::Create.into())
        .await;
    assert!(
        matches!(refused, Err(object_store::Error::AlreadyExists { .. })),
        "{refused:?}"
    );
    assert_eq!(text(&store, "lake/releases/2017/LATEST").await, "v000\n");
    let now = tag(store.head(&latest).await.unwrap());
    store
        .put_opts(&latest, "v001\n".into(), PutMode::Update(now).into())
        .await
        .unwrap();
    assert_eq!(text(&store, "lake/releases/2017/LATEST").await, "v001\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_on_s3_get_distinct_versions_or_a_clean_refusal() {
    // The race of the release tests (two publishers of one year with different content at the
    // same time), against the S3 API: distinct versions, or `Superseded` for the one that lost
    // the move of LATEST; every release complete; LATEST at the newer.
    let Some(server) = server() else { return };
    let lake = Store::new(
        std::sync::Arc::new(bucket(server.port)),
        &format!("s3://{BUCKET}/lake"),
    )
    .unwrap();
    super::release::race(lake).await;
}
