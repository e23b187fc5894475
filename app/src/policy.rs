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

/// Audit export is an admin's, and only on the Business plan (PRODUCT.md §8).
pub fn can_export_audit(role: Role, plan: &str) -> bool {
    role == Role::Admin && plan == "business"
}

/// Recording and seeing time: admins all of it, members their own, guests none.
pub fn can_track_time(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Recording time in another member's name.
pub fn can_track_time_for_others(role: Role) -> bool {
    role == Role::Admin
}

/// Uploading to a task the caller can see; guests only download.
pub fn can_upload_attachments(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Deleting an attachment: admins any, members their own uploads.
pub fn can_delete_attachment(role: Role, uploaded_by_caller: bool) -> bool {
    role == Role::Admin || (role == Role::Member && uploaded_by_caller)
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
    fn time_attachments_and_audit_export() {
        assert!(can_track_time(Role::Admin) && can_track_time(Role::Member));
        assert!(!can_track_time(Role::Guest));
        assert!(can_track_time_for_others(Role::Admin));
        assert!(!can_track_time_for_others(Role::Member));
        assert!(can_upload_attachments(Role::Member) && !can_upload_attachments(Role::Guest));
        assert!(can_delete_attachment(Role::Admin, false));
        assert!(can_delete_attachment(Role::Member, true));
        assert!(!can_delete_attachment(Role::Member, false));
        assert!(!can_delete_attachment(Role::Guest, true));
        assert!(can_export_audit(Role::Admin, "business"));
        assert!(!can_export_audit(Role::Admin, "pro"));
        assert!(!can_export_audit(Role::Member, "business"));
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [Role::Admin, Role::Member, Role::Guest] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
