//! Live updates: the workspace's durable event table (`live_events`, written by triggers in the
//! change's own transaction, control-plane migration 0024 and tenant migration 0013), one
//! PostgreSQL `LISTEN` connection per process on the channel `bastion_live`, and the fan-out to
//! the event streams of each workspace.
//!
//! A notification carries only `{workspace, kind, id, seq}` and is used as a wake-up: each
//! workspace with open streams has one dispatcher task which, when woken, reads the table
//! *after the lowest position of its streams* and decides for every stream, in one query,
//! whether its person is still an active member and sees the event (the task visibility
//! predicate, `work::visible_to`, as they are now). So nothing is taken from the notification
//! but the hint that there is something to read: a notification lost while the listener was
//! reconnecting (the listener wakes every dispatcher after each reconnect), or one a
//! workspace role forged with `NOTIFY`, changes nothing, and every stream gets every event
//! after its position exactly once, in order (`seq` increases in commit order within a
//! workspace, see the migration).
//!
//! Why one dispatcher per workspace rather than a broadcast each stream filters on its own:
//! the re-check is one query per batch for all of a workspace's streams instead of one per
//! stream and event (1,000 streams, one event: one query, not 1,000).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bastion_policy::Role;
use sqlx::{postgres::PgListener, AssertSqlSafe, PgPool};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{Actor, CoreResult, TenantSchema, TenantTx, Viewer, WorkspaceId};

/// The one channel every server listens on.
pub const CHANNEL: &str = "bastion_live";
/// How many events a dispatcher reads at once.
const BATCH: i64 = 500;
/// Events queued for one stream before it counts as too slow and is ended (its client
/// reconnects with `Last-Event-ID` and is replayed from the table, so nothing is lost).
const STREAM_QUEUE: usize = 256;
/// How long events are kept (`purge_all`): a client away for longer is told to reload.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// One event as a stream sends it: ids only, never content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LiveEvent {
    /// The stream's event id (SSE `id`), increasing within the workspace.
    pub seq: i64,
    /// `task.created`, `task.updated`, `task.moved`, `task.deleted`, `comment.created`,
    /// `comment.updated`, `comment.deleted`, `notification.created`, `notification.read`,
    /// `member.added`, `member.updated`, `member.removed`.
    pub kind: String,
    /// The task, comment, notice or member (user id) it is about.
    pub id: Uuid,
    /// The task it belongs to, if any.
    pub task_id: Option<Uuid>,
}

/// What a stream receives next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Event(LiveEvent),
    /// Events after the client's `Last-Event-ID` are no longer all on record (older than the
    /// retention), or the id is not one of this workspace's: the client should reload what it
    /// shows. Carries the position the stream continues from.
    Reset(i64),
    /// The person is no longer an active member: the stream ends.
    Closed,
}

/// Why [`Subscription::next`] returned nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// No longer an active member of the workspace.
    NotAMember,
    /// The stream fell too far behind (or the hub went away); the client reconnects with its
    /// `Last-Event-ID` and is replayed.
    Lagged,
}

/// The fan-out of one process. Cheap to clone; the listener starts with the first stream.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    reconnect_delay: Duration,
    channels: Mutex<HashMap<Uuid, Arc<Channel>>>,
    started: std::sync::Once,
    listener_pid: AtomicI32,
    connects: AtomicU64,
    next_id: AtomicU64,
}

struct Channel {
    workspace: Uuid,
    wake: Notify,
    stop: CancellationToken,
    streams: Mutex<HashMap<u64, Stream>>,
}

struct Stream {
    user_id: Uuid,
    /// Every event up to here has been considered for this stream.
    cursor: i64,
    tx: mpsc::Sender<Delivery>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("streams", &self.open_streams())
            .finish()
    }
}

impl Hub {
    /// A hub over the serving pool; the listener reconnects one second after losing its
    /// connection.
    pub fn new(pool: PgPool) -> Self {
        Self::with_reconnect_delay(pool, Duration::from_secs(1))
    }

