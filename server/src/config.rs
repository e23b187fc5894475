//! Configuration: built-in defaults, then a TOML file, then the environment, each value checked
//! with an error that names it.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use bastion_core::keys::{self, MasterKeyRing};
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
    /// Load balancers whose `X-Forwarded-For` we believe; everyone else's is ignored, so a
    /// client cannot pick the address its rate limits are counted under.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `BASTION_MASTER_KEYS`: comma-separated Fernet keys, the first one primary.
    pub master_keys: Option<Secret>,
    /// `BASTION_MASTER_KEY_FILE`: one key per line, owner-only permissions.
    pub master_key_file: Option<PathBuf>,
    /// Signups that may start per client address and per email domain each hour.
    pub signup_limits: bastion_core::signups::SignupLimits,
    /// `BASTION_SMTP_URL`, e.g. `smtps://user:password@smtp.example.eu` or
    /// `smtp://relay.internal:25?tls=required`. Unset: mail is written to `data_dir/mail`.
    pub smtp_url: Option<Secret>,
    /// `BASTION_MAIL_FROM`: the sender of every message.
    pub mail_from: String,
    /// `BASTION_MAX_UPLOAD_BYTES`: the largest attachment accepted (default 25 MiB).
    pub max_upload_bytes: u64,
    /// `BASTION_OBJECT_STORE_REGION`: where attachments and exports are stored (default
    /// `eu-local`, the local filesystem). Must be an EU region (see [`is_eu_region`]).
    pub object_store_region: String,
    /// `BASTION_ALLOW_NON_EU_REGION`: the explicit override that lets the server start with a
    /// region outside the EU.
    pub allow_non_eu_region: bool,
    /// `BASTION_SECURITY_CONTACT`: where DPA and security-pack requests are sent.
    pub security_contact: String,
    /// `BASTION_TOKEN_RATE_LIMIT`: requests one API token may make per minute (default 600).
    pub token_rate_limit: u32,
    /// `BASTION_REQUEST_TIMEOUT_SECS`: how long a request may take from its body's last byte to
    /// its response's head (default 30 s); see `crate::timeout`.
    pub request_timeout: std::time::Duration,
    /// `BASTION_STATEMENT_TIMEOUT_SECS`: PostgreSQL's `statement_timeout` for the serving
    /// process's connections (default 60 s: above the request limit, since background exports
    /// run longer statements than any request). Migrations and operator commands run without it.
    pub statement_timeout: std::time::Duration,
    /// `BASTION_DB_MAX_LIFETIME_SECS`: how long one PostgreSQL connection serves before it is
    /// replaced (default 30 min). Backends grow a cache per workspace they touch; a shorter
    /// lifetime bounds that memory at the cost of a reconnect.
    pub db_max_lifetime: std::time::Duration,
}

/// Regions accepted as inside the European Union (PRODUCT.md §7): `eu-local` (the local
/// filesystem of a server in the EU), AWS `eu-*` regions except `eu-west-2` (London) and
/// `eu-central-2` (Zurich), which are outside the EU; Scaleway `fr-par`, `nl-ams`, `pl-waw`;
/// OVHcloud `gra`, `sbg`, `rbx`, `waw`, `de`; Hetzner `fsn1`, `nbg1`, `hel1`; Google Cloud
/// `europe-*` regions in EU member states; Azure regions named after EU countries.
pub fn is_eu_region(region: &str) -> bool {
    const NON_EU_AWS: [&str; 2] = ["eu-west-2", "eu-central-2"];
    const OTHER_EU: [&str; 24] = [
        "eu-local",
        "fr-par",
        "nl-ams",
        "pl-waw",
        "gra",
        "sbg",
        "rbx",
        "waw",
        "de",
        "fsn1",
        "nbg1",
        "hel1",
        "westeurope",
        "northeurope",
        "francecentral",
        "germanywestcentral",
        "swedencentral",
        "italynorth",
        "polandcentral",
        "spaincentral",
        "austriaeast",
        "europe-west1",
        "europe-west3",
        "europe-west4",
    ];
    const GCP_EU: [&str; 8] = [
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "europe-north1",
        "europe-central2",
        "europe-southwest1",
        "europe-north2",
    ];
    let region = region.trim().to_ascii_lowercase();
    if region.starts_with("eu-") && region != "eu-local" {
        // AWS: eu-west-1, eu-west-3, eu-central-1, eu-north-1, eu-south-1, eu-south-2, ...
        return !NON_EU_AWS.contains(&region.as_str())
            && region
                .split('-')
                .nth(2)
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    }
    OTHER_EU.contains(&region.as_str()) || GCP_EU.contains(&region.as_str())
}

