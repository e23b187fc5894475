//! Configuration: built-in defaults, then a TOML file, then the environment, each value checked
//! with an error that names it. Every setting is one row of [`SETTINGS`]; the loader, `bastion
//! --help` and a test that keeps the README's table honest all walk that table.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use bastion_core::keys::{self, MasterKeyRing};

mod settings;
#[cfg(test)]
mod tests;

use serde::Deserialize;
use settings::file_value;
pub use settings::{help, is_eu_region, Setting, MAX_TIMEOUT_SECS, MAX_UPLOAD_CEILING, SETTINGS};

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
    /// `BASTION_PROVISIONING_DATABASE_URL`: the provisioning login's URL, with `DATABASE_URL`.
    pub provisioning_database_url: Option<Secret>,
    /// `BASTION_ALLOW_REVERTIBLE_TENANT_ROLE`: serve although the database lacks the set_user
    /// extension, with the role switch that SQL inside a tenant transaction could undo.
    pub allow_revertible_tenant_role: bool,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// The origin browsers reach us at, e.g. `https://bastion.example.eu`. Unset: derived from
    /// `addr` as plain HTTP, which is only right for local use.
    pub public_url: Option<String>,
    /// `BASTION_METRICS_ADDR`: where `serve` answers `GET /metrics` for a Prometheus scraper,
    /// apart from `addr` so that the metrics never reach the public. Unset: not served.
    pub metrics_addr: Option<SocketAddr>,
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
    /// `BASTION_OBJECT_STORE_URL`: `s3://bucket[/prefix]`, where attachments and export
    /// archives live when set (then every server shares them). Unset: `data_dir/objects`.
    pub object_store_url: Option<String>,
    /// `BASTION_OBJECT_STORE_ENDPOINT`: the S3 provider's origin (default AWS's for the region).
    pub object_store_endpoint: Option<String>,
    /// `BASTION_OBJECT_STORE_ACCESS_KEY_ID` and `BASTION_OBJECT_STORE_SECRET_ACCESS_KEY`: static
    /// S3 credentials, both or neither (neither: the instance's role).
    pub object_store_access_key_id: Option<String>,
    pub object_store_secret_access_key: Option<Secret>,
    /// `BASTION_OBJECT_STORE_REGION`: where attachments and exports are stored (default
    /// `eu-local`, the local filesystem; the bucket's region with an S3 URL). Must be an EU
    /// region (see [`is_eu_region`]).
    pub object_store_region: String,
    /// `BASTION_ALLOW_NON_EU_REGION`: the explicit override that lets the server start with a
    /// region outside the EU.
    pub allow_non_eu_region: bool,
    /// `BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS`: lets webhook endpoints target private, loopback
    /// and link-local addresses (SSRF guard off; `bastion_core::webhooks::target`).
    pub webhooks_allow_private_targets: bool,
    /// `BASTION_SSO_ALLOW_PRIVATE_ISSUERS`: lets single sign-on reach identity providers at
    /// private, loopback and link-local addresses, over plain http too (`bastion_core::sso`).
    pub sso_allow_private_issuers: bool,
    /// `BASTION_SECURITY_CONTACT`: where DPA and security-pack requests are sent.
    pub security_contact: String,
    /// `BASTION_TOKEN_RATE_LIMIT`: requests one API token may make per minute (default 600).
    pub token_rate_limit: u32,
    /// `BASTION_LOGIN_LIMIT_PER_IP`: sign-in attempts one client address may make per 15
    /// minutes (default 100; `bastion_core::limits::login_attempts_per_ip`).
    pub login_limit_per_ip: u32,
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
    /// `BASTION_DB_WORKSPACES_PER_CONNECTION`: how many distinct workspaces one PostgreSQL
    /// connection serves before it is replaced (default 100), which bounds each backend's
    /// per-workspace caches whatever the number of workspaces.
    pub db_workspaces_per_connection: usize,
    /// `BASTION_SHUTDOWN_GRACE_SECS`: how long `serve` waits after SIGTERM or Ctrl-C for
    /// in-flight requests, the mail batch being sent and the running job (default 30 s); what is
    /// still running then is cut off, and an unfinished job released for another server.
    pub shutdown_grace: std::time::Duration,
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

/// The configuration file read when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "bastion.toml";

