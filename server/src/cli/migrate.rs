//! `bastion migrate`, and the migration `serve` runs first unless told not to.

use std::io::Write;

use bastion_core::tenant_migrations;

use super::migrate_control_plane;
use crate::database::Database;

pub(super) async fn migrate(database: &Database, concurrency: usize) -> Result<(), String> {
    migrate_control_plane(database).await?;
    let started = std::time::Instant::now();
    let report = tenant_migrations::migrate_all(&database.pool, concurrency, |done, total| {
        // One line per 1% keeps the output readable at 10,000 schemas.
        let step = (total / 100).max(1);
        if total > 0 && (done % step == 0 || done == total) {
            eprint!("\rmigrating workspace schemas: {done}/{total}");
            let _ = std::io::stderr().flush();
            if done == total {
                eprintln!();
            }
        }
    })
    .await
    .map_err(|e| format!("tenant migration failed (run again to resume): {e}"))?;
    println!(
        "migrations done: {} workspace schema(s) brought to version {} ({} migration(s) applied) in {:.1?}",
        report.schemas_migrated,
        tenant_migrations::latest_version(),
        report.migrations_applied,
        started.elapsed()
    );
    Ok(())
}
