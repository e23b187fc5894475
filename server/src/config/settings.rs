//! The table of settings, the parsers its rows use, and where data may be stored.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use super::{Config, ConfigError, LogFormat, Secret};

/// The longest request or statement time limit we accept configuring: an hour.
pub const MAX_TIMEOUT_SECS: u32 = 3600;
/// Uploads are held in memory while stored: 1 GiB is the most we accept configuring.
pub const MAX_UPLOAD_CEILING: u64 = 1024 * 1024 * 1024;

/// One setting. Its key in the TOML file is `env` in lower case without `BASTION_`
/// (`BASTION_ADDR` → `addr`). The default goes through the same parser as a configured value, so
/// the default that is documented is the one applied; `None` leaves the field unset.
pub struct Setting {
    pub env: &'static str,
    /// Whether the file may hold it: secrets are environment-only, since the file is often shared
    /// or committed.
    pub in_file: bool,
    pub default: Option<&'static str>,
    /// One line for `bastion --help`.
    pub doc: &'static str,
    pub(super) apply: fn(&mut Config, &str) -> Result<(), String>,
}

const FILE: bool = true;
const ENV_ONLY: bool = false;

const fn setting(
    env: &'static str,
    in_file: bool,
    default: Option<&'static str>,
    apply: fn(&mut Config, &str) -> Result<(), String>,
    doc: &'static str,
) -> Setting {
    Setting {
        env,
        in_file,
        default,
        doc,
        apply,
    }
}

