//! `bastion audit …`: verify a workspace's history chain, purge events past retention.

use bastion_core::{audit, workspaces};

use super::{migrate_control_plane, AuditCommand};
use crate::database::Database;

pub(super) async fn audit(database: &Database, command: AuditCommand) -> Result<(), String> {
    migrate_control_plane(database).await?;
    let find = |slug: String| async move {
        workspaces::find_by_slug(&database.pool, &slug)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no workspace with the slug '{slug}'"))
    };
    match command {
        AuditCommand::Verify { slug } => {
            let ws = find(slug).await?;
            let report = audit::verify(&database.pool, &ws)
                .await
                .map_err(|e| e.to_string())?;
            match report.first_broken {
                None => {
                    println!(
                        "OK: the history of '{}' is intact ({} event(s) checked)",
                        ws.slug, report.checked
                    );
                    Ok(())
                }
                Some(id) => Err(format!(
                    "the history of '{}' is BROKEN at event {id}: that event was altered, or an \
                     event before it was removed or altered ({} event(s) checked)",
                    ws.slug, report.checked
                )),
            }
        }
        AuditCommand::Purge { slug: Some(slug) } => {
            let ws = find(slug).await?;
            let deleted = audit::purge(&database.pool, &ws, time::OffsetDateTime::now_utc())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "purged {deleted} event(s) older than the {} plan's retention from '{}'",
                ws.plan, ws.slug
            );
            Ok(())
        }
        AuditCommand::Purge { slug: None } => {
            let report = audit::purge_all(&database.pool, time::OffsetDateTime::now_utc())
                .await
                .map_err(|e| format!("purge failed (run again to resume): {e}"))?;
            println!(
                "purged {} event(s) past retention from {} workspace(s)",
                report.deleted, report.workspaces
            );
            Ok(())
        }
    }
}
