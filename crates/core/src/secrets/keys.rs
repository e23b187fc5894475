//! The master key ring: the keys that wrap every workspace's data key. It lives outside the
//! database (environment or an owner-only key file), so a dump of the database decrypts nothing.

use std::{
    fmt,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use bastion_fernet::{DecryptError, Fernet, KeyRingError, MultiFernet};
use zeroize::Zeroizing;

/// A single Fernet key, as operators generate and configure them.
pub use bastion_fernet::Key;

/// Why no usable master key ring could be loaded. Messages name the source and the fix, never a
/// key.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("{source_name}: {error}")]
    Invalid {
        source_name: String,
        error: KeyRingError,
    },
    #[error(
        "master key file {path} is readable by other users (mode {mode:04o}); restrict it with \
         `chmod 600 {path}`"
    )]
    FileTooOpen { path: String, mode: u32 },
    #[error("cannot read master key file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("cannot create master key file {path}: {error}")]
    Create { path: String, error: std::io::Error },
}

/// Several master keys: the first wraps new data keys, every one unwraps, so an operator can put
/// a new key first, run `bastion keys rotate`, and only then drop the old one.
#[derive(Clone)]
pub struct MasterKeyRing {
    ring: MultiFernet,
    /// The first key alone: tells whether a wrapped key still needs re-wrapping.
    primary: Fernet,
}

impl MasterKeyRing {
    pub fn new(keys: Vec<Key>) -> Result<Self, KeyRingError> {
        let primary = Fernet::new(keys.first().ok_or(KeyRingError::Empty)?.clone());
        Ok(Self {
            ring: MultiFernet::new(keys)?,
            primary,
        })
    }

    /// A ring of one fresh key (tests, and the first start of the embedded mode).
    pub fn generate() -> Self {
        Self::new(vec![Key::generate()]).expect("one key is a valid ring")
    }

    /// Parses `BASTION_MASTER_KEYS`: comma-separated base64url Fernet keys, first one primary.
    pub fn from_key_list(list: &str, source_name: &str) -> Result<Self, MasterKeyError> {
        bastion_fernet::parse_key_list(list)
            .and_then(Self::new)
            .map_err(|error| MasterKeyError::Invalid {
                source_name: source_name.to_owned(),
                error,
            })
    }

    /// Reads a key file: one key per line, first one primary; blank lines and `#` comments are
    /// ignored. A file that group or others may read is refused: the keys would be only as
    /// secret as the least careful account on the machine.
    pub fn read_file(path: &Path) -> Result<Self, MasterKeyError> {
        let shown = path.display().to_string();
        let read_error = |error| MasterKeyError::Read {
            path: shown.clone(),
            error,
        };
        let mode = std::fs::metadata(path)
            .map_err(read_error)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(MasterKeyError::FileTooOpen {
                path: shown,
                mode: mode & 0o7777,
            });
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(read_error)?);
        let list = Zeroizing::new(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .collect::<Vec<_>>()
                .join(","),
        );
        Self::from_key_list(&list, &format!("master key file {shown}"))
    }

    /// The embedded mode's key file: read it if it exists, otherwise create it (owner-only) with
    /// one fresh key. Returns whether it was created, so the caller can tell the operator to back
    /// it up.
    pub fn open_or_create_file(path: &Path) -> Result<(Self, bool), MasterKeyError> {
        if path.exists() {
            return Ok((Self::read_file(path)?, false));
        }
        let shown = path.display().to_string();
        let create_error = |error| MasterKeyError::Create {
            path: shown.clone(),
            error,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(create_error)?;
        }
        let key = Key::generate();
        let line = Zeroizing::new(format!(
            "# Bastion master key: it unlocks every stored secret. Keep a copy in a safe place.\n{}\n",
            key.to_base64()
        ));
        // `create_new` with the mode set at creation: the key is never readable by others, not
        // even for an instant, and an existing file is never overwritten.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(create_error)?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(create_error)?;
        Ok((Self::new(vec![key]).expect("one key is a valid ring"), true))
    }

    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Always false: a ring holds at least its primary key.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub(crate) fn wrap(&self, plaintext: &[u8]) -> String {
        self.ring.encrypt(plaintext)
    }

    pub(crate) fn unwrap(&self, wrapped: &str) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        self.ring.decrypt(wrapped).map(Zeroizing::new)
    }

    /// `None` when `wrapped` is already under the primary key, otherwise the same content
    /// re-wrapped under it.
    pub(crate) fn rewrap(&self, wrapped: &str) -> Result<Option<String>, DecryptError> {
        if self.primary.decrypt(wrapped).is_ok() {
            return Ok(None);
        }
        self.ring.rotate(wrapped).map(Some)
    }
}