/// Every setting, in the order `bastion --help` lists them. Adding one: a row here, a field in
/// [`Config`] (and in [`Config::unset`]), a row in the README's table (a test checks).
#[rustfmt::skip]
pub const SETTINGS: &[Setting] = &[
    setting("DATABASE_URL", FILE, None,
        |c, v| prefixed(v, &["postgres://", "postgresql://"]).map(|v| c.database_url = Some(Secret::new(v))),
        "PostgreSQL 15+ URL of the serving login, which must own nothing and belong to no \
         workspace role (docs/operations.md, \"Two logins\"). Unset: an embedded cluster in \
         BASTION_DATA_DIR/postgres"),
    setting("BASTION_PROVISIONING_DATABASE_URL", FILE, None,
        |c, v| prefixed(v, &["postgres://", "postgresql://"]).map(|v| c.provisioning_database_url = Some(Secret::new(v))),
        "With DATABASE_URL, required: the same database as the provisioning login, which owns the \
         control plane and creates workspaces (CREATEROLE, member of bastion_tenant_owner)"),
    setting("BASTION_ALLOW_REVERTIBLE_TENANT_ROLE", FILE, Some("false"),
        |c, v| boolean(v).map(|b| c.allow_revertible_tenant_role = b),
        "true to serve on a PostgreSQL without the set_user extension, whose tenant role switch \
         SQL inside a tenant transaction could undo (docs/operations.md)"),
    setting("BASTION_DATA_DIR", FILE, Some(".data"),
        |c, v| text(v).map(|v| c.data_dir = v.into()),
        "Local state: embedded database, keys, files"),
    setting("BASTION_ADDR", FILE, Some("127.0.0.1:3000"),
        |c, v| socket_addr(v).map(|a| c.addr = a),
        "Address to listen on"),
    setting("BASTION_METRICS_ADDR", FILE, None,
        |c, v| socket_addr(v).map(|a| c.metrics_addr = Some(a)),
        "Address serving GET /metrics (Prometheus) for scrapers only; keep it private. Unset: no \
         metrics"),
    setting("BASTION_PUBLIC_URL", FILE, None,
        |c, v| origin(v).map(|u| c.public_url = Some(u)),
        "Origin users reach us at, e.g. https://bastion.example.eu (default http://BASTION_ADDR)"),
    setting("BASTION_DB_MAX_CONNECTIONS", FILE, Some("20"),
        |c, v| number(v, 1, 1000).map(|n| c.db_max_connections = n),
        "Pool size per process, 1-1000"),
    setting("BASTION_DB_MAX_LIFETIME_SECS", FILE, Some("1800"),
        |c, v| seconds(v).map(|d| c.db_max_lifetime = d),
        "Seconds one PostgreSQL connection serves before it is replaced, 1-3600"),
    setting("BASTION_DB_WORKSPACES_PER_CONNECTION", FILE, Some("100"),
        |c, v| number(v, 1, 100_000).map(|n| c.db_workspaces_per_connection = n as usize),
        "Distinct workspaces one PostgreSQL connection serves before it is replaced, 1-100000"),
    setting("BASTION_LOG_FORMAT", FILE, Some("text"),
        |c, v| log_format(v).map(|f| c.log_format = f),
        "text or json"),
    setting("BASTION_MIGRATE_ON_START", FILE, Some("true"),
        |c, v| boolean(v).map(|b| c.migrate_on_start = b),
        "true or false: apply migrations when serving"),
    setting("BASTION_TRUSTED_PROXIES", FILE, None,
        |c, v| ip_list(v).map(|l| c.trusted_proxies = l),
        "Comma-separated proxy IPs whose X-Forwarded-For is believed (default none)"),
    setting("BASTION_MAX_UPLOAD_BYTES", FILE, Some("26214400"),
        |c, v| upload_bytes(v).map(|n| c.max_upload_bytes = n),
        "Largest attachment accepted, in bytes (25 MiB)"),
    setting("BASTION_OBJECT_STORE_URL", FILE, None,
        |c, v| object_store_url(v).map(|u| c.object_store_url = Some(u)),
        "s3://bucket or s3://bucket/prefix: attachments and exports in S3-compatible storage, \
         shared by every server. Unset: BASTION_DATA_DIR/objects"),
    setting("BASTION_OBJECT_STORE_ENDPOINT", FILE, None,
        |c, v| origin(v).map(|u| c.object_store_endpoint = Some(u)),
        "The S3 provider's endpoint, e.g. https://s3.fr-par.scw.cloud (default: AWS's for the \
         region)"),
    setting("BASTION_OBJECT_STORE_REGION", FILE, Some("eu-local"),
        |c, v| text(v).map(|v| c.object_store_region = v.to_ascii_lowercase()),
        "Object storage region, the bucket's with BASTION_OBJECT_STORE_URL; must be in the EU \
         (eu-local is the local filesystem; AWS eu-* but London and Zurich, fr-par, nl-ams, \
         pl-waw, ...)"),
    setting("BASTION_OBJECT_STORE_ACCESS_KEY_ID", FILE, None,
        |c, v| text(v).map(|v| c.object_store_access_key_id = Some(v)),
        "S3 access key id (with the secret below; neither: the instance's own credentials)"),
    setting("BASTION_OBJECT_STORE_SECRET_ACCESS_KEY", ENV_ONLY, None,
        |c, v| text(v).map(|v| c.object_store_secret_access_key = Some(Secret::new(v))),
        "S3 secret access key"),
    setting("BASTION_ALLOW_NON_EU_REGION", FILE, Some("false"),
        |c, v| boolean(v).map(|b| c.allow_non_eu_region = b),
        "true to start with a non-EU region anyway"),
    setting("BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS", FILE, Some("false"),
        |c, v| boolean(v).map(|b| c.webhooks_allow_private_targets = b),
        "true to let webhooks target private, loopback and link-local addresses"),
    setting("BASTION_SSO_ALLOW_PRIVATE_ISSUERS", FILE, Some("false"),
        |c, v| boolean(v).map(|b| c.sso_allow_private_issuers = b),
        "true to let single sign-on reach identity providers at private, loopback and \
         link-local addresses (and over http)"),
    setting("BASTION_SECURITY_CONTACT", FILE, Some("security@localhost"),
        |c, v| email(v).map(|e| c.security_contact = e),
        "Where DPA and security-pack requests are sent"),
    setting("BASTION_TOKEN_RATE_LIMIT", FILE, Some("600"),
        |c, v| number(v, 1, 1_000_000).map(|n| c.token_rate_limit = n),
        "Requests per minute per API token, 1-1000000"),
    setting("BASTION_REQUEST_TIMEOUT_SECS", FILE, Some("30"),
        |c, v| seconds(v).map(|d| c.request_timeout = d),
        "Seconds a request may take until its response starts, 1-3600; counted from the body's \
         last byte"),
    setting("BASTION_STATEMENT_TIMEOUT_SECS", FILE, Some("60"),
        |c, v| seconds(v).map(|d| c.statement_timeout = d),
        "PostgreSQL statement_timeout of the server's connections, in seconds, 1-3600"),
    setting("BASTION_SHUTDOWN_GRACE_SECS", FILE, Some("30"),
        |c, v| seconds(v).map(|d| c.shutdown_grace = d),
        "Seconds SIGTERM waits for in-flight requests and a running job before cutting them \
         off, 1-3600; keep it below your orchestrator's kill timeout"),
    setting("BASTION_MASTER_KEYS", ENV_ONLY, None,
        |c, v| text(v).map(|v| c.master_keys = Some(Secret::new(v))),
        "Comma-separated master keys (`bastion keys generate`); the first encrypts, all decrypt"),
    setting("BASTION_MASTER_KEY_FILE", FILE, None,
        |c, v| text(v).map(|v| c.master_key_file = Some(v.into())),
        "Or a file with one master key per line, mode 600. Neither: required with DATABASE_URL; \
         the embedded mode generates BASTION_DATA_DIR/master.keys"),
    setting("BASTION_SMTP_URL", ENV_ONLY, None,
        |c, v| prefixed(v, &["smtp://", "smtps://"]).map(|u| c.smtp_url = Some(Secret::new(u))),
        "smtps://user:password@host or smtp://relay:25?tls=required. Unset: mail is written to \
         BASTION_DATA_DIR/mail"),
    setting("BASTION_MAIL_FROM", FILE, Some("Bastion <no-reply@localhost>"),
        |c, v| mailbox(v).map(|m| c.mail_from = m),
        "The sender of every message"),
    setting("BASTION_SIGNUP_LIMIT_PER_IP", FILE, Some("10"),
        |c, v| number(v, 1, 1_000_000).map(|n| c.signup_limits.per_ip = n as i32),
        "Signups that may start per client address per hour, 1-1000000"),
    setting("BASTION_LOGIN_LIMIT_PER_IP", FILE, Some("100"),
        |c, v| number(v, 1, 1_000_000).map(|n| c.login_limit_per_ip = n),
        "Sign-in attempts (passwords and passkeys) per client address per 15 minutes, 1-1000000"),
    setting("BASTION_SIGNUP_LIMIT_PER_DOMAIN", FILE, Some("50"),
        |c, v| number(v, 1, 1_000_000).map(|n| c.signup_limits.per_domain = n as i32),
        "Signups that may start per email domain per hour, 1-1000000"),
];

