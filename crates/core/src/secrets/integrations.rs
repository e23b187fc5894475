//! A workspace's integrations: connections to other services and the access tokens Bastion uses
//! for outbound calls. Tokens are stored encrypted under the workspace's data key; people only
//! ever see their last four characters, and only the server reads the plaintext.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use bastion_policy as policy;
use sqlx::PgPool;

use crate::{
    ensure,
    keys::MasterKeyRing,
    secrets::{self, DataKey, SecretString},
    Actor, CoreError, CoreResult, TenantTx, Viewer, WorkspaceId,
};

/// The refusal of every integration action to a non-admin, the same through every door.
pub const ADMINS_ONLY: &str = "Only workspace admins manage integrations.";

/// The workspace's integrations, tokens masked; admins only.
pub async fn list(tx: &mut TenantTx, viewer: Viewer) -> CoreResult<Vec<Integration>> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    list_integrations(tx).await
}

/// Deletes an integration and its encrypted token; admins only.
pub async fn delete(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<()> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    delete_integration(tx, id).await
}

/// `user_id` adds an integration to the workspace, committed: admins only, and anyone who is
/// not an active member gets `NotFound` like a workspace that does not exist. The role is read
/// in the transaction that holds the data-key row locked, so a rotation cannot retire the key
/// the token is about to be encrypted under.
pub async fn create(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    user_id: Uuid,
    kind: &str,
    name: &str,
    token: &SecretString,
) -> CoreResult<Integration> {
    let (mut tx, key) =
        secrets::begin_with_data_key(pool, master, workspace, Actor::User(user_id)).await?;
    let role = crate::accounts::active_role(&mut tx, user_id)
        .await?
        .and_then(|r| policy::Role::parse(&r))
        .ok_or(CoreError::NotFound("workspace"))?;
    ensure(policy::can_manage_integrations(role), ADMINS_ONLY)?;
    let added = add_integration(&mut tx, &key, kind, name, token).await?;
    tx.commit().await?;
    Ok(added)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum IntegrationKind {
    Github,
    Gitlab,
    Slack,
    Webhook,
    Jira,
    /// A Microsoft Teams incoming webhook (Workflows): the token is its address.
    Teams,
    /// A Matrix access token; the room and homeserver are the chat notification's.
    Matrix,
}

impl IntegrationKind {
    pub const ALL: [IntegrationKind; 7] = [
        IntegrationKind::Github,
        IntegrationKind::Gitlab,
        IntegrationKind::Slack,
        IntegrationKind::Webhook,
        IntegrationKind::Jira,
        IntegrationKind::Teams,
        IntegrationKind::Matrix,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::Github => "github",
            IntegrationKind::Gitlab => "gitlab",
            IntegrationKind::Slack => "slack",
            IntegrationKind::Webhook => "webhook",
            IntegrationKind::Jira => "jira",
            IntegrationKind::Teams => "teams",
            IntegrationKind::Matrix => "matrix",
        }
    }

    pub fn parse(input: &str) -> CoreResult<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == input)
            .ok_or_else(|| {
                let allowed: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                CoreError::invalid("kind", format!("must be one of {}", allowed.join(", ")))
            })
    }
}

/// An integration as people see it: the token masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Integration {
    pub id: Uuid,
    pub kind: IntegrationKind,
    pub name: String,
    /// `••••` and the token's last four characters.
    pub token_masked: String,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct IntegrationRow {
    id: Uuid,
    kind: IntegrationKind,
    name: String,
    token_last4: String,
    created_by: Option<Uuid>,
    created_at: OffsetDateTime,
}