    pub fn with_reconnect_delay(pool: PgPool, reconnect_delay: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                reconnect_delay,
                channels: Mutex::default(),
                started: std::sync::Once::new(),
                listener_pid: AtomicI32::new(0),
                connects: AtomicU64::new(0),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// The backend process id of the LISTEN connection, once connected (0 before).
    pub fn listener_pid(&self) -> i32 {
        self.inner.listener_pid.load(Ordering::Relaxed)
    }

    /// How many times the listener has connected (1 after the first connection).
    pub fn listener_connects(&self) -> u64 {
        self.inner.connects.load(Ordering::Relaxed)
    }

    /// Streams open in this process.
    pub fn open_streams(&self) -> usize {
        let channels = self.inner.channels.lock().expect("live channels");
        channels
            .values()
            .map(|c| c.streams.lock().expect("live streams").len())
            .sum()
    }

    /// Opens a stream for the caller of `tx` (an active member's transaction, which the caller
    /// commits afterwards) from `last_event_id`, or from now without one. Reading where to start
    /// happens after the stream is registered, so no event falls between the two.
    pub async fn subscribe(
        &self,
        tx: &mut TenantTx,
        viewer: &Viewer,
        last_event_id: Option<i64>,
    ) -> CoreResult<Subscription> {
        let workspace = schema_workspace(tx.schema());
        let (first, last): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT min(seq), max(seq) FROM live_events")
                .fetch_one(tx.conn())
                .await?;
        let head = last.unwrap_or(0);
        let (cursor, reset) = match last_event_id {
            None => (head, false),
            // From a later (or another workspace's) stream: nothing to replay that we can trust.
            Some(id) if id > head => (head, true),
            // Events after `id` were purged: the oldest kept is not the next one.
            Some(id) if first.is_some_and(|first| id < first - 1) => (head, true),
            Some(id) => (id.max(0), false),
        };
        let (sender, receiver) = mpsc::channel(STREAM_QUEUE);
        if reset {
            // The queue is empty: this cannot fail.
            let _ = sender.try_send(Delivery::Reset(cursor));
        }
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let channel = self.register(workspace, id, viewer.user_id, cursor, sender);
        self.start_listener();
        channel.wake.notify_one();
        Ok(Subscription {
            receiver,
            last_sent: cursor,
            guard: Guard {
                hub: Arc::downgrade(&self.inner),
                workspace,
                id,
            },
        })
    }

    fn register(
        &self,
        workspace: Uuid,
        id: u64,
        user_id: Uuid,
        cursor: i64,
        tx: mpsc::Sender<Delivery>,
    ) -> Arc<Channel> {
        let mut channels = self.inner.channels.lock().expect("live channels");
        let channel = channels
            .entry(workspace)
            .or_insert_with(|| {
                let channel = Arc::new(Channel {
                    workspace,
                    wake: Notify::new(),
                    stop: CancellationToken::new(),
                    streams: Mutex::default(),
                });
                tokio::spawn(dispatch(self.inner.pool.clone(), channel.clone()));
                channel
            })
            .clone();
        channel.streams.lock().expect("live streams").insert(
            id,
            Stream {
                user_id,
                cursor,
                tx,
            },
        );
        channel
    }

    fn start_listener(&self) {
        self.inner.started.call_once(|| {
            tokio::spawn(listen(Arc::downgrade(&self.inner)));
        });
    }
}

/// One open stream. Dropping it unsubscribes; the last stream of a workspace stops its
/// dispatcher.
pub struct Subscription {
    receiver: mpsc::Receiver<Delivery>,
    last_sent: i64,
    guard: Guard,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("last_sent", &self.last_sent)
            .finish()
    }
}

