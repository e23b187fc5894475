//! Who may do what: the permission table of PRODUCT.md §2 as plain functions. The server enforces
//! them on every request; the UI asks the same functions what to show. No rule is written twice.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
    Guest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "guest" => Some(Role::Guest),
            _ => None,
        }
    }
}

/// Integrations hold other systems' credentials: admins only.
pub fn can_manage_integrations(role: Role) -> bool {
    role == Role::Admin
}

/// Members, invitations, roles and deactivation.
pub fn can_manage_members(role: Role) -> bool {
    role == Role::Admin
}

pub fn can_list_members(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

pub fn can_read_audit(role: Role) -> bool {
    role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_only_capabilities() {
        for role in [Role::Admin, Role::Member, Role::Guest] {
            let admin = role == Role::Admin;
            assert_eq!(can_manage_integrations(role), admin, "{role:?}");
            assert_eq!(can_manage_members(role), admin, "{role:?}");
            assert_eq!(can_read_audit(role), admin, "{role:?}");
        }
        assert!(can_list_members(Role::Member));
        assert!(!can_list_members(Role::Guest));
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [Role::Admin, Role::Member, Role::Guest] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
