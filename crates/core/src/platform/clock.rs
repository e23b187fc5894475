//! The application clock is Europe/Brussels (PRODUCT.md §1): turning instants into Brussels wall
//! time and back. PostgreSQL's time-zone database does the arithmetic, the same one reports use
//! for their day and week boundaries, so a page and a report never disagree about a date.

use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::{CoreResult, TenantTx};

/// The Brussels wall time of each instant, in order.
pub async fn local_times(
    tx: &mut TenantTx,
    instants: &[OffsetDateTime],
) -> CoreResult<Vec<PrimitiveDateTime>> {
    local_times_on(tx.conn(), instants).await
}

/// The instant a Brussels wall time names. In the hour that autumn repeats, PostgreSQL takes
/// the later (standard-time) reading; a spring-gap time is moved forward an hour.
pub async fn instant_of(tx: &mut TenantTx, local: PrimitiveDateTime) -> CoreResult<OffsetDateTime> {
    Ok(
        sqlx::query_scalar("SELECT ($1::timestamp AT TIME ZONE 'Europe/Brussels')")
            .bind(local)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Midnight at the start of a Brussels date, as an instant.
pub async fn start_of_day(tx: &mut TenantTx, date: Date) -> CoreResult<OffsetDateTime> {
    instant_of(tx, date.midnight()).await
}

/// The Brussels wall time now.
pub async fn now_local(tx: &mut TenantTx) -> CoreResult<PrimitiveDateTime> {
    now_local_on(tx.conn()).await
}

/// [`local_times`] on any connection, for a door that has no tenant transaction open (the zone
/// arithmetic reads no table).
pub async fn local_times_on(
    conn: &mut sqlx::PgConnection,
    instants: &[OffsetDateTime],
) -> CoreResult<Vec<PrimitiveDateTime>> {
    if instants.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT (i AT TIME ZONE 'Europe/Brussels')
           FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(i, n)
          ORDER BY n",
    )
    .bind(instants)
    .fetch_all(conn)
    .await?)
}

/// [`now_local`] on any connection.
pub async fn now_local_on(conn: &mut sqlx::PgConnection) -> CoreResult<PrimitiveDateTime> {
    Ok(
        sqlx::query_scalar("SELECT (now() AT TIME ZONE 'Europe/Brussels')::timestamp(0)")
            .fetch_one(conn)
            .await?,
    )
}