/// Where the master key ring came from, for the start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    Environment,
    File(PathBuf),
    /// The embedded mode's own key file; `created` on the first start.
    Local {
        path: PathBuf,
        created: bool,
    },
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
    trusted_proxies: Option<Vec<String>>,
    // Keys themselves are not accepted in the file: it is often shared or committed.
    master_key_file: Option<PathBuf>,
    signup_limit_per_ip: Option<u32>,
    signup_limit_per_domain: Option<u32>,
    // The SMTP URL may hold a password: environment only, like the keys.
    mail_from: Option<String>,
    max_upload_bytes: Option<u64>,
    object_store_region: Option<String>,
    allow_non_eu_region: Option<bool>,
    security_contact: Option<String>,
    token_rate_limit: Option<u32>,
    request_timeout_secs: Option<u32>,
    statement_timeout_secs: Option<u32>,
    db_max_lifetime_secs: Option<u32>,
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
    #[error(
        "no master key: with DATABASE_URL set, Bastion needs BASTION_MASTER_KEYS or \
         BASTION_MASTER_KEY_FILE to encrypt secrets. Generate a key with `bastion keys generate` \
         and keep a copy somewhere safe: without it, stored secrets cannot be read"
    )]
    NoMasterKey,
    #[error(transparent)]
    MasterKey(#[from] keys::MasterKeyError),
}

