//! Object storage: where attachment bytes and export archives live, behind one type. Locally a
//! directory (`$BASTION_DATA_DIR/objects`, the embedded default); in production an S3-compatible
//! bucket, so that any app server can serve what another one stored.
//!
//! Every key starts with the workspace's prefix (`<workspace-id>/…`, see
//! [`Objects::workspace_prefix`]), so erasing a workspace is deleting one prefix.

use std::{ops::Range, path::Path as FsPath, sync::Arc, time::Duration};

use bytes::Bytes;
use futures::{stream::BoxStream, StreamExt, TryStreamExt};
use object_store::{
    aws::AmazonS3Builder, buffered::BufWriter, local::LocalFileSystem, path::Path,
    prefix::PrefixStore, ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt,
    PutPayload,
};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::{CoreError, CoreResult, WorkspaceId};

/// Where attachments and export archives are stored (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// The directory of a local store: purging a prefix also removes its (then empty)
    /// directories, which the object API leaves behind.
    root: Option<std::path::PathBuf>,
}

/// An S3-compatible bucket: `BASTION_OBJECT_STORE_URL` and the settings beside it.
#[derive(Clone)]
pub struct S3Location {
    pub bucket: String,
    /// Keys are stored under this prefix inside the bucket (no leading or trailing slash);
    /// empty for the bucket's root.
    pub prefix: String,
    /// The bucket's region, as the provider names it (`eu-central-1`, `fr-par`).
    pub region: String,
    /// The provider's endpoint, e.g. `https://s3.fr-par.scw.cloud`. `None`: AWS's for the
    /// region. `http://` only for a store on a private network or the same machine.
    pub endpoint: Option<String>,
    /// Static credentials; without them the provider's usual sources (the instance's role) are
    /// asked.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl S3Location {
    /// Parses `s3://bucket` or `s3://bucket/some/prefix` into bucket and prefix; the other
    /// fields are left for the caller. The bucket name must follow S3's rules (3–63 lower-case
    /// letters, digits, dots and hyphens), so that a typo is an error at start rather than at the
    /// first upload.
    pub fn parse_url(url: &str) -> Result<(String, String), String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("'{url}' is not an s3:// URL like s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            && !bucket.starts_with(['.', '-'])
            && !bucket.ends_with(['.', '-']);
        if !valid_bucket {
            return Err(format!(
                "'{bucket}' is not a bucket name (3-63 lower-case letters, digits, dots, hyphens)"
            ));
        }
        let prefix = prefix.trim_matches('/');
        let unusable = prefix.contains(['?', '#', '\\'])
            || prefix
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..");
        if !prefix.is_empty() && unusable {
            return Err(format!("'{prefix}' is not a usable key prefix"));
        }
        Ok((bucket.to_owned(), prefix.to_owned()))
    }
}

