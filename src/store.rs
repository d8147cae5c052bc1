//! Storage for lakes and drops through `object_store`: local paths (the default), `file://`,
//! `memory://` (tests; one shared in-memory store per name within a process), and `s3://`, `gs://`,
//! `az://` configured from the standard environment variables of each cloud.
//!
//! Guarantees: every read and write of project data goes through a [`Store`]; a missing object is
//! `Ok(None)`, never an error; a single `put` is atomic (readers see the old or the new object).

use bytes::Bytes;
use datafusion::prelude::SessionContext;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    UpdateVersion,
};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use url::Url;

/// A storage failure, naming the location.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The location string is not a path or a supported URL.
    #[error(
        "{location}: not a usable location ({reason}); give a local path or a file://, memory://, s3://, gs:// or az:// URL"
    )]
    BadLocation {
        /// What the user gave.
        location: String,
        /// Why it is not usable.
        reason: String,
    },
    /// A local folder that must exist does not.
    #[error(
        "{location}: no such folder (hint: check the path; a lake is only created by `oj run` and `oj demo`, a drops folder never)"
    )]
    NoSuchFolder {
        /// What the user gave.
        location: String,
    },
    /// The object store failed.
    #[error("{path}: {source}")]
    Io {
        /// The object that failed.
        path: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
}

impl StoreError {
    /// The store cannot do what was asked (a conditional put the local file system cannot
    /// check); the caller may fall back to a weaker way.
    pub(crate) fn is_unsupported(&self) -> bool {
        matches!(
            self,
            StoreError::Io {
                source: object_store::Error::NotImplemented { .. },
                ..
            }
        )
    }
}

static MEMORY_STORES: LazyLock<Mutex<HashMap<String, Arc<object_store::memory::InMemory>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A root folder in some object store: a lake or a drops folder.
#[derive(Clone, Debug)]
pub struct Store {
    object_store: Arc<dyn ObjectStore>,
    /// Scheme and authority DataFusion resolves the store by, e.g. `file:///` or `s3://bucket/`.
    base_url: Url,
    /// The root folder inside the store.
    root: Path,
    /// How to show the root to a user (the local path for local stores).
    display_root: String,
}

impl Store {
    /// Opens a location: a local path, or a `file://`, `memory://`, `s3://`, `gs://`, `az://` URL.
    /// Local folders are created when missing (a lake starts empty).
    pub fn open(location: &str) -> Result<Store, StoreError> {
        Self::open_with(location, true)
    }

    /// Opens a location like [`Store::open`], but a local folder must exist already: it is
    /// never created (a drops folder, or a lake that is only read).
    pub(crate) fn open_existing(location: &str) -> Result<Store, StoreError> {
        Self::open_with(location, false)
    }

