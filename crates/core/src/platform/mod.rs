//! What every capability runs on: the database pool and control-plane migrations, the embedded
//! PostgreSQL, the job queue, the mail outbox, live updates and the clock.

pub mod clock;
pub mod db;
pub mod embedded;
pub mod jobs;
pub mod live;
pub mod mail;