impl Setting {
    /// The setting's key in the TOML file.
    pub fn file_key(&self) -> String {
        self.env
            .strip_prefix("BASTION_")
            .unwrap_or(self.env)
            .to_ascii_lowercase()
    }
}

/// The settings part of `bastion --help`.
pub fn help() -> String {
    let mut help = String::from(
        "Configuration comes from a TOML file (--config, or ./bastion.toml when present) and the \
         environment, which wins; an empty variable counts as unset:\n",
    );
    for s in SETTINGS {
        help.push_str(&format!("  {:<32}{}", s.env, s.doc));
        if let Some(default) = s.default {
            help.push_str(&format!(" (default {default})"));
        }
        help.push('\n');
    }
    help.push_str(&format!("  {:<32}Log filter (default info)", "RUST_LOG"));
    help
}

/// Regions accepted as inside the European Union (docs/product.md, "Your data is yours"):
/// `eu-local` (the local filesystem of a server in the EU), AWS `eu-*` regions except
/// `eu-west-2` (London) and `eu-central-2` (Zurich), which are outside the EU; Scaleway `fr-par`,
/// `nl-ams`, `pl-waw`; OVHcloud `gra`, `sbg`, `rbx`, `waw`, `de`; Hetzner `fsn1`, `nbg1`,
/// `hel1`; Google Cloud `europe-*` regions in EU member states; Azure regions named after EU
/// countries.
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

/// A file value as the text the environment would hold: lists become comma-separated.
pub(super) fn file_value(
    value: &toml::Value,
    key: &str,
    path: &str,
) -> Result<String, ConfigError> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join(","))
            .ok_or_else(|| ConfigError::File {
                path: path.to_owned(),
                message: format!("`{key}` must be a list of strings"),
            })?,
        _ => {
            return Err(ConfigError::File {
                path: path.to_owned(),
                message: format!("`{key}` must be a string, a number or true/false"),
            })
        }
    };
    Ok(text)
}

fn object_store_url(value: &str) -> Result<String, String> {
    bastion_core::storage::S3Location::parse_url(value)?;
    Ok(value.trim_end_matches('/').to_owned())
}

fn text(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

fn number(value: &str, min: u32, max: u32) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{value}' is not a whole number from {min} to {max}"
        )),
    }
}

fn seconds(value: &str) -> Result<Duration, String> {
    number(value, 1, MAX_TIMEOUT_SECS).map(|n| Duration::from_secs(n.into()))
}

fn upload_bytes(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if (1..=MAX_UPLOAD_CEILING).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{value}' is not a whole number of bytes from 1 to {MAX_UPLOAD_CEILING}"
        )),
    }
}

fn boolean(value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!("'{other}' is not true or false")),
    }
}

fn log_format(value: &str) -> Result<LogFormat, String> {
    match value {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("'{other}' is neither 'text' nor 'json'")),
    }
}

fn socket_addr(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| format!("'{value}' is not an address like 127.0.0.1:3000"))
}

fn prefixed(value: &str, schemes: &[&str]) -> Result<String, String> {
    match schemes.iter().any(|s| value.starts_with(s)) {
        true => Ok(value.to_owned()),
        false => Err(format!("must start with {}", schemes.join(" or "))),
    }
}

/// An origin like `https://bastion.example.eu`, stored without a trailing slash.
fn origin(value: &str) -> Result<String, String> {
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && !value.trim_end_matches('/').contains(['?', '#'])
        && value.split("://").nth(1).is_some_and(|h| !h.is_empty());
    match ok {
        true => Ok(value.trim_end_matches('/').to_owned()),
        false => Err(format!(
            "'{value}' is not an origin like https://bastion.example.eu"
        )),
    }
}

fn ip_list(value: &str) -> Result<Vec<IpAddr>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| format!("'{p}' is not an IP address")))
        .collect()
}

fn email(value: &str) -> Result<String, String> {
    match value.contains('@') && !value.contains(['\r', '\n']) {
        true => Ok(value.to_owned()),
        false => Err(format!("'{value}' is not an email address")),
    }
}

/// A `From:` header value such as `Bastion <no-reply@example.eu>`.
fn mailbox(value: &str) -> Result<String, String> {
    match value.contains('@') {
        true => Ok(value.to_owned()),
        false => Err(format!(
            "'{value}' is not an address like Bastion <no-reply@example.eu>"
        )),
    }
}
