//! Identifiers that cross the edge of the data layer: parsed once, trusted afterwards.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct WorkspaceId(pub Uuid);

impl WorkspaceId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for WorkspaceId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The name of a workspace's schema, which is also the name of its role: `ws_` and the
/// workspace id as 32 hex digits.
///
/// PostgreSQL cannot bind identifiers as parameters, so these names are spliced into DDL and into
/// the tenant transaction's first statement. That is safe only because this type can be built
/// from a `WorkspaceId` alone, never from text a user typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSchema(String);

impl TenantSchema {
    pub fn for_workspace(id: WorkspaceId) -> Self {
        Self(format!("ws_{}", id.0.simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Double-quoted for DDL; the content is `[a-z0-9_]` only, so quoting cannot be escaped.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl fmt::Display for TenantSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A workspace's address in URLs: lower-case letters, digits and inner hyphens, 1 to 40
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 40;

    pub fn parse(input: &str) -> Result<Self, CoreError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(CoreError::invalid("slug", "must not be empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(CoreError::invalid(
                "slug",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(CoreError::invalid(
                "slug",
                "may contain only lower-case letters a-z, digits and hyphens",
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(CoreError::invalid(
                "slug",
                "must start and end with a letter or digit",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = CoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_name_is_derived_from_the_id_only() {
        let id = WorkspaceId(Uuid::parse_str("0190f1c2-7b3a-7cde-8f00-123456789abc").unwrap());
        let schema = TenantSchema::for_workspace(id);
        assert_eq!(schema.as_str(), "ws_0190f1c27b3a7cde8f00123456789abc");
        assert!(
            schema.as_str().len() <= 63,
            "PostgreSQL truncates longer names"
        );
        assert_eq!(schema.quoted(), "\"ws_0190f1c27b3a7cde8f00123456789abc\"");
    }

    #[test]
    fn slugs_are_checked_with_a_reason() {
        assert_eq!(Slug::parse("acme-2").unwrap().as_str(), "acme-2");
        for (bad, reason) in [
            ("", "empty"),
            ("Acme", "lower-case"),
            ("-acme", "start and end"),
            ("acme_corp", "hyphens"),
            ("a b", "hyphens"),
            ("x".repeat(41).as_str(), "at most 40"),
        ] {
            let err = Slug::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("slug: "), "{err}");
            assert!(err.contains(reason), "{bad:?}: {err}");
        }
    }
}
