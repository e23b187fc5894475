//! One door per action: the same rule answers the same way through the REST API and through the
//! server function the pages call. One module per capability; each test drives both doors on
//! one app and compares what they answer and what changed.

#[path = "../common/mod.rs"]
mod common;

mod identity;
mod privacy;
mod time;
mod work;
