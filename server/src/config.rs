//! Configuration: built-in defaults, then a TOML file, then the environment, each value checked
//! with an error that names it.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;

/// A value that must never reach a log line.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Any PostgreSQL 15+ where this role may create schemas and roles. Unset: the embedded
    /// cluster in `data_dir/postgres`.
    pub database_url: Option<Secret>,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// The origin browsers reach us at, e.g. `https://bastion.example.eu`. Unset: derived from
    /// `addr` as plain HTTP, which is only right for local use.
    pub public_url: Option<String>,
    pub db_max_connections: u32,
    pub log_format: LogFormat,
    pub migrate_on_start: bool,
}

/// The file's shape: every key optional, unknown keys refused so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<Secret>,
    data_dir: Option<PathBuf>,
    addr: Option<String>,
    public_url: Option<String>,
    db_max_connections: Option<u32>,
    log_format: Option<LogFormat>,
    migrate_on_start: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
    #[error("{name}: {message}")]
    Value { name: &'static str, message: String },
}

pub const DEFAULT_CONFIG_FILE: &str = "bastion.toml";

impl Config {
    /// Loads `file` (or `bastion.toml` if it exists), then applies the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, |name| std::env::var(name).ok())
    }

    pub fn load_with_env(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file_config = match file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileConfig::default(),
        };

        let database_url = env("DATABASE_URL")
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .or(file_config.database_url);
        if let Some(url) = &database_url {
            let u = url.expose();
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                return Err(ConfigError::Value {
                    name: "DATABASE_URL",
                    message: "must start with postgres:// or postgresql://".into(),
                });
            }
        }

        let data_dir = env("BASTION_DATA_DIR")
            .map(PathBuf::from)
            .or(file_config.data_dir)
            .unwrap_or_else(|| PathBuf::from(".data"));

        let addr_text = env("BASTION_ADDR")
            .or(file_config.addr)
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr_text.parse().map_err(|_| ConfigError::Value {
            name: "BASTION_ADDR",
            message: format!("'{addr_text}' is not an address like 127.0.0.1:3000"),
        })?;

        let public_url = env("BASTION_PUBLIC_URL").or(file_config.public_url);
        if let Some(url) = &public_url {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && !url.trim_end_matches('/').contains(['?', '#'])
                && url.split("://").nth(1).is_some_and(|h| !h.is_empty());
            if !ok {
                return Err(ConfigError::Value {
                    name: "BASTION_PUBLIC_URL",
                    message: format!("'{url}' is not an origin like https://bastion.example.eu"),
                });
            }
        }

        let db_max_connections = match env("BASTION_DB_MAX_CONNECTIONS") {
            Some(v) => parse_in_range("BASTION_DB_MAX_CONNECTIONS", &v, 1, 1000)?,
            None => file_config.db_max_connections.unwrap_or(20),
        };

        let log_format = match env("BASTION_LOG_FORMAT").as_deref() {
            Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Value {
                    name: "BASTION_LOG_FORMAT",
                    message: format!("'{other}' is neither 'text' nor 'json'"),
                })
            }
            None => file_config.log_format.unwrap_or(LogFormat::Text),
        };

        let migrate_on_start = match env("BASTION_MIGRATE_ON_START").as_deref() {
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                return Err(ConfigError::Value {
                    name: "BASTION_MIGRATE_ON_START",
                    message: format!("'{other}' is not true or false"),
                })
            }
            None => file_config.migrate_on_start.unwrap_or(true),
        };

        Ok(Self {
            database_url,
            data_dir,
            addr,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
            db_max_connections,
            log_format,
            migrate_on_start,
        })
    }

    /// The origin we answer as; state-changing requests must come from it.
    pub fn origin(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
    }

    pub fn serves_https(&self) -> bool {
        self.origin().starts_with("https://")
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        message: e.message().to_owned(),
    })
}

fn parse_in_range(name: &'static str, value: &str, min: u32, max: u32) -> Result<u32, ConfigError> {
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::Value {
            name,
            message: format!("'{value}' is not a whole number from {min} to {max}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_with_env(Some(Path::new("/dev/null")), |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_local_and_safe() {
        let c = load(&[]).unwrap();
        assert!(c.database_url.is_none());
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.data_dir, PathBuf::from(".data"));
        assert_eq!(c.origin(), "http://127.0.0.1:3000");
        assert!(!c.serves_https());
    }

    #[test]
    fn each_bad_value_is_named() {
        for (name, value) in [
            ("BASTION_ADDR", "localhost"),
            ("BASTION_DB_MAX_CONNECTIONS", "0"),
            ("BASTION_DB_MAX_CONNECTIONS", "many"),
            ("BASTION_LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
            ("BASTION_PUBLIC_URL", "bastion.example.eu"),
            ("BASTION_MIGRATE_ON_START", "maybe"),
        ] {
            let err = load(&[(name, value)]).unwrap_err().to_string();
            assert!(err.starts_with(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn file_values_apply_and_env_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bastion.toml");
        std::fs::write(&path, "addr = \"0.0.0.0:8080\"\ndb_max_connections = 7\n").unwrap();
        let c = Config::load_with_env(Some(&path), |_| None).unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:8080");
        assert_eq!(c.db_max_connections, 7);
        let c = Config::load_with_env(Some(&path), |k| {
            (k == "BASTION_ADDR").then(|| "127.0.0.1:9000".to_string())
        })
        .unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:9000");

        std::fs::write(&path, "adr = \"0.0.0.0:8080\"\n").unwrap();
        let err = Config::load_with_env(Some(&path), |_| None).unwrap_err().to_string();
        assert!(err.contains("unknown field") && err.contains("adr"), "{err}");
    }

    #[test]
    fn database_url_never_prints() {
        let c = load(&[("DATABASE_URL", "postgres://u:hunter2@db/x")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
