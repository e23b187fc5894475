//! Requests for a data-processing agreement or the security pack, from the public request form:
//! one message to the team and a confirmation to the requester, queued together in the outbox,
//! limited per client address so the form cannot be used to send mail in bulk.

use sqlx::PgPool;
use time::Duration;

use crate::keys::MasterKeyRing;
use crate::{accounts, limits, mail, CoreError, CoreResult};

/// Requests one client address may send per hour.
pub const PER_IP_PER_HOUR: i32 = 5;

/// What can be requested.
pub const KINDS: [(&str, &str); 2] = [
    ("dpa", "data-processing agreement"),
    ("security_pack", "security pack"),
];

#[derive(Debug, Clone)]
pub struct SecurityRequest {
    pub email: String,
    pub name: String,
    pub organisation: String,
    pub kind: String,
    pub message: String,
    /// The language of the page or request it came from: the confirmation is written in it.
    pub locale: bastion_i18n::Locale,
}

/// Checks the request, counts it against the client's address and queues both messages.
/// `RateLimited` when the address has sent too many requests; an invalid request is refused
/// before it counts.
pub async fn submit(
    pool: &PgPool,
    master: &MasterKeyRing,
    client: Option<std::net::IpAddr>,
    team: &str,
    request: &SecurityRequest,
) -> CoreResult<()> {
    let email = accounts::parse_email(&request.email)?;
    let name = accounts::parse_person_name(&request.name)?;
    let organisation = request.organisation.trim();
    if organisation.is_empty() || organisation.chars().count() > 200 {
        return Err(CoreError::invalid(
            "organisation",
            "must be 1 to 200 characters",
        ));
    }
    let kind = KINDS
        .iter()
        .find(|(k, _)| *k == request.kind)
        .map(|(_, label)| *label)
        .ok_or_else(|| CoreError::invalid("kind", "must be dpa or security_pack"))?;
    let message = request.message.trim();
    if message.chars().count() > 2000 {
        return Err(CoreError::invalid(
            "message",
            "must be at most 2000 characters",
        ));
    }
    let key = match client {
        Some(ip) => format!("security-request-ip:{ip}"),
        None => "security-request-ip:unknown".to_owned(),
    };
    if let Err(wait) = limits::hit(pool, &key, PER_IP_PER_HOUR, Duration::hours(1)).await? {
        return Err(CoreError::RateLimited {
            retry_after_secs: wait.whole_seconds().max(1) as u64,
        });
    }
    let mut tx = pool.begin().await?;
    mail::enqueue(
        &mut tx,
        master,
        team,
        &format!("Request for the {kind}: {organisation}"),
        &format!(
            "{name} <{email}> of {organisation} asks for the {kind}.\n\nMessage:\n{message}\n"
        ),
    )
    .await?;
    let t = request.locale.t();
    let kind_words = match request.kind.as_str() {
        "dpa" => t.mail_kind_dpa(),
        _ => t.mail_kind_security_pack(),
    };
    mail::enqueue(
        &mut tx,
        master,
        &email,
        &t.mail_security_request_subject(kind_words),
        &t.mail_security_request_body(&name, kind_words),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
