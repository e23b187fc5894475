//! `bastion workspace …`: create, list, erase, add a member.

use bastion_core::{workspaces, Slug};

use super::{keys::master_key_ring, migrate_control_plane, WorkspaceCommand};
use crate::{config::Config, database::Database};

pub(super) async fn workspace(
    config: &Config,
    database: &Database,
    command: WorkspaceCommand,
) -> Result<(), String> {
    migrate_control_plane(database).await?;
    match command {
        WorkspaceCommand::Create { slug, name } => {
            let slug = Slug::parse(&slug).map_err(|e| e.to_string())?;
            let name = name.unwrap_or_else(|| slug.to_string());
            let ring = master_key_ring(config)?;
            let ws = workspaces::create_workspace(&database.pool, &ring, &slug, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "created workspace '{}' ({}) with schema and role {}",
                ws.slug,
                ws.name,
                ws.schema()
            );
        }
        WorkspaceCommand::AddMember { slug, email, role } => {
            let ws = workspaces::find_by_slug(&database.pool, &slug)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no workspace with the slug '{slug}'"))?;
            let user = bastion_core::accounts::find_user_by_email(&database.pool, &email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user with the email '{email}'"))?;
            bastion_core::accounts::add_member(
                &database.pool,
                &ws,
                user.id,
                &role,
                bastion_core::Actor::System,
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("{} is now {role} of '{}'", user.email, ws.slug);
        }
        WorkspaceCommand::Erase { slug, confirm } => {
            let ws = workspaces::find_by_slug(&database.pool, &slug)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no workspace with the slug '{slug}'"))?;
            if confirm.trim() != ws.name {
                return Err(format!(
                    "--confirm must be the workspace's name, exactly: '{}'",
                    ws.name
                ));
            }
            let objects = config.objects()?;
            let receipt =
                workspaces::erase(&database.pool, &objects, &ws, bastion_core::Actor::System)
                    .await
                    .map_err(|e| format!("erasure failed: {e}"))?;
            println!(
                "erased workspace '{}' ({}) at {}; only its erasure receipt remains",
                receipt.slug, receipt.workspace_id, receipt.erased_at
            );
        }
        WorkspaceCommand::List => {
            let list = workspaces::list_workspaces(&database.pool)
                .await
                .map_err(|e| e.to_string())?;
            if list.is_empty() {
                println!("no workspaces yet; create one with: bastion workspace create <slug>");
            }
            for ws in list {
                println!(
                    "{:<40} {:<9} v{:<4} {}  {}",
                    ws.slug,
                    ws.plan,
                    ws.schema_version,
                    ws.schema(),
                    ws.name
                );
            }
        }
    }
    Ok(())
}