    fn open_with(location: &str, create: bool) -> Result<Store, StoreError> {
        let bad = |reason: String| StoreError::BadLocation {
            location: location.to_string(),
            reason,
        };
        let parsed = if location.contains("://") {
            Some(Url::parse(location).map_err(|e| bad(e.to_string()))?)
        } else {
            None
        };
        match parsed {
            None => Self::local(std::path::Path::new(location), location, create),
            Some(url) if url.scheme() == "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|_| bad("not a local file path".into()))?;
                Self::local(&path, location, create)
            }
            Some(url) if url.scheme() == "memory" => {
                let name = url.host_str().unwrap_or("default").to_string();
                let store = MEMORY_STORES
                    .lock()
                    .map_err(|_| bad("memory store registry poisoned".into()))?
                    .entry(name.clone())
                    .or_insert_with(|| Arc::new(object_store::memory::InMemory::new()))
                    .clone();
                Self::at(store, &url, &name, location)
            }
            Some(url) => {
                let bucket = url
                    .host_str()
                    .ok_or_else(|| bad("no bucket or container name".into()))?
                    .to_string();
                let store: Arc<dyn ObjectStore> = match url.scheme() {
                    "s3" => Arc::new(
                        object_store::aws::AmazonS3Builder::from_env()
                            .with_bucket_name(&bucket)
                            .build()
                            .map_err(|e| bad(e.to_string()))?,
                    ),
                    "gs" => Arc::new(
                        object_store::gcp::GoogleCloudStorageBuilder::from_env()
                            .with_bucket_name(&bucket)
                            .build()
                            .map_err(|e| bad(e.to_string()))?,
                    ),
                    "az" => Arc::new(
                        object_store::azure::MicrosoftAzureBuilder::from_env()
                            .with_container_name(&bucket)
                            .build()
                            .map_err(|e| bad(e.to_string()))?,
                    ),
                    other => return Err(bad(format!("unsupported scheme {other}"))),
                };
                Self::at(store, &url, &bucket, location)
            }
        }
    }

    /// A root folder in an object store built elsewhere: a client configured in code, or a
    /// wrapper around another store (tests inject storage faults this way). `location` is the
    /// root as a URL: its scheme and authority name the store to DataFusion (`s3://bucket/`,
    /// `memory://name/`; the name only has to be unique among the stores of one session), its
    /// path is the root folder inside the store.
    pub fn new(object_store: Arc<dyn ObjectStore>, location: &str) -> Result<Store, StoreError> {
        let url = Url::parse(location).map_err(|e| StoreError::BadLocation {
            location: location.to_string(),
            reason: e.to_string(),
        })?;
        let authority = url.host_str().unwrap_or("default").to_string();
        Self::at(object_store, &url, &authority, location)
    }

    /// `object_store` rooted at the path of `url`, named `<scheme>://<authority>/` to DataFusion.
    fn at(
        object_store: Arc<dyn ObjectStore>,
        url: &Url,
        authority: &str,
        location: &str,
    ) -> Result<Store, StoreError> {
        let base_url = Url::parse(&format!("{}://{authority}/", url.scheme())).map_err(|e| {
            StoreError::BadLocation {
                location: location.to_string(),
                reason: e.to_string(),
            }
        })?;
        Ok(Store {
            object_store,
            base_url,
            root: Path::from(url.path().trim_matches('/')),
            display_root: location.trim_end_matches('/').to_string(),
        })
    }

    fn local(path: &std::path::Path, location: &str, create: bool) -> Result<Store, StoreError> {
        let bad = |reason: String| StoreError::BadLocation {
            location: location.to_string(),
            reason,
        };
        if create {
            std::fs::create_dir_all(path).map_err(|e| bad(e.to_string()))?;
        } else if !path.is_dir() {
            return Err(StoreError::NoSuchFolder {
                location: location.to_string(),
            });
        }
        let abs = std::fs::canonicalize(path).map_err(|e| bad(e.to_string()))?;
        let root = Path::from_filesystem_path(&abs).map_err(|e| bad(e.to_string()))?;
        Ok(Store {
            object_store: Arc::new(object_store::local::LocalFileSystem::new()),
            base_url: Url::parse("file:///").map_err(|e| bad(e.to_string()))?,
            root,
            display_root: path.display().to_string().trim_end_matches('/').to_string(),
        })
    }

    /// The underlying object store.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.object_store.clone()
    }

    /// The object path of `relative` (a [`crate::layout`] path) below the root.
    pub fn path(&self, relative: &str) -> Path {
        let mut parts: Vec<String> = self.root.parts().map(|p| p.as_ref().to_string()).collect();
        parts.extend(
            relative
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        Path::from_iter(parts)
    }

    /// The path on the local disk of `relative`, for a store on the local file system.
    pub fn local_file(&self, relative: &str) -> Option<std::path::PathBuf> {
        (self.base_url.scheme() == "file")
            .then(|| std::path::PathBuf::from(format!("/{}", self.path(relative))))
    }

    /// The URL DataFusion reads `relative` from (the store is registered by [`Store::register`]).
    pub fn url(&self, relative: &str) -> String {
        format!("{}{}", self.base_url, self.path(relative))
    }

    /// How a user sees `relative`: the local path, or the URL.
    pub fn display(&self, relative: &str) -> String {
        if relative.is_empty() {
            self.display_root.clone()
        } else {
            format!("{}/{}", self.display_root, relative)
        }
    }

    /// Makes DataFusion resolve this store's URLs.
    pub fn register(&self, ctx: &SessionContext) {
        ctx.register_object_store(&self.base_url, self.object_store.clone());
    }

    /// Reads a whole object; `None` when it does not exist.
    pub async fn get(&self, relative: &str) -> Result<Option<Bytes>, StoreError> {
        let path = self.path(relative);
        match self.object_store.get(&path).await {
            Ok(r) => r.bytes().await.map(Some).map_err(|e| self.io(relative, e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.io(relative, e)),
        }
    }

    /// Reads an object in chunks of at most `chunk_bytes` (a local file is read `chunk_bytes` at
    /// a time, other stores' streams are split where their pieces are larger), with its size;
    /// `None` when it does not exist. The object is never held whole.
    pub async fn get_chunks(
        &self,
        relative: &str,
        chunk_bytes: usize,
    ) -> Result<Option<(u64, BoxStream<'static, Result<Bytes, StoreError>>)>, StoreError> {
        let path = self.path(relative);
        let result = match self.object_store.get(&path).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.io(relative, e)),
        };
        let size = result.meta.size;
        let chunk_bytes = chunk_bytes.max(1);
        let display = self.display(relative);
        let stream = match result.payload {
            object_store::GetResultPayload::File(file, _) => {
                let display = display.clone();
                futures::stream::try_unfold(Some(file), move |file| {
                    let display = display.clone();
                    async move {
                        let Some(mut file) = file else {
                            return Ok(None);
                        };
                        let read = tokio::task::spawn_blocking(move || {
                            use std::io::Read;
                            let mut buffer = Vec::with_capacity(chunk_bytes);
                            (&mut file)
                                .take(chunk_bytes as u64)
                                .read_to_end(&mut buffer)
                                .map(|_| (file, buffer))
                        })
                        .await
                        .map_err(std::io::Error::other)
                        .and_then(|r| r);
                        match read {
                            Ok((_, buffer)) if buffer.is_empty() => Ok(None),
                            Ok((file, buffer)) => Ok(Some((Bytes::from(buffer), Some(file)))),
                            Err(source) => Err(StoreError::Io {
                                path: display,
                                source: object_store::Error::Generic {
                                    store: "LocalFileSystem",
                                    source: Box::new(source),
                                },
                            }),
                        }
                    }
                })
                .boxed()
            }
            object_store::GetResultPayload::Stream(s) => s
                .map_err(move |source| StoreError::Io {
                    path: display.clone(),
                    source,
                })
                .map_ok(move |mut bytes| {
                    let mut pieces = Vec::with_capacity(bytes.len() / chunk_bytes + 1);
                    while bytes.len() > chunk_bytes {
                        pieces.push(Ok(bytes.split_to(chunk_bytes)));
                    }
                    pieces.push(Ok(bytes));
                    futures::stream::iter(pieces)
                })
                .try_flatten()
                .boxed(),
        };
        Ok(Some((size, stream)))
    }

    /// Writes a whole object atomically.
    pub async fn put(&self, relative: &str, bytes: impl Into<Bytes>) -> Result<(), StoreError> {
        let path = self.path(relative);
        self.object_store
            .put(&path, PutPayload::from(bytes.into()))
            .await
            .map(|_| ())
            .map_err(|e| self.io(relative, e))
    }

    /// Metadata of an object; `None` when it does not exist.
    pub async fn head(&self, relative: &str) -> Result<Option<ObjectMeta>, StoreError> {
        match self.object_store.head(&self.path(relative)).await {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.io(relative, e)),
        }
    }

    /// Every object below `relative`, recursively, as paths relative to the root, sorted.
    pub async fn list(&self, relative: &str) -> Result<Vec<String>, StoreError> {
        let prefix = self.path(relative);
        let metas: Vec<ObjectMeta> = self
            .object_store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| self.io(relative, e))?;
        let root_parts = self.root.parts().count();
        let mut out: Vec<String> = metas
            .iter()
            .map(|m| {
                m.location
                    .parts()
                    .skip(root_parts)
                    .map(|p| p.as_ref().to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Deletes an object; deleting a missing object is not an error.
    pub(crate) async fn delete(&self, relative: &str) -> Result<(), StoreError> {
        match self.object_store.delete(&self.path(relative)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.io(relative, e)),
        }
    }

    /// Removes the empty folders below `relative`, and `relative` itself when it ends up empty,
    /// on a local store: there a file renamed or deleted leaves its folders behind, and a lake
    /// whose runs each leave a few dozen would be listed more slowly by every later run. Folders
    /// holding a file stay. Object stores have no folders: nothing to do.
    pub(crate) async fn remove_empty_dirs(&self, relative: &str) -> Result<(), StoreError> {
        let Some(dir) = self.local_file(relative) else {
            return Ok(());
        };
        let removed =
            tokio::task::spawn_blocking(move || remove_empty_dirs_below(&dir).map(|_| ()))
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r);
        removed.map_err(|e| {
            self.io(
                relative,
                object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(e),
                },
            )
        })
    }

    /// Moves the object at `from` onto `to` in one atomic rename (replacing `to`).
    pub(crate) async fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        self.object_store
            .rename(&self.path(from), &self.path(to))
            .await
            .map_err(|e| self.io(to, e))
    }

    /// Reads a whole object that must exist: a missing one is an error (`NotFound`).
    pub(crate) async fn read(&self, relative: &str) -> Result<Bytes, StoreError> {
        let got = self
            .object_store
            .get(&self.path(relative))
            .await
            .map_err(|e| self.io(relative, e))?;
        got.bytes().await.map_err(|e| self.io(relative, e))
    }

    /// Reads a whole object with the version the store gives it, for a later [`Store::put_if`];
    /// `None` when it does not exist.
    pub(crate) async fn get_versioned(
        &self,
        relative: &str,
    ) -> Result<Option<(Bytes, UpdateVersion)>, StoreError> {
        let got = match self
            .object_store
            .get_opts(&self.path(relative), GetOptions::default())
            .await
        {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.io(relative, e)),
        };
        let version = UpdateVersion {
            e_tag: got.meta.e_tag.clone(),
            version: got.meta.version.clone(),
        };
        let bytes = got.bytes().await.map_err(|e| self.io(relative, e))?;
        Ok(Some((bytes, version)))
    }

    /// Writes a whole object atomically on a condition the store checks: with `expected`
    /// `None` only when nothing is there, with `Some(version)` only when the object is still
    /// that version (compare-and-swap). `Ok(false)`: the condition did not hold and nothing was
    /// written. A store that cannot check the condition (the local file system cannot compare
    /// versions) fails with an error for which [`StoreError::is_unsupported`] holds.
    pub(crate) async fn put_if(
        &self,
        relative: &str,
        bytes: impl Into<Bytes>,
        expected: Option<UpdateVersion>,
    ) -> Result<bool, StoreError> {
        let mode = match expected {
            Some(version) => PutMode::Update(version),
            None => PutMode::Create,
        };
        match self
            .object_store
            .put_opts(
                &self.path(relative),
                PutPayload::from(bytes.into()),
                PutOptions::from(mode),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.io(relative, e)),
        }
    }

    /// The names of the folders directly below `relative`, sorted.
    pub(crate) async fn list_dirs(&self, relative: &str) -> Result<Vec<String>, StoreError> {
        let listing = self
            .object_store
            .list_with_delimiter(Some(&self.path(relative)))
            .await
            .map_err(|e| self.io(relative, e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    fn io(&self, relative: &str, source: object_store::Error) -> StoreError {
        StoreError::Io {
            path: self.display(relative),
            source,
        }
    }
}

/// Removes `dir` if it holds only folders that hold nothing, bottom up; returns whether `dir` is
/// gone. A missing `dir` counts as removed.
fn remove_empty_dirs_below(dir: &std::path::Path) -> std::io::Result<bool> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    };
    let mut empty = true;
    for entry in entries {
        let entry = entry?;
        if !(entry.file_type()?.is_dir() && remove_empty_dirs_below(&entry.path())?) {
            empty = false;
        }
    }
    if empty {
        match std::fs::remove_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(empty)
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