impl Objects {
    /// A directory on the local filesystem, created if missing.
    pub fn local(dir: &FsPath) -> CoreResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CoreError::Storage(format!("create {}: {e}", dir.display())))?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(storage)?;
        Ok(Self {
            store: Arc::new(store),
            root: Some(dir.to_path_buf()),
        })
    }

    /// An S3-compatible bucket. Nothing is contacted yet: a wrong endpoint or credential shows
    /// at the first request, as a storage error naming the cause.
    pub fn s3(location: &S3Location) -> CoreResult<Self> {
        // reqwest is built without a TLS provider of its own; ring is the one the rest of the
        // tree uses. Installing it again (a second store, a test) is refused harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let endpoint_http = location
            .endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));
        // No overall timeout: it would also cut a download that a slow client reads for longer
        // (the request's own time limit ends at the response head). Connecting stays bounded.
        let client = ClientOptions::new()
            .with_timeout_disabled()
            .with_connect_timeout(Duration::from_secs(5))
            .with_allow_http(endpoint_http);
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&location.bucket)
            .with_region(&location.region)
            .with_client_options(client);
        if let Some(endpoint) = &location.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let (Some(id), Some(secret)) = (&location.access_key_id, &location.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        let s3 = builder.build().map_err(storage)?;
        let store: Arc<dyn ObjectStore> = if location.prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, location.prefix.as_str()))
        };
        Ok(Self::new(store))
    }

    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store, root: None }
    }

    /// The prefix under which every object of a workspace lives.
    pub fn workspace_prefix(workspace: WorkspaceId) -> String {
        workspace.0.simple().to_string()
    }

    /// An attachment's key: the workspace's prefix and the attachment's id, nothing else.
    pub fn key(workspace: WorkspaceId, attachment: Uuid) -> String {
        format!("{}/{}", workspace.0.simple(), attachment.simple())
    }

    /// An export archive's key, under the same workspace prefix as its attachments.
    pub fn export_key(workspace: WorkspaceId, export: Uuid) -> String {
        format!("{}/exports/{}.zip", workspace.0.simple(), export.simple())
    }

    /// Stores `bytes` under `key` in one request.
    pub async fn put(&self, key: &str, bytes: Bytes) -> CoreResult<()> {
        self.store
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await
            .map_err(storage)?;
        Ok(())
    }

    /// Stores a local file under `key`, read from its start in chunks (a multipart upload for
    /// a large one), never whole in memory. The object appears only once complete.
    pub async fn put_file(&self, key: &str, file: std::fs::File) -> CoreResult<u64> {
        let mut file = tokio::fs::File::from_std(file);
        let mut writer = BufWriter::new(self.store.clone(), Path::from(key));
        let copied = tokio::io::copy(&mut file, &mut writer).await;
        match copied {
            Ok(n) => match writer.shutdown().await {
                Ok(()) => Ok(n),
                Err(e) => Err(CoreError::Storage(format!("store {key}: {e}"))),
            },
            Err(e) => {
                let _ = writer.abort().await;
                Err(CoreError::Storage(format!("store {key}: {e}")))
            }
        }
    }

    /// The size of an object, or `None` when there is none under `key`.
    pub async fn size(&self, key: &str) -> CoreResult<Option<u64>> {
        match self.store.head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    /// Whether an object exists (for tests and checks).
    pub async fn exists(&self, key: &str) -> CoreResult<bool> {
        Ok(self.size(key).await?.is_some())
    }

    /// The bytes of one object, as a stream.
    pub async fn stream(
        &self,
        key: &str,
    ) -> CoreResult<BoxStream<'static, std::io::Result<Bytes>>> {
        self.stream_opts(key, GetOptions::default()).await
    }

    /// The bytes `range` of one object, as a stream; the range must lie within the object
    /// (the caller checked it against the object's size).
    pub async fn stream_range(
        &self,
        key: &str,
        range: Range<u64>,
    ) -> CoreResult<BoxStream<'static, std::io::Result<Bytes>>> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        self.stream_opts(key, options).await
    }

    async fn stream_opts(
        &self,
        key: &str,
        options: GetOptions,
    ) -> CoreResult<BoxStream<'static, std::io::Result<Bytes>>> {
        let result = self
            .store
            .get_opts(&Path::from(key), options)
            .await
            .map_err(storage)?;
        Ok(result.into_stream().map_err(std::io::Error::other).boxed())
    }

    /// Every key under `prefix` (all of them for `""`), in no particular order.
    pub async fn list(&self, prefix: &str) -> CoreResult<Vec<String>> {
        let prefix = (!prefix.is_empty()).then(|| Path::from(prefix));
        self.store
            .list(prefix.as_ref())
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(storage)
    }

    /// Removes one object; one that is already gone is no error.
    pub async fn delete(&self, key: &str) -> CoreResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    /// Deletes every object under `prefix` and returns how many there were. Idempotent, so an
    /// interrupted purge is finished by running it again.
    pub async fn delete_prefix(&self, prefix: &str) -> CoreResult<usize> {
        // object_store lists whole path segments: prefix `ab` never reaches `abc/…`.
        let keys = self.list(prefix.trim_end_matches('/')).await?;
        for key in &keys {
            self.delete(key).await?;
        }
        if let Some(root) = &self.root {
            match std::fs::remove_dir_all(root.join(prefix)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CoreError::Storage(format!("remove {prefix}: {e}"))),
            }
        }
        Ok(keys.len())
    }
}

fn storage(e: object_store::Error) -> CoreError {
    CoreError::Storage(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_workspace_prefix_and_an_id() {
        let ws = WorkspaceId(Uuid::nil());
        let id = Uuid::from_u128(1);
        assert_eq!(
            Objects::key(ws, id),
            "00000000000000000000000000000000/00000000000000000000000000000001"
        );
        assert_eq!(
            Objects::export_key(ws, id),
            "00000000000000000000000000000000/exports/00000000000000000000000000000001.zip"
        );
        assert!(Objects::export_key(ws, id).starts_with(&Objects::workspace_prefix(ws)));
    }

    #[test]
    fn s3_urls_name_a_bucket_and_an_optional_prefix() {
        assert_eq!(
            S3Location::parse_url("s3://bastion-files").unwrap(),
            ("bastion-files".into(), String::new())
        );
        assert_eq!(
            S3Location::parse_url("s3://bastion.files/prod/eu/").unwrap(),
            ("bastion.files".into(), "prod/eu".into())
        );
        for bad in [
            "https://bucket/x",
            "s3://",
            "s3://ab",
            "s3://Upper",
            "s3://-x-",
            "s3://bucket/a//b",
            "s3://bucket/../x",
        ] {
            assert!(S3Location::parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_secret_key_never_prints() {
        let location = S3Location {
            bucket: "b".into(),
            prefix: String::new(),
            region: "eu-west-3".into(),
            endpoint: None,
            access_key_id: Some("AKIA".into()),
            secret_access_key: Some("very-secret".into()),
        };
        let printed = format!("{location:?}");
        assert!(!printed.contains("very-secret") && printed.contains("[redacted]"));
    }
}
