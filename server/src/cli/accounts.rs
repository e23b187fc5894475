//! Accounts and API tokens made from the command line.

use super::{migrate_control_plane, TokenCommand};
use crate::database::Database;

pub(super) fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("BASTION_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("no password: set BASTION_PASSWORD or type it on standard input".into());
    }
    Ok(password)
}

pub(super) async fn create_user(
    database: &Database,
    email: &str,
    name: &str,
    password: &str,
) -> Result<(), String> {
    migrate_control_plane(database).await?;
    let user = bastion_core::accounts::create_user(&database.pool, email, name, password)
        .await
        .map_err(|e| e.to_string())?;
    println!("created user {} ({})", user.email, user.name);
    Ok(())
}

pub(super) async fn token(database: &Database, command: TokenCommand) -> Result<(), String> {
    migrate_control_plane(database).await?;
    let TokenCommand::Create {
        slug,
        email,
        name,
        expires_in_days,
    } = command;
    let user = bastion_core::accounts::find_user_by_email(&database.pool, &email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user with the email '{email}'"))?;
    let (ws, _, tx) = bastion_core::members::open_as_member(&database.pool, user.id, &slug)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{email} is not an active member of '{slug}'"))?;
    tx.rollback().await.map_err(|e| e.to_string())?;
    let expires_at = expires_in_days
        .map(|days| time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
    let (_, secret) =
        bastion_core::api_tokens::create(&database.pool, user.id, ws.id, &name, expires_at)
            .await
            .map_err(|e| e.to_string())?;
    println!("{}", secret.expose());
    Ok(())
}
