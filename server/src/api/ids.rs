//! The ids a REST path names.

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use uuid::Uuid;

use crate::error::ApiError;

/// The ids a workspace path names after its slug, in order:
/// `/api/v1/workspaces/{ws}/tasks/{task_id}` gives `PathIds(task_id)` of type
/// `PathIds<Uuid>`, `…/tasks/{task_id}/comments/{comment_id}` a `PathIds<(Uuid, Uuid)>`.
pub struct PathIds<T>(pub T);

/// How many ids a path holds, and how they are handed over.
pub trait FromIds: Sized {
    fn from_ids(ids: &[Uuid]) -> Option<Self>;
}

impl FromIds for Uuid {
    fn from_ids(ids: &[Uuid]) -> Option<Self> {
        match ids {
            [id] => Some(*id),
            _ => None,
        }
    }
}

impl FromIds for (Uuid, Uuid) {
    fn from_ids(ids: &[Uuid]) -> Option<Self> {
        match ids {
            [first, second] => Some((*first, *second)),
            _ => None,
        }
    }
}

impl<S: Send + Sync, T: FromIds> FromRequestParts<S> for PathIds<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(segments) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let ids = segments
            .iter()
            .filter(|(name, _)| name != "ws")
            .map(|(_, text)| path_id(text))
            .collect::<Result<Vec<_>, _>>()?;
        T::from_ids(&ids).map(Self).ok_or_else(|| {
            ApiError::internal(format!("the handler takes other ids than {segments:?}"))
        })
    }
}

/// An id from the path. One that is not a UUID names nothing, so it is 404 like any unknown
/// id: malformed and missing look the same to a caller probing for what exists.
pub fn path_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ApiError::NotFound)
}