impl Subscription {
    /// The next event or reset, in order and each once; `Err` when the stream is over.
    pub async fn next(&mut self) -> Result<Delivery, End> {
        loop {
            match self.receiver.recv().await {
                Some(Delivery::Event(event)) => {
                    // A stream never goes back: what it has sent is never sent again.
                    if event.seq <= self.last_sent {
                        continue;
                    }
                    self.last_sent = event.seq;
                    return Ok(Delivery::Event(event));
                }
                Some(Delivery::Reset(seq)) => {
                    self.last_sent = self.last_sent.max(seq);
                    return Ok(Delivery::Reset(seq));
                }
                Some(Delivery::Closed) => return Err(End::NotAMember),
                None => return Err(End::Lagged),
            }
        }
    }

    /// The id of the last event sent (where a reconnect continues from).
    pub fn last_event_id(&self) -> i64 {
        self.last_sent
    }

    /// The workspace this stream follows.
    pub fn workspace(&self) -> WorkspaceId {
        WorkspaceId(self.guard.workspace)
    }
}

/// Where the workspace's event stream stands: the `seq` of its newest event (0 before any). A
/// page reads it before the data it shows; since `seq` follows commit order, everything an
/// event up to this position announces is already in that data, so the page can skip the
/// refetch such an event would ask for (its own change, announced after the page reloaded).
pub async fn position(tx: &mut TenantTx) -> CoreResult<i64> {
    let (head,): (Option<i64>,) = sqlx::query_as("SELECT max(seq) FROM live_events")
        .fetch_one(tx.conn())
        .await?;
    Ok(head.unwrap_or(0))
}

struct Guard {
    hub: Weak<Inner>,
    workspace: Uuid,
    id: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            remove_stream(&hub, self.workspace, self.id);
        }
    }
}

fn remove_stream(hub: &Inner, workspace: Uuid, id: u64) {
    let mut channels = hub.channels.lock().expect("live channels");
    if let Some(channel) = channels.get(&workspace) {
        let mut streams = channel.streams.lock().expect("live streams");
        streams.remove(&id);
        if streams.is_empty() {
            channel.stop.cancel();
            drop(streams);
            channels.remove(&workspace);
        }
    }
}

fn schema_workspace(schema: &TenantSchema) -> Uuid {
    // `ws_` and 32 hex digits, made from the id (`TenantSchema::for_workspace`).
    Uuid::parse_str(&schema.as_str()[3..]).expect("a workspace schema names its id")
}

/// The one LISTEN connection: every notification wakes its workspace's dispatcher; every
/// (re)connection wakes them all, since notifications sent while it was down are gone (the
/// table is not). Ends when the hub is dropped or its pool closed.
async fn listen(hub: Weak<Inner>) {
    loop {
        let Some(inner) = hub.upgrade() else { return };
        let pool = inner.pool.clone();
        let delay = inner.reconnect_delay;
        drop(inner);
        if pool.is_closed() {
            return;
        }
        match connect(&pool).await {
            Ok((mut listener, pid)) => {
                let Some(inner) = hub.upgrade() else { return };
                inner.listener_pid.store(pid, Ordering::Relaxed);
                inner.connects.fetch_add(1, Ordering::Relaxed);
                wake_all(&inner);
                drop(inner);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            let Some(inner) = hub.upgrade() else { return };
                            if let Some(workspace) = notified_workspace(notification.payload()) {
                                let channel = inner
                                    .channels
                                    .lock()
                                    .expect("live channels")
                                    .get(&workspace)
                                    .cloned();
                                if let Some(channel) = channel {
                                    channel.wake.notify_one();
                                }
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("live updates: the LISTEN connection was lost");
                            break;
                        }
                        // The process is shutting down: nothing to listen for.
                        Err(_) if pool.is_closed() => return,
                        Err(e) => {
                            tracing::warn!(error = %e, "live updates: the LISTEN connection failed");
                            break;
                        }
                    }
                }
                if let Some(inner) = hub.upgrade() {
                    inner.listener_pid.store(0, Ordering::Relaxed);
                }
            }
            Err(e) => tracing::warn!(error = %e, "live updates: cannot LISTEN; retrying"),
        }
        tokio::time::sleep(delay).await;
    }
}