/// Requests per minute per API token unless configured.
pub const DEFAULT_TOKEN_RATE_LIMIT: u32 = 600;
/// `statement_timeout` of the serving pool unless configured, in seconds.
pub const DEFAULT_STATEMENT_TIMEOUT_SECS: u32 = 60;
/// Lifetime of one database connection unless configured, in seconds.
pub const DEFAULT_DB_MAX_LIFETIME_SECS: u32 = 30 * 60;
/// The longest request or statement time limit we accept configuring: an hour.
pub const MAX_TIMEOUT_SECS: u32 = 3600;
pub const DEFAULT_CONFIG_FILE: &str = "bastion.toml";
/// Uploads are held in memory while stored: 1 GiB is the most we accept configuring.
pub const MAX_UPLOAD_CEILING: u64 = 1024 * 1024 * 1024;

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

        let proxies: Vec<String> = match env("BASTION_TRUSTED_PROXIES") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file_config.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| {
                p.parse().map_err(|_| ConfigError::Value {
                    name: "BASTION_TRUSTED_PROXIES",
                    message: format!("'{p}' is not an IP address"),
                })
            })
            .collect::<Result<Vec<std::net::IpAddr>, _>>()?;

        let master_keys = env("BASTION_MASTER_KEYS")
            .filter(|v| !v.trim().is_empty())
            .map(Secret::new);
        let master_key_file = env("BASTION_MASTER_KEY_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or(file_config.master_key_file);
        if master_keys.is_some() && master_key_file.is_some() {
            return Err(ConfigError::Value {
                name: "BASTION_MASTER_KEYS",
                message: "set either BASTION_MASTER_KEYS or BASTION_MASTER_KEY_FILE, not both"
                    .into(),
            });
        }

        let signup_per_ip = match env("BASTION_SIGNUP_LIMIT_PER_IP") {
            Some(v) => parse_in_range("BASTION_SIGNUP_LIMIT_PER_IP", &v, 1, 1_000_000)?,
            None => file_config.signup_limit_per_ip.unwrap_or(10),
        };
        let signup_per_domain = match env("BASTION_SIGNUP_LIMIT_PER_DOMAIN") {
            Some(v) => parse_in_range("BASTION_SIGNUP_LIMIT_PER_DOMAIN", &v, 1, 1_000_000)?,
            None => file_config.signup_limit_per_domain.unwrap_or(50),
        };
        let signup_limits = bastion_core::signups::SignupLimits {
            per_ip: signup_per_ip as i32,
            per_domain: signup_per_domain as i32,
            window: time::Duration::hours(1),
        };

        let smtp_url = env("BASTION_SMTP_URL").filter(|v| !v.is_empty());
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::Value {
                    name: "BASTION_SMTP_URL",
                    message: "must start with smtp:// or smtps://".into(),
                });
            }
        }
        let mail_from = env("BASTION_MAIL_FROM")
            .or(file_config.mail_from)
            .unwrap_or_else(|| "Bastion <no-reply@localhost>".into());
        if !mail_from.contains('@') {
            return Err(ConfigError::Value {
                name: "BASTION_MAIL_FROM",
                message: format!(
                    "'{mail_from}' is not an address like Bastion <no-reply@example.eu>"
                ),
            });
        }

        let max_upload_bytes = match env("BASTION_MAX_UPLOAD_BYTES") {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_UPLOAD_CEILING).contains(&n) => n,
                _ => {
                    return Err(ConfigError::Value {
                        name: "BASTION_MAX_UPLOAD_BYTES",
                        message: format!(
                            "'{v}' is not a whole number of bytes from 1 to {MAX_UPLOAD_CEILING}"
                        ),
                    })
                }
            },
            None => match file_config.max_upload_bytes {
                Some(n) if !(1..=MAX_UPLOAD_CEILING).contains(&n) => {
                    return Err(ConfigError::Value {
                        name: "BASTION_MAX_UPLOAD_BYTES",
                        message: format!("{n} is not from 1 to {MAX_UPLOAD_CEILING}"),
                    })
                }
                Some(n) => n,
                None => bastion_core::attachments::DEFAULT_MAX_UPLOAD_BYTES,
            },
        };

        let object_store_region = env("BASTION_OBJECT_STORE_REGION")
            .filter(|v| !v.trim().is_empty())
            .or(file_config.object_store_region)
            .unwrap_or_else(|| "eu-local".into())
            .trim()
            .to_ascii_lowercase();
        let allow_non_eu_region = match env("BASTION_ALLOW_NON_EU_REGION").as_deref() {
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                return Err(ConfigError::Value {
                    name: "BASTION_ALLOW_NON_EU_REGION",
                    message: format!("'{other}' is not true or false"),
                })
            }
            None => file_config.allow_non_eu_region.unwrap_or(false),
        };
        if !allow_non_eu_region && !is_eu_region(&object_store_region) {
            return Err(ConfigError::Value {
                name: "BASTION_OBJECT_STORE_REGION",
                message: format!(
                    "'{object_store_region}' is not an EU region, and data must stay in the EU. \
                     Use an EU region (e.g. eu-central-1, eu-west-3, fr-par), or set \
                     BASTION_ALLOW_NON_EU_REGION=true to override knowingly"
                ),
            });
        }
        let security_contact = env("BASTION_SECURITY_CONTACT")
            .or(file_config.security_contact)
            .unwrap_or_else(|| "security@localhost".into());
        if !security_contact.contains('@') || security_contact.contains(['\r', '\n']) {
            return Err(ConfigError::Value {
                name: "BASTION_SECURITY_CONTACT",
                message: format!("'{security_contact}' is not an email address"),
            });
        }

        let token_rate_limit = match env("BASTION_TOKEN_RATE_LIMIT") {
            Some(v) => parse_in_range("BASTION_TOKEN_RATE_LIMIT", &v, 1, 1_000_000)?,
            None => match file_config.token_rate_limit {
                Some(n) if !(1..=1_000_000).contains(&n) => {
                    return Err(ConfigError::Value {
                        name: "BASTION_TOKEN_RATE_LIMIT",
                        message: format!("{n} is not from 1 to 1000000"),
                    })
                }
                Some(n) => n,
                None => DEFAULT_TOKEN_RATE_LIMIT,
            },
        };

        let request_timeout_secs = seconds(
            "BASTION_REQUEST_TIMEOUT_SECS",
            env("BASTION_REQUEST_TIMEOUT_SECS"),
            file_config.request_timeout_secs,
            crate::timeout::DEFAULT_REQUEST_TIMEOUT.as_secs() as u32,
        )?;
        let statement_timeout_secs = seconds(
            "BASTION_STATEMENT_TIMEOUT_SECS",
            env("BASTION_STATEMENT_TIMEOUT_SECS"),
            file_config.statement_timeout_secs,
            DEFAULT_STATEMENT_TIMEOUT_SECS,
        )?;
        let db_max_lifetime_secs = seconds(
            "BASTION_DB_MAX_LIFETIME_SECS",
            env("BASTION_DB_MAX_LIFETIME_SECS"),
            file_config.db_max_lifetime_secs,
            DEFAULT_DB_MAX_LIFETIME_SECS,
        )?;

        Ok(Self {
            request_timeout: std::time::Duration::from_secs(request_timeout_secs.into()),
            statement_timeout: std::time::Duration::from_secs(statement_timeout_secs.into()),
            db_max_lifetime: std::time::Duration::from_secs(db_max_lifetime_secs.into()),
            object_store_region,
            allow_non_eu_region,
            security_contact,
            token_rate_limit,
            signup_limits,
            smtp_url: smtp_url.map(Secret::new),
            mail_from,
            database_url,
            data_dir,
            addr,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
            db_max_connections,
            log_format,
            migrate_on_start,
            trusted_proxies,
            master_keys,
            master_key_file,
            max_upload_bytes,
        })
    }

    /// Loads the master key ring: from the environment, or the key file, or, in the embedded
    /// mode only, from (or into) `<data_dir>/master.keys`. A server on an external database
    /// refuses to start without keys rather than make one up: a key that lives only on one
    /// machine is a key that gets lost.
    pub fn master_key_ring(&self) -> Result<(MasterKeyRing, MasterKeySource), ConfigError> {
        if let Some(list) = &self.master_keys {
            let ring = MasterKeyRing::from_key_list(list.expose(), "BASTION_MASTER_KEYS")?;
            return Ok((ring, MasterKeySource::Environment));
        }
        if let Some(path) = &self.master_key_file {
            let ring = MasterKeyRing::read_file(path)?;
            return Ok((ring, MasterKeySource::File(path.clone())));
        }
        if self.database_url.is_some() {
            return Err(ConfigError::NoMasterKey);
        }
        let path = keys::local_key_file(&self.data_dir);
        let (ring, created) = MasterKeyRing::open_or_create_file(&path)?;
        Ok((ring, MasterKeySource::Local { path, created }))
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

    /// Attachment bytes: `<data_dir>/objects`.
    pub fn objects_dir(&self) -> PathBuf {
        self.data_dir.join("objects")
    }

    /// Export archives: `<data_dir>/exports/<workspace-id>/<export-id>.zip`.
    pub fn exports_dir(&self) -> PathBuf {
        self.data_dir.join("exports")
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

/// A time limit in whole seconds from the environment, else the file, else `default`.
fn seconds(
    name: &'static str,
    env_value: Option<String>,
    file_value: Option<u32>,
    default: u32,
) -> Result<u32, ConfigError> {
    match (env_value, file_value) {
        (Some(v), _) => parse_in_range(name, v.trim(), 1, MAX_TIMEOUT_SECS),
        (None, Some(n)) => parse_in_range(name, &n.to_string(), 1, MAX_TIMEOUT_SECS),
        (None, None) => Ok(default),
    }
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
    use bastion_core::keys::Key;
    use std::{collections::HashMap, os::unix::fs::PermissionsExt};

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
        assert_eq!(c.max_upload_bytes, 25 * 1024 * 1024);
        assert_eq!(c.token_rate_limit, 600);
        assert_eq!(c.request_timeout, std::time::Duration::from_secs(30));
        assert_eq!(c.statement_timeout, std::time::Duration::from_secs(60));
        assert_eq!(c.db_max_lifetime, std::time::Duration::from_secs(1800));
        let c = load(&[
            ("BASTION_REQUEST_TIMEOUT_SECS", "5"),
            ("BASTION_STATEMENT_TIMEOUT_SECS", "2"),
            ("BASTION_DB_MAX_LIFETIME_SECS", "300"),
        ])
        .unwrap();
        assert_eq!(c.request_timeout, std::time::Duration::from_secs(5));
        assert_eq!(c.statement_timeout, std::time::Duration::from_secs(2));
        assert_eq!(c.db_max_lifetime, std::time::Duration::from_secs(300));
        assert_eq!(
            load(&[("BASTION_MAX_UPLOAD_BYTES", "1048576")])
                .unwrap()
                .max_upload_bytes,
            1_048_576
        );
    }

    #[test]
    fn each_bad_value_is_named() {
        for (name, value) in [
            ("BASTION_ADDR", "localhost"),
            ("BASTION_DB_MAX_CONNECTIONS", "0"),
            ("BASTION_DB_MAX_CONNECTIONS", "many"),
            ("BASTION_LOG_FORMAT", "xml"),
            ("BASTION_SIGNUP_LIMIT_PER_IP", "0"),
            ("BASTION_TOKEN_RATE_LIMIT", "0"),
            ("BASTION_SIGNUP_LIMIT_PER_DOMAIN", "lots"),
            ("BASTION_SMTP_URL", "http://mail.example.eu"),
            ("BASTION_MAIL_FROM", "nobody"),
            ("DATABASE_URL", "mysql://x"),
            ("BASTION_PUBLIC_URL", "bastion.example.eu"),
            ("BASTION_MIGRATE_ON_START", "maybe"),
            ("BASTION_TRUSTED_PROXIES", "10.0.0.1, lb.internal"),
            ("BASTION_MAX_UPLOAD_BYTES", "0"),
            ("BASTION_MAX_UPLOAD_BYTES", "25MiB"),
            ("BASTION_MAX_UPLOAD_BYTES", "99999999999"),
            ("BASTION_REQUEST_TIMEOUT_SECS", "0"),
            ("BASTION_REQUEST_TIMEOUT_SECS", "30s"),
            ("BASTION_REQUEST_TIMEOUT_SECS", "3601"),
            ("BASTION_STATEMENT_TIMEOUT_SECS", "-1"),
            ("BASTION_STATEMENT_TIMEOUT_SECS", "forever"),
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

        std::fs::write(&path, "request_timeout_secs = 10\n").unwrap();
        let c = Config::load_with_env(Some(&path), |_| None).unwrap();
        assert_eq!(c.request_timeout, std::time::Duration::from_secs(10));
        std::fs::write(&path, "statement_timeout_secs = 0\n").unwrap();
        let err = Config::load_with_env(Some(&path), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("BASTION_STATEMENT_TIMEOUT_SECS"), "{err}");
        std::fs::write(&path, "db_max_lifetime_secs = 7200\n").unwrap();
        let err = Config::load_with_env(Some(&path), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("BASTION_DB_MAX_LIFETIME_SECS"), "{err}");

        std::fs::write(&path, "adr = \"0.0.0.0:8080\"\n").unwrap();
        let err = Config::load_with_env(Some(&path), |_| None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field") && err.contains("adr"),
            "{err}"
        );
    }

    #[test]
    fn master_keys_come_from_the_environment_or_a_file() {
        let (a, b) = (Key::generate().to_base64(), Key::generate().to_base64());
        let c = load(&[("BASTION_MASTER_KEYS", &format!("{a},{b}"))]).unwrap();
        let (ring, source) = c.master_key_ring().unwrap();
        assert_eq!((ring.len(), source), (2, MasterKeySource::Environment));
        assert!(!format!("{c:?} {ring:?}").contains(&a));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, format!("{a}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = load(&[("BASTION_MASTER_KEY_FILE", path.to_str().unwrap())]).unwrap();
        assert_eq!(
            c.master_key_ring().unwrap().1,
            MasterKeySource::File(path.clone())
        );

        let err = load(&[
            ("BASTION_MASTER_KEYS", a.as_str()),
            ("BASTION_MASTER_KEY_FILE", path.to_str().unwrap()),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("not both"), "{err}");

        let c = load(&[("BASTION_MASTER_KEYS", "nope")]).unwrap();
        let err = c.master_key_ring().unwrap_err().to_string();
        assert!(
            err.starts_with("BASTION_MASTER_KEYS") && err.contains("#1"),
            "{err}"
        );
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, format!("{}\n", Key::generate().to_base64())).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let c = load(&[("BASTION_MASTER_KEY_FILE", path.to_str().unwrap())]).unwrap();
        let err = c.master_key_ring().unwrap_err().to_string();
        assert!(err.contains(path.to_str().unwrap()), "{err}");
        assert!(
            err.contains(&format!("chmod 600 {}", path.display())),
            "{err}"
        );
    }

    #[test]
    fn without_keys_an_external_database_is_refused_and_embedded_generates_one() {
        let c = load(&[("DATABASE_URL", "postgres://db/bastion")]).unwrap();
        let err = c.master_key_ring().unwrap_err().to_string();
        assert!(err.contains("BASTION_MASTER_KEYS"), "{err}");
        assert!(err.contains("bastion keys generate"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let c = load(&[("BASTION_DATA_DIR", data.to_str().unwrap())]).unwrap();
        let (_, source) = c.master_key_ring().unwrap();
        let path = data.join("master.keys");
        assert_eq!(
            source,
            MasterKeySource::Local {
                path: path.clone(),
                created: true
            }
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (_, source) = c.master_key_ring().unwrap();
        assert_eq!(
            source,
            MasterKeySource::Local {
                path,
                created: false
            }
        );
    }

    #[test]
    fn the_object_store_must_be_in_the_eu_unless_overridden() {
        assert_eq!(load(&[]).unwrap().object_store_region, "eu-local");
        for region in [
            "eu-central-1",
            "EU-West-3",
            "eu-north-1",
            "eu-south-2",
            "fr-par",
            "gra",
        ] {
            let c = load(&[("BASTION_OBJECT_STORE_REGION", region)]).unwrap();
            assert_eq!(c.object_store_region, region.to_ascii_lowercase());
            assert!(!c.allow_non_eu_region);
        }
        for region in [
            "us-east-1",
            "eu-west-2",
            "eu-central-2",
            "ap-south-1",
            "eu-",
            "eu-x-y",
        ] {
            let err = load(&[("BASTION_OBJECT_STORE_REGION", region)])
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("BASTION_OBJECT_STORE_REGION")
                    && err.contains("not an EU region")
                    && err.contains("BASTION_ALLOW_NON_EU_REGION"),
                "{region}: {err}"
            );
        }
        let c = load(&[
            ("BASTION_OBJECT_STORE_REGION", "us-east-1"),
            ("BASTION_ALLOW_NON_EU_REGION", "true"),
        ])
        .unwrap();
        assert!(c.allow_non_eu_region);
        let err = load(&[("BASTION_ALLOW_NON_EU_REGION", "yes please")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("BASTION_ALLOW_NON_EU_REGION"), "{err}");
    }

    #[test]
    fn the_security_contact_defaults_locally_and_is_checked() {
        assert_eq!(load(&[]).unwrap().security_contact, "security@localhost");
        let err = load(&[("BASTION_SECURITY_CONTACT", "nobody")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("BASTION_SECURITY_CONTACT"), "{err}");
    }

    #[test]
    fn database_url_never_prints() {
        let c = load(&[("DATABASE_URL", "postgres://u:hunter2@db/x")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