impl fmt::Debug for MasterKeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKeyRing")
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

/// Where the embedded mode keeps its generated master key: in the data directory, next to (not
/// inside) the PostgreSQL cluster, so copying the cluster does not copy the key.
pub fn local_key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("master.keys")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn key_file_readable_by_others_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate().to_base64();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            let path = write_file(dir.path(), "keys", &format!("{key}\n"), mode);
            let err = MasterKeyRing::read_file(&path).unwrap_err().to_string();
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains("chmod 600"), "{err}");
            assert!(!err.contains(&key), "{err}");
        }
        let path = write_file(dir.path(), "keys", &format!("{key}\n"), 0o600);
        assert_eq!(MasterKeyRing::read_file(&path).unwrap().len(), 1);
        let path = write_file(dir.path(), "keys", &format!("{key}\n"), 0o400);
        assert_eq!(MasterKeyRing::read_file(&path).unwrap().len(), 1);
    }

    #[test]
    fn key_file_takes_one_key_per_line_with_comments() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (Key::generate(), Key::generate());
        let text = format!("# new\n{}\n\n  # old\n{}\n", a.to_base64(), b.to_base64());
        let path = write_file(dir.path(), "keys", &text, 0o600);
        let ring = MasterKeyRing::read_file(&path).unwrap();
        assert_eq!(ring.len(), 2);
        // The first line is the primary: what it wraps, the first key alone opens.
        let wrapped = ring.wrap(b"data key");
        assert_eq!(Fernet::new(a).decrypt(&wrapped).unwrap(), b"data key");
        assert!(Fernet::new(b).decrypt(&wrapped).is_err());

        let path = write_file(dir.path(), "empty", "# nothing\n", 0o600);
        let err = MasterKeyRing::read_file(&path).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let path = write_file(dir.path(), "bad", "not-a-key\n", 0o600);
        let err = MasterKeyRing::read_file(&path).unwrap_err().to_string();
        assert!(err.contains("#1") && !err.contains("not-a-key"), "{err}");
        let err = MasterKeyRing::read_file(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn local_key_file_is_created_owner_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = local_key_file(&dir.path().join("data"));
        let (ring, created) = MasterKeyRing::open_or_create_file(&path).unwrap();
        assert!(created);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, created) = MasterKeyRing::open_or_create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(again.unwrap(&ring.wrap(b"x")).unwrap().as_slice(), b"x");
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = Key::generate();
        let encoded = key.to_base64();
        let ring = MasterKeyRing::new(vec![key, Key::generate()]).unwrap();
        let shown = format!("{ring:?} {ring:#?}");
        assert!(!shown.contains(&encoded), "{shown}");
        assert!(!shown.contains(encoded.trim_end_matches('=')), "{shown}");
        assert_eq!(format!("{ring:?}"), "MasterKeyRing { keys: 2, .. }");
    }

    #[test]
    fn rewrap_moves_to_the_primary_once() {
        let (old, new) = (Key::generate(), Key::generate());
        let old_ring = MasterKeyRing::new(vec![old.clone()]).unwrap();
        let ring = MasterKeyRing::new(vec![new.clone(), old]).unwrap();
        let wrapped = old_ring.wrap(b"data key");
        let rewrapped = ring
            .rewrap(&wrapped)
            .unwrap()
            .expect("moved to the new key");
        let new_only = MasterKeyRing::new(vec![new]).unwrap();
        assert_eq!(new_only.unwrap(&rewrapped).unwrap().as_slice(), b"data key");
        assert_eq!(ring.rewrap(&rewrapped).unwrap(), None);
        assert!(new_only.rewrap(&wrapped).is_err());
    }
}
