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
    assert_eq!(c.login_limit_per_ip, 100);
    assert_eq!(c.request_timeout, std::time::Duration::from_secs(30));
    assert_eq!(c.statement_timeout, std::time::Duration::from_secs(60));
    assert_eq!(c.db_max_lifetime, std::time::Duration::from_secs(1800));
    assert_eq!(c.db_workspaces_per_connection, 100);
    assert_eq!(c.shutdown_grace, std::time::Duration::from_secs(30));
    let c = load(&[
        ("BASTION_SHUTDOWN_GRACE_SECS", "5"),
        ("BASTION_REQUEST_TIMEOUT_SECS", "5"),
        ("BASTION_STATEMENT_TIMEOUT_SECS", "2"),
        ("BASTION_DB_MAX_LIFETIME_SECS", "300"),
        ("BASTION_DB_WORKSPACES_PER_CONNECTION", "20"),
    ])
    .unwrap();
    assert_eq!(c.request_timeout, std::time::Duration::from_secs(5));
    assert_eq!(c.statement_timeout, std::time::Duration::from_secs(2));
    assert_eq!(c.db_max_lifetime, std::time::Duration::from_secs(300));
    assert_eq!(c.db_workspaces_per_connection, 20);
    assert_eq!(c.shutdown_grace, std::time::Duration::from_secs(5));
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
        ("BASTION_LOGIN_LIMIT_PER_IP", "0"),
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
        ("BASTION_SHUTDOWN_GRACE_SECS", "0"),
        ("BASTION_SHUTDOWN_GRACE_SECS", "never"),
        ("BASTION_METRICS_ADDR", "localhost:9090"),
        ("BASTION_METRICS_ADDR", "127.0.0.1:3000"),
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
    let c = load(&[
        ("DATABASE_URL", "postgres://db/bastion"),
        (
            "BASTION_PROVISIONING_DATABASE_URL",
            "postgres://owner@db/bastion",
        ),
    ])
    .unwrap();
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
fn the_defaults_are_the_ones_the_rest_of_the_code_assumes() {
    let c = load(&[]).unwrap();
    assert_eq!(c.request_timeout, crate::timeout::DEFAULT_REQUEST_TIMEOUT);
    assert_eq!(
        c.max_upload_bytes,
        bastion_core::attachments::DEFAULT_MAX_UPLOAD_BYTES
    );
    assert_eq!(
        (c.signup_limits.per_ip, c.signup_limits.per_domain),
        (10, 50)
    );
    assert!(c.migrate_on_start);
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.mail_from, "Bastion <no-reply@localhost>");
    assert!(c.trusted_proxies.is_empty() && c.public_url.is_none() && c.smtp_url.is_none());
}

#[test]
fn metrics_are_off_unless_given_an_address_of_their_own() {
    assert!(load(&[]).unwrap().metrics_addr.is_none());
    let c = load(&[("BASTION_METRICS_ADDR", "127.0.0.1:9464")]).unwrap();
    assert_eq!(c.metrics_addr.unwrap().to_string(), "127.0.0.1:9464");
    let err = load(&[
        ("BASTION_ADDR", "0.0.0.0:8080"),
        ("BASTION_METRICS_ADDR", "0.0.0.0:8080"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("an address of their own"), "{err}");
}

#[test]
fn an_empty_variable_means_the_default() {
    let c = load(&[("BASTION_ADDR", ""), ("BASTION_DB_MAX_CONNECTIONS", " ")]).unwrap();
    assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(c.db_max_connections, 20);
}

#[test]
fn file_values_are_checked_like_the_environment_and_secrets_stay_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bastion.toml");
    std::fs::write(
        &path,
        "trusted_proxies = [\"10.0.0.1\", \"10.0.0.2\"]\nmigrate_on_start = false\n\
         public_url = \"https://bastion.example.eu/\"\n",
    )
    .unwrap();
    let c = Config::load_with_env(Some(&path), |_| None).unwrap();
    assert_eq!(c.trusted_proxies.len(), 2);
    assert!(!c.migrate_on_start);
    assert_eq!(c.origin(), "https://bastion.example.eu");

    std::fs::write(&path, "addr = \"\"\n").unwrap();
    let c = Config::load_with_env(Some(&path), |_| None).unwrap();
    assert_eq!(c.addr.to_string(), "127.0.0.1:3000");

    std::fs::write(&path, "db_max_connections = 0\n").unwrap();
    let err = Config::load_with_env(Some(&path), |_| None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("BASTION_DB_MAX_CONNECTIONS") && err.contains("`db_max_connections` in"),
        "{err}"
    );
    for secret in ["master_keys = \"x\"\n", "smtp_url = \"smtp://x\"\n"] {
        std::fs::write(&path, secret).unwrap();
        let err = Config::load_with_env(Some(&path), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{secret}: {err}");
    }
}

/// The README's settings table is the operator's reference: one row per setting, no row for
/// a setting that does not exist (RUST_LOG is read by the log filter, not by this table).
#[test]
fn the_readme_lists_every_setting_and_no_other() {
    let readme = include_str!("../../../README.md");
    let rows: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name))
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .filter(|name| *name != "RUST_LOG")
        .collect();
    for s in SETTINGS {
        assert!(rows.contains(&s.env), "README lacks a row for {}", s.env);
    }
    for row in rows {
        assert!(
            SETTINGS.iter().any(|s| s.env == row),
            "README documents {row}, which is not a setting"
        );
    }
}

#[test]
fn the_help_names_every_setting_with_its_default() {
    let help = help();
    for s in SETTINGS {
        let line = help.lines().find(|l| l.trim_start().starts_with(s.env));
        let line = line.unwrap_or_else(|| panic!("--help lacks {}", s.env));
        if let Some(default) = s.default {
            assert!(line.contains(&format!("(default {default})")), "{line}");
        }
    }
}

#[test]
fn database_url_never_prints() {
    let c = load(&[
        ("DATABASE_URL", "postgres://u:hunter2@db/x"),
        (
            "BASTION_PROVISIONING_DATABASE_URL",
            "postgres://o:swordfish@db/x",
        ),
    ])
    .unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
    assert!(!format!("{c:?}").contains("swordfish"));
}

#[test]
fn an_external_database_needs_both_logins() {
    let err = load(&[("DATABASE_URL", "postgres://u@db/x")])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("BASTION_PROVISIONING_DATABASE_URL"),
        "{err}"
    );
    assert!(err.contains("Two logins"), "{err}");
    let err = load(&[("BASTION_PROVISIONING_DATABASE_URL", "postgres://o@db/x")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABASE_URL too"), "{err}");
}