impl Config {
    /// Loads `file` (or `bastion.toml` if it exists), then applies the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, |name| std::env::var(name).ok())
    }

    /// For each setting: the environment, else the file, else the default. An empty value counts
    /// as unset, so `BASTION_X=` in a compose file means "the default".
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (path, mut table) = match file {
            Some(path) => (path, read_file(path)?),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                let path = Path::new(DEFAULT_CONFIG_FILE);
                (path, read_file(path)?)
            }
            None => (Path::new(DEFAULT_CONFIG_FILE), toml::Table::new()),
        };
        let path_text = path.display().to_string();

        let mut config = Self::unset();
        for s in SETTINGS {
            let key = s.file_key();
            // An environment-only key stays in the table, to be refused as unknown below.
            let from_file = match s.in_file {
                true => table.remove(&key),
                false => None,
            };
            let from_file = from_file
                .map(|v| file_value(&v, &key, &path_text))
                .transpose()?;
            let set = |v: &Option<String>| v.as_ref().is_some_and(|v| !v.trim().is_empty());
            let env_value = env(s.env);
            let (value, origin) = if set(&env_value) {
                (env_value.unwrap_or_default(), None)
            } else if set(&from_file) {
                (from_file.unwrap_or_default(), Some(key))
            } else if let Some(default) = s.default {
                (default.to_owned(), None)
            } else {
                continue;
            };
            (s.apply)(&mut config, value.trim()).map_err(|message| ConfigError::Value {
                name: s.env,
                message: match origin {
                    Some(key) => format!("{message} (`{key}` in {path_text})"),
                    None => message,
                },
            })?;
        }
        if let Some(key) = table.keys().next() {
            let known: Vec<String> = SETTINGS
                .iter()
                .filter(|s| s.in_file)
                .map(Setting::file_key)
                .collect();
            return Err(ConfigError::File {
                path: path_text,
                message: format!(
                    "unknown field `{key}`, expected one of {}",
                    known.join(", ")
                ),
            });
        }
        config.check()?;
        Ok(config)
    }

    /// Before the table is applied; every field that has a default is overwritten.
    fn unset() -> Self {
        Self {
            database_url: None,
            provisioning_database_url: None,
            allow_revertible_tenant_role: false,
            data_dir: PathBuf::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            metrics_addr: None,
            db_max_connections: 0,
            log_format: LogFormat::Text,
            migrate_on_start: false,
            trusted_proxies: Vec::new(),
            master_keys: None,
            master_key_file: None,
            signup_limits: bastion_core::signups::SignupLimits {
                per_ip: 0,
                per_domain: 0,
                window: time::Duration::hours(1),
            },
            smtp_url: None,
            mail_from: String::new(),
            max_upload_bytes: 0,
            object_store_url: None,
            object_store_endpoint: None,
            object_store_access_key_id: None,
            object_store_secret_access_key: None,
            object_store_region: String::new(),
            allow_non_eu_region: false,
            webhooks_allow_private_targets: false,
            sso_allow_private_issuers: false,
            security_contact: String::new(),
            token_rate_limit: 0,
            login_limit_per_ip: 0,
            request_timeout: Duration::ZERO,
            statement_timeout: Duration::ZERO,
            db_max_lifetime: Duration::ZERO,
            db_workspaces_per_connection: 0,
            shutdown_grace: Duration::ZERO,
        }
    }

    /// The rules that involve more than one setting.
    fn check(&self) -> Result<(), ConfigError> {
        match (&self.database_url, &self.provisioning_database_url) {
            (Some(_), None) => {
                return Err(ConfigError::Value {
                    name: "BASTION_PROVISIONING_DATABASE_URL",
                    message: "DATABASE_URL is set, so set this too: the URL of the login that \
                              owns the control plane and creates workspaces, while DATABASE_URL's \
                              login only serves (docs/operations.md, \"Two logins\")"
                        .into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::Value {
                    name: "BASTION_PROVISIONING_DATABASE_URL",
                    message: "set DATABASE_URL too, or neither (the embedded cluster)".into(),
                })
            }
            _ => {}
        }
        if self.master_keys.is_some() && self.master_key_file.is_some() {
            return Err(ConfigError::Value {
                name: "BASTION_MASTER_KEYS",
                message: "set either BASTION_MASTER_KEYS or BASTION_MASTER_KEY_FILE, not both"
                    .into(),
            });
        }
        if self.metrics_addr == Some(self.addr) {
            return Err(ConfigError::Value {
                name: "BASTION_METRICS_ADDR",
                message: format!(
                    "{} is BASTION_ADDR too; metrics need an address of their own so that they \
                     stay off the public one",
                    self.addr
                ),
            });
        }
        self.check_object_store()?;
        if !self.allow_non_eu_region && !is_eu_region(&self.object_store_region) {
            return Err(ConfigError::Value {
                name: "BASTION_OBJECT_STORE_REGION",
                message: format!(
                    "'{}' is not an EU region, and data must stay in the EU. Use an EU region \
                     (e.g. eu-central-1, eu-west-3, fr-par), or set \
                     BASTION_ALLOW_NON_EU_REGION=true to override knowingly",
                    self.object_store_region
                ),
            });
        }
        Ok(())
    }

    /// The object-storage settings agree with each other: S3 settings only with an S3 URL, which
    /// needs its bucket's real region, and credentials in pairs.
    fn check_object_store(&self) -> Result<(), ConfigError> {
        let value = |name, message: &str| ConfigError::Value {
            name,
            message: message.into(),
        };
        if self.object_store_url.is_none() {
            for (set, name) in [
                (
                    self.object_store_endpoint.is_some(),
                    "BASTION_OBJECT_STORE_ENDPOINT",
                ),
                (
                    self.object_store_access_key_id.is_some(),
                    "BASTION_OBJECT_STORE_ACCESS_KEY_ID",
                ),
                (
                    self.object_store_secret_access_key.is_some(),
                    "BASTION_OBJECT_STORE_SECRET_ACCESS_KEY",
                ),
            ] {
                if set {
                    return Err(value(
                        name,
                        "is only used with BASTION_OBJECT_STORE_URL (s3://bucket/prefix), \
                         which is not set",
                    ));
                }
            }
            return Ok(());
        }
        if self.object_store_region == "eu-local" {
            return Err(value(
                "BASTION_OBJECT_STORE_REGION",
                "must be the bucket's region (e.g. eu-central-1, fr-par) when \
                 BASTION_OBJECT_STORE_URL is set; eu-local means the local filesystem",
            ));
        }
        if self.object_store_access_key_id.is_some()
            != self.object_store_secret_access_key.is_some()
        {
            return Err(value(
                "BASTION_OBJECT_STORE_ACCESS_KEY_ID",
                "set both BASTION_OBJECT_STORE_ACCESS_KEY_ID and \
                 BASTION_OBJECT_STORE_SECRET_ACCESS_KEY, or neither (the instance's credentials)",
            ));
        }
        Ok(())
    }

    /// The operator's webhook settings, as the core takes them.
    pub fn webhooks(&self) -> bastion_core::webhooks::WebhookSettings {
        bastion_core::webhooks::WebhookSettings {
            allow_private_targets: self.webhooks_allow_private_targets,
        }
    }

    /// The operator's single sign-on settings, as the core takes them.
    pub fn sso(&self) -> bastion_core::sso::SsoNetwork {
        bastion_core::sso::SsoNetwork {
            allow_private_issuers: self.sso_allow_private_issuers,
        }
    }

    /// Where single sign-on providers send people back to (to register at the provider).
    pub fn sso_redirect_uri(&self) -> String {
        format!("{}/api/v1/auth/sso/callback", self.origin())
    }

    /// Where attachments and export archives live: the S3 bucket when
    /// `BASTION_OBJECT_STORE_URL` is set, else `data_dir/objects`. One handle per process,
    /// shared by requests and background jobs.
    pub fn objects(&self) -> Result<bastion_core::storage::Objects, String> {
        use bastion_core::storage::{Objects, S3Location};
        let Some(url) = &self.object_store_url else {
            return Objects::local(&self.objects_dir())
                .map_err(|e| format!("cannot open the local object storage: {e}"));
        };
        let (bucket, prefix) = S3Location::parse_url(url)?;
        let location = S3Location {
            bucket,
            prefix,
            region: self.object_store_region.clone(),
            endpoint: self.object_store_endpoint.clone(),
            access_key_id: self.object_store_access_key_id.clone(),
            secret_access_key: self
                .object_store_secret_access_key
                .as_ref()
                .map(|s| s.expose().to_owned()),
        };
        Objects::s3(&location).map_err(|e| format!("cannot open object storage {url}: {e}"))
    }

    /// A line for the start-up log: where objects go, without credentials.
    pub fn describe_objects(&self) -> String {
        match &self.object_store_url {
            Some(url) => format!(
                "{url} (region {}, endpoint {})",
                self.object_store_region,
                self.object_store_endpoint.as_deref().unwrap_or("AWS")
            ),
            None => self.objects_dir().display().to_string(),
        }
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

    /// Who passkeys are for: the public URL's host, or `localhost` on this port when no public
    /// URL is set (browsers take no IP address as a relying party). An error when the public
    /// URL names an address rather than a domain: passkeys are then unavailable.
    pub fn relying_party(&self) -> bastion_core::CoreResult<bastion_core::passkeys::RelyingParty> {
        bastion_core::passkeys::RelyingParty::for_origin(&self.origin(), self.public_url.is_none())
    }

    pub fn serves_https(&self) -> bool {
        self.origin().starts_with("https://")
    }

    /// The local object storage (attachments, export archives) when no S3 URL is set:
    /// `<data_dir>/objects`.
    pub fn objects_dir(&self) -> PathBuf {
        self.data_dir.join("objects")
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        message: e.message().to_owned(),
    })
}
