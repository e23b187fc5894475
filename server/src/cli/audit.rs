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
            match (report.first_broken, &report.head_mismatch) {
                (None, None) => {
                    println!(
                        "OK: the history of '{}' is intact ({} event(s) checked, and the chain \
                         ends at the published head)",
                        ws.slug, report.checked
                    );
                    Ok(())
                }
                (Some(id), _) => Err(format!(
                    "the history of '{}' is BROKEN at event {id}: that event was altered, or an \
                     event before it was removed or altered ({} event(s) checked)",
                    ws.slug, report.checked
                )),
                (None, Some(head)) if head.newest_removed() => Err(format!(
                    "the history of '{}' is TRUNCATED: the last append published event {}, but \
                     the chain ends at {}; the newest events were removed ({} event(s) checked)",
                    ws.slug,
                    shown(head.published),
                    shown(head.newest),
                    report.checked
                )),
                (None, Some(head)) => Err(format!(
                    "the END of the history of '{}' does not match the published head (head: \
                     event {}, chain ends at event {}): the newest event was altered, or events \
                     were added or removed behind the application's back ({} event(s) checked)",
                    ws.slug,
                    shown(head.published),
                    shown(head.newest),
                    report.checked
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

/// An event id, or "none".
fn shown(id: Option<i64>) -> String {
    id.map_or_else(|| "none".to_owned(), |id| id.to_string())
}
