//! The one cursor format of every list, REST and pages alike: a keyset position as JSON, in
//! URL-safe base64 without padding. Opaque to callers, safe in a link without escaping, and a
//! text that was not made here decodes to nothing rather than a panic.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{de::DeserializeOwned, Serialize};

use super::Position;

/// Encodes a keyset position as a cursor.
pub fn encode<T: Serialize>(position: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).expect("positions serialise"))
}

/// The position a cursor names, or `None` for a text that is not one of ours.
pub fn decode<T: DeserializeOwned>(cursor: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Position {
    pub fn to_cursor(&self) -> String {
        encode(self)
    }

    pub fn from_cursor(cursor: &str) -> Option<Self> {
        decode(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use uuid::Uuid;

    #[test]
    fn cursors_round_trip_and_garbage_is_none() {
        let position = Position {
            created_at: datetime!(2026-11-25 10:00:00.123456 UTC),
            id: Uuid::new_v4(),
        };
        assert_eq!(Position::from_cursor(&position.to_cursor()), Some(position));
        let pair = ("2026-11-25T10:00:00Z".to_owned(), Uuid::nil());
        assert_eq!(decode::<(String, Uuid)>(&encode(&pair)), Some(pair));
        assert_eq!(decode::<i64>(&encode(&42_i64)), Some(42));
        for garbage in ["%%%", "bm90IGpzb24", "", "x", "12_nope"] {
            assert_eq!(Position::from_cursor(garbage), None, "{garbage}");
        }
    }
}
