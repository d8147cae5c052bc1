//! Unit tests of `store.rs`.

use super::*;

#[tokio::test]
async fn memory_stores_are_shared_by_name() {
    let a = Store::open("memory://store-test-shared/lake").unwrap();
    a.put("x/y.txt", Bytes::from_static(b"hello"))
        .await
        .unwrap();
    let b = Store::open("memory://store-test-shared/lake").unwrap();
    assert_eq!(b.get("x/y.txt").await.unwrap().unwrap().as_ref(), b"hello");
    assert_eq!(b.list("x").await.unwrap(), vec!["x/y.txt".to_string()]);
    assert!(b.get("missing").await.unwrap().is_none());
    assert_eq!(a.url("x/y.txt"), "memory://store-test-shared/lake/x/y.txt");
}

#[tokio::test]
async fn local_paths_and_file_urls_reach_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open(dir.path().to_str().unwrap()).unwrap();
    a.put("d/f.txt", Bytes::from_static(b"1")).await.unwrap();
    assert!(dir.path().join("d/f.txt").exists());
    let url = Url::from_file_path(dir.path()).unwrap();
    let b = Store::open(url.as_str()).unwrap();
    assert_eq!(b.list("").await.unwrap(), vec!["d/f.txt".to_string()]);
    assert!(a.url("d/f.txt").starts_with("file:///"));
}

#[tokio::test]
async fn a_store_built_elsewhere_is_rooted_at_its_url_path() {
    let inner: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let lake = Store::new(inner.clone(), "memory://wrapped/data/lake").unwrap();
    lake.put("x.txt", Bytes::from_static(b"1")).await.unwrap();
    // The object sits below the URL's path in the store it was given.
    let got = inner.get(&Path::from("data/lake/x.txt")).await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"1");
    assert_eq!(lake.url("x.txt"), "memory://wrapped/data/lake/x.txt");
    assert_eq!(lake.display("x.txt"), "memory://wrapped/data/lake/x.txt");
    assert!(Store::new(inner, "not a url").is_err());
}

/// Puts `body` at `d/p` of `lake` on the condition `expected` (see [`Store::put_if`]).
async fn put(
    lake: &Store,
    body: &'static [u8],
    expected: Option<UpdateVersion>,
) -> Result<bool, StoreError> {
    lake.put_if("d/p", Bytes::from_static(body), expected).await
}

#[tokio::test]
async fn conditional_puts_create_once_and_update_only_the_version_read() {
    let memory = Arc::new(object_store::memory::InMemory::new());
    let lake = Store::new(memory, "memory://conditional/lake").unwrap();
    assert!(put(&lake, b"a", None).await.unwrap());
    assert!(!put(&lake, b"b", None).await.unwrap());
    let (bytes, read) = lake.get_versioned("d/p").await.unwrap().unwrap();
    assert_eq!(bytes.as_ref(), b"a");
    assert!(put(&lake, b"c", Some(read.clone())).await.unwrap());
    // The version read before that update is stale now: refused, nothing written.
    assert!(!put(&lake, b"d", Some(read)).await.unwrap());
    assert_eq!(lake.read("d/p").await.unwrap().as_ref(), b"c");
    assert!(lake.get_versioned("missing").await.unwrap().is_none());
}

#[tokio::test]
async fn the_local_file_system_creates_once_but_cannot_compare_versions() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Store::open(dir.path().to_str().unwrap()).unwrap();
    assert!(put(&lake, b"a", None).await.unwrap());
    assert!(!put(&lake, b"b", None).await.unwrap());
    let (_, read) = lake.get_versioned("d/p").await.unwrap().unwrap();
    let err = put(&lake, b"c", Some(read)).await.unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert_eq!(lake.list_dirs("").await.unwrap(), vec!["d".to_string()]);
    lake.rename("d/p", "d/q").await.unwrap();
    assert_eq!(lake.read("d/q").await.unwrap().as_ref(), b"a");
    assert!(lake.read("d/p").await.is_err());
}

#[test]
fn rejects_unknown_schemes() {
    let err = Store::open("ftp://host/x").unwrap_err();
    assert!(err.to_string().contains("unsupported scheme ftp"), "{err}");
}

#[tokio::test]
async fn empty_local_folders_are_removed_and_folders_with_files_stay() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Store::open(dir.path().to_str().unwrap()).unwrap();
    lake.put("p/run1/staging/a/ar=2017/data.parquet", &b"x"[..])
        .await
        .unwrap();
    lake.put("p/run2/staging/b/ar=2017/data.parquet", &b"y"[..])
        .await
        .unwrap();
    // Promoting run1's file leaves its four folders behind; run2's file stays pending.
    lake.rename("p/run1/staging/a/ar=2017/data.parquet", "staging/a.parquet")
        .await
        .unwrap();
    assert!(dir.path().join("p/run1/staging/a/ar=2017").is_dir());
    lake.remove_empty_dirs("p").await.unwrap();
    assert!(!dir.path().join("p/run1").exists());
    assert!(
        dir.path()
            .join("p/run2/staging/b/ar=2017/data.parquet")
            .is_file()
    );
    assert!(dir.path().join("staging/a.parquet").is_file());
    // Without files below it, the folder itself goes; a missing folder is no error.
    lake.delete("p/run2/staging/b/ar=2017/data.parquet")
        .await
        .unwrap();
    lake.remove_empty_dirs("p").await.unwrap();
    assert!(!dir.path().join("p").exists());
    assert!(dir.path().exists());
    lake.remove_empty_dirs("p").await.unwrap();
    // An object store has no folders: nothing to do, no error.
    let memory = Store::open("memory://remove-empty-dirs/lake").unwrap();
    memory.remove_empty_dirs("p").await.unwrap();
}