impl From<IntegrationRow> for Integration {
    fn from(row: IntegrationRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            name: row.name,
            token_masked: mask(&row.token_last4),
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

pub const NAME_MAX_CHARS: usize = 100;
pub const TOKEN_MIN_CHARS: usize = 8;
pub const TOKEN_MAX_CHARS: usize = 4096;

const COLUMNS: &str = "id, kind, name, token_last4, created_by, created_at";

fn mask(last4: &str) -> String {
    format!("••••{last4}")
}

fn parse_name(input: &str) -> CoreResult<String> {
    let name = input.trim();
    match name.chars().count() {
        0 => Err(CoreError::invalid("name", "must not be empty")),
        n if n > NAME_MAX_CHARS => Err(CoreError::invalid(
            "name",
            format!("must be at most {NAME_MAX_CHARS} characters"),
        )),
        _ => Ok(name.to_owned()),
    }
}

/// Checks the token and returns its last four characters. Tokens are not trimmed: a credential
/// is used exactly as given, so stray whitespace is refused rather than silently changed.
fn check_token(token: &SecretString) -> CoreResult<String> {
    let token = token.expose();
    let chars = token.chars().count();
    if chars < TOKEN_MIN_CHARS {
        return Err(CoreError::invalid(
            "access_token",
            format!("must be at least {TOKEN_MIN_CHARS} characters"),
        ));
    }
    if chars > TOKEN_MAX_CHARS {
        return Err(CoreError::invalid(
            "access_token",
            format!("must be at most {TOKEN_MAX_CHARS} characters"),
        ));
    }
    if token.chars().any(char::is_control) || token.trim() != token {
        return Err(CoreError::invalid(
            "access_token",
            "must not contain control characters or start or end with whitespace",
        ));
    }
    Ok(token.chars().skip(chars - 4).collect())
}

/// Adds an integration; the token is encrypted under `key`, the workspace's data key (see
/// `secrets::begin_with_data_key`).
pub async fn add_integration(
    tx: &mut TenantTx,
    key: &DataKey,
    kind: &str,
    name: &str,
    token: &SecretString,
) -> CoreResult<Integration> {
    let kind = IntegrationKind::parse(kind)?;
    let name = parse_name(name)?;
    let last4 = check_token(token)?;
    let created_by = match tx.actor() {
        Actor::User(id) => Some(id),
        Actor::System => None,
    };
    let row = sqlx::query_as::<_, IntegrationRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO integrations (id, kind, name, token_ciphertext, token_last4, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(&name)
    .bind(key.encrypt_secret(token.expose()))
    .bind(&last4)
    .bind(created_by)
    .fetch_one(tx.conn())
    .await?;
    Ok(row.into())
}

/// Every integration of the workspace, tokens masked, by name.
pub async fn list_integrations(tx: &mut TenantTx) -> CoreResult<Vec<Integration>> {
    let rows = sqlx::query_as::<_, IntegrationRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM integrations ORDER BY name, created_at, id"
    )))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(Integration::from).collect())
}

pub async fn delete_integration(tx: &mut TenantTx, id: Uuid) -> CoreResult<()> {
    let deleted = sqlx::query("DELETE FROM integrations WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(CoreError::NotFound("integration"));
    }
    Ok(())
}

/// The plaintext token, for the server's own outbound calls only: never return it to a client.
pub async fn reveal_integration_token(
    tx: &mut TenantTx,
    key: &DataKey,
    id: Uuid,
) -> CoreResult<SecretString> {
    let ciphertext: Option<String> =
        sqlx::query_scalar("SELECT token_ciphertext FROM integrations WHERE id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    let ciphertext = ciphertext.ok_or(CoreError::NotFound("integration"))?;
    key.decrypt_secret(&ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_checked_with_the_field_named() {
        assert_eq!(
            IntegrationKind::parse("github").unwrap(),
            IntegrationKind::Github
        );
        let err = IntegrationKind::parse("GitHub").unwrap_err().to_string();
        assert!(err.starts_with("kind: ") && err.contains("jira"), "{err}");

        assert_eq!(parse_name("  CI bot ").unwrap(), "CI bot");
        assert!(parse_name(" ")
            .unwrap_err()
            .to_string()
            .starts_with("name: "));
        assert!(parse_name(&"é".repeat(100)).is_ok());
        assert!(parse_name(&"é".repeat(101)).is_err());

        assert_eq!(check_token(&"ghp_abcdefgh".into()).unwrap(), "efgh");
        assert_eq!(check_token(&"ééééééé€".into()).unwrap(), "ééé€");
        for bad in [
            "short",
            " ghp_abcdefgh",
            "ghp_abcdefgh\n",
            "ghp_ab\u{0}cdefgh",
        ] {
            let err = check_token(&bad.into()).unwrap_err().to_string();
            assert!(err.starts_with("access_token: "), "{bad:?}: {err}");
            assert!(!err.contains(bad.trim()), "{bad:?}: {err}");
        }
        assert!(check_token(&"x".repeat(4096).into()).is_ok());
        assert!(check_token(&"x".repeat(4097).into()).is_err());
        assert_eq!(mask("efgh"), "••••efgh");
    }
}
