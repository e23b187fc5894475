//! One pagination scheme for every list: `?limit=` (1–100, default 50) and an opaque `?cursor=`
//! taken from the previous page's `next_cursor`. Cursors are keyset positions (for example the
//! last row's `(created_at, id)`), so pages stay stable while rows are added.

use bastion_core::work::cursor as core_cursor;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items to return: 1–100, default 50.
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::Invalid {
                field: "limit".into(),
                message: format!("must be between 1 and {MAX_LIMIT}"),
            }),
        }
    }

    /// The decoded position, or `None` for the first page. A cursor that was not made by us is
    /// a 422 naming the field, never a panic.
    pub fn position<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        let invalid = || ApiError::Invalid {
            field: "cursor".into(),
            message: "is not a cursor from a previous page".into(),
        };
        core_cursor::decode(cursor).map(Some).ok_or_else(invalid)
    }
}

/// Encodes a keyset position as the opaque `next_cursor` of a page (core's one format, which the
/// pages' links use too).
pub fn cursor<T: Serialize>(position: &T) -> String {
    core_cursor::encode(position)
}

/// Cuts a page fetched with `limit + 1` rows: the extra row only tells that a next page exists,
/// and the last kept row gives its cursor.
pub fn split_page<T, P: Serialize>(
    mut rows: Vec<T>,
    limit: u32,
    position_of: impl Fn(&T) -> P,
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|row| cursor(&position_of(row)));
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_name_the_field() {
        for bad in [0, 101, 10_000] {
            let query = PageQuery {
                limit: Some(bad),
                cursor: None,
            };
            assert!(
                matches!(query.limit(), Err(ApiError::Invalid { field, .. }) if field == "limit")
            );
        }
        assert_eq!(PageQuery::default().limit().unwrap(), DEFAULT_LIMIT);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let position = ("2026-11-25T10:00:00Z".to_owned(), uuid::Uuid::nil());
        let query = PageQuery {
            limit: None,
            cursor: Some(cursor(&position)),
        };
        assert_eq!(
            query.position::<(String, uuid::Uuid)>().unwrap(),
            Some(position)
        );
        for garbage in ["%%%", "bm90IGpzb24", ""] {
            let query = PageQuery {
                limit: None,
                cursor: Some(garbage.into()),
            };
            assert!(
                query.position::<(String, uuid::Uuid)>().is_err(),
                "{garbage}"
            );
        }
    }

    #[test]
    fn a_page_reports_a_next_cursor_only_when_more_rows_exist() {
        let (items, next) = split_page(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(items, vec![1, 2]);
        assert_eq!(next, Some(cursor(&2)));
        let (items, next) = split_page(vec![1, 2], 2, |n| *n);
        assert_eq!((items.len(), next), (2, None));
    }
}