async fn connect(pool: &PgPool) -> CoreResult<(PgListener, i32)> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection is reported (`Ok(None)`) rather than silently replaced, so that the
    // catch-up runs after the new LISTEN, never before it.
    listener.eager_reconnect(false);
    listener.ignore_pool_close_event(false);
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut listener)
        .await?;
    listener.listen(CHANNEL).await?;
    Ok((listener, pid))
}

fn wake_all(inner: &Inner) {
    for channel in inner.channels.lock().expect("live channels").values() {
        channel.wake.notify_one();
    }
}

/// The workspace of a notification's payload; the rest is not trusted (see the module's
/// comment) and not needed.
fn notified_workspace(payload: &str) -> Option<Uuid> {
    #[derive(serde::Deserialize)]
    struct Payload {
        workspace: Uuid,
    }
    serde_json::from_str::<Payload>(payload)
        .ok()
        .map(|p| p.workspace)
}

/// One workspace's dispatcher: on each wake, reads what its streams have not yet considered
/// and sends each stream what its person may see now.
async fn dispatch(pool: PgPool, channel: Arc<Channel>) {
    let schema = TenantSchema::for_workspace(WorkspaceId(channel.workspace));
    loop {
        tokio::select! {
            () = channel.stop.cancelled() => return,
            () = channel.wake.notified() => {}
        }
        loop {
            match dispatch_batch(&pool, &schema, &channel).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, workspace = %channel.workspace,
                                   "live updates: dispatch failed; retrying");
                    tokio::select! {
                        () = channel.stop.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }
}

type EventRow = (
    i64,
    String,
    Uuid,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<bool>,
);

/// Events after `after` with, for each of `people` who is an active member, whether the task
/// it is about is visible to them now (`None` for events about no task). The events are
/// limited, not the rows, and every event has at least one row (no person, when none of them
/// is an active member), so the highest `seq` read is known from this one statement. The
/// caller's transaction may be any workspace transaction: who may see what is read from
/// `members`, not from the transaction's caller.
fn events_sql() -> String {
    format!(
        "SELECT e.seq, e.kind, e.entity_id, e.task_id, e.recipient_id, m.user_id,
                CASE WHEN e.task_id IS NULL THEN NULL
                     WHEN t.id IS NULL THEN m.role = 'admin'
                          OR (m.role = 'member' AND e.task_private IS FALSE)
                     ELSE {} END
           FROM (SELECT * FROM live_events WHERE seq > $1 ORDER BY seq LIMIT $3) e
           LEFT JOIN members m ON m.user_id = ANY($2) AND m.active
           LEFT JOIN tasks t ON t.id = e.task_id
          ORDER BY e.seq",
        crate::work::visible_to("m.user_id", "m.role")
    )
}

/// Whether `user` (with `role`) may be told of an event: a notice only to its recipient; a
/// member change to those who may list members and to the member concerned; anything about a
/// task only to those who see that task now.
fn may_see(
    kind: &str,
    entity: Uuid,
    recipient: Option<Uuid>,
    user: Uuid,
    role: Role,
    visible: Option<bool>,
) -> bool {
    if kind.starts_with("notification.") {
        recipient == Some(user) && visible == Some(true)
    } else if kind.starts_with("member.") {
        bastion_policy::can_list_members(role) || entity == user
    } else {
        visible == Some(true)
    }
}

/// One batch; `true` when there may be more to read at once.
async fn dispatch_batch(
    pool: &PgPool,
    schema: &TenantSchema,
    channel: &Channel,
) -> CoreResult<bool> {
    let snapshot: Vec<(u64, Uuid, i64)> = channel
        .streams
        .lock()
        .expect("live streams")
        .iter()
        .map(|(id, s)| (*id, s.user_id, s.cursor))
        .collect();
    let Some(after) = snapshot.iter().map(|s| s.2).min() else {
        return Ok(false);
    };
    let mut people: Vec<Uuid> = snapshot.iter().map(|s| s.1).collect();
    people.sort_unstable();
    people.dedup();

    let mut tx = TenantTx::begin(pool, schema, Actor::System).await?;
    let members: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT user_id, role FROM members WHERE user_id = ANY($1) AND active")
            .bind(&people)
            .fetch_all(tx.conn())
            .await?;
    let rows: Vec<EventRow> = sqlx::query_as(AssertSqlSafe(events_sql()))
        .bind(after)
        .bind(&people)
        .bind(BATCH)
        .fetch_all(tx.conn())
        .await?;
    tx.commit().await?;
    // Read from the same statement as the rows: a later one could see events committed since,
    // which no stream would then ever be sent.
    let highest = rows.last().map(|r| r.0);
    let mut count = 0;
    let mut previous = None;
    for row in &rows {
        if previous != Some(row.0) {
            count += 1;
            previous = Some(row.0);
        }
    }

    let roles: HashMap<Uuid, Role> = members
        .into_iter()
        .filter_map(|(user, role)| Role::parse(&role).map(|r| (user, r)))
        .collect();
    let mut streams = channel.streams.lock().expect("live streams");
    let mut gone = Vec::new();
    for (id, user, cursor) in snapshot {
        let Some(stream) = streams.get_mut(&id) else {
            continue;
        };
        let Some(&role) = roles.get(&user) else {
            // Deactivated or removed: the stream closes at this event.
            let _ = stream.tx.try_send(Delivery::Closed);
            gone.push(id);
            continue;
        };
        let mut lagged = false;
        for (seq, kind, entity, task, recipient, _, visible) in
            rows.iter().filter(|r| r.5 == Some(user) && r.0 > cursor)
        {
            if !may_see(kind, *entity, *recipient, user, role, *visible) {
                continue;
            }
            let event = LiveEvent {
                seq: *seq,
                kind: kind.clone(),
                id: *entity,
                task_id: *task,
            };
            if stream.tx.try_send(Delivery::Event(event)).is_err() {
                lagged = true;
                break;
            }
        }
        if lagged {
            gone.push(id);
        } else if let Some(highest) = highest {
            stream.cursor = stream.cursor.max(highest);
        }
    }
    for id in gone {
        streams.remove(&id);
    }
    Ok(count == BATCH)
}

/// Deletes events older than [`RETENTION`] in every workspace, keeping each workspace's newest
/// (so that a stream reconnecting after the purge can tell it missed some). Run hourly with the
/// audit purge; several processes may run it at once.
pub async fn purge_all(pool: &PgPool, now: time::OffsetDateTime) -> CoreResult<u64> {
    let pool = &crate::db::provisioning(pool);
    let cutoff = now - RETENTION;
    let mut deleted = 0;
    for ws in crate::workspaces::list_workspaces(pool).await? {
        let q = ws.schema().quoted();
        let mut tx = pool.begin().await?;
        sqlx::Executor::execute(&mut *tx, "SET LOCAL ROLE bastion_tenant_owner").await?;
        // A workspace not yet migrated has no table (tenant migration 0013).
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("{q}.live_events"))
            .fetch_one(&mut *tx)
            .await?;
        if exists {
            deleted += sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {q}.live_events
                  WHERE at < $1 AND seq < (SELECT max(seq) FROM {q}.live_events)"
            )))
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
    }
    Ok(deleted)
}

/// Takes the workspace's event lock (the history lock, which every event is written under)
/// before a change whose triggers write an event but which locks rows first (members): taking it
/// first keeps such a change from waiting on it while holding rows a task change waits for.
pub(crate) async fn lock_events(tx: &mut TenantTx) -> CoreResult<()> {
    let schema = tx.schema().as_str().to_owned();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('bastion.history:' || $1, 0))")
        .bind(schema)
        .execute(tx.conn())
        .await?;
    Ok(())
}
