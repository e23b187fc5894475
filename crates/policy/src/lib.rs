//! Who may do what: the permission table of PRODUCT.md §2 as plain functions. The server enforces
//! them on every request; the UI asks the same functions what to show. No rule is written twice.

use serde::{Deserialize, Serialize};

mod secret;
pub use secret::SecretString;

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

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Integrations hold other systems' credentials: admins only.
pub fn can_manage_integrations(role: Role) -> bool {
    role == Role::Admin
}

/// Outgoing webhooks: their secrets sign what the workspace tells other systems, and their
/// delivery log shows every event. Admins only.
pub fn can_manage_webhooks(role: Role) -> bool {
    role == Role::Admin
}

/// Members, invitations, roles and deactivation.
pub fn can_manage_members(role: Role) -> bool {
    role == Role::Admin
}

/// Whether changing one member leaves the workspace without an active admin, which is refused
/// whoever asks: `active_admins` counts them before the change, `target_is_active_admin` says
/// whether the member changed is one, `stays_admin` whether they still are after it (never for
/// a removal or a deactivation).
pub fn leaves_no_admin(
    active_admins: usize,
    target_is_active_admin: bool,
    stays_admin: bool,
) -> bool {
    target_is_active_admin && !stays_admin && active_admins <= 1
}

pub fn can_list_members(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

pub fn can_read_audit(role: Role) -> bool {
    role == Role::Admin
}

/// The workspace's settings: its plan and name. Admins only; everyone else sees no form.
pub fn can_manage_workspace(role: Role) -> bool {
    role == Role::Admin
}

/// Exporting the whole workspace (every member's data included) and downloading the archive.
pub fn can_export_workspace(role: Role) -> bool {
    role == Role::Admin
}

/// Bringing an export archive back into an empty workspace (every member's work, attributed
/// to people the importer matches).
pub fn can_import_archive(role: Role) -> bool {
    role == Role::Admin
}

/// Erasing the workspace for good.
pub fn can_erase_workspace(role: Role) -> bool {
    role == Role::Admin
}

/// A workspace's plan (PRODUCT.md §8). What each includes is decided here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Starter,
    Pro,
    Business,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Starter, Plan::Pro, Plan::Business];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Starter => "starter",
            Plan::Pro => "pro",
            Plan::Business => "business",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == value)
    }

    /// How long the audit history is kept, in days.
    pub fn retention_days(self) -> u32 {
        match self {
            Plan::Starter => 90,
            Plan::Pro => 365,
            Plan::Business => 3 * 365,
        }
    }

    /// Whether the audit history may be exported (Business only).
    pub fn includes_audit_export(self) -> bool {
        self == Plan::Business
    }
}

/// Audit retention of a stored plan name. An unknown plan gets the longest retention: losing
/// history to a typo would be worse than keeping it.
pub fn plan_retention_days(plan: &str) -> u32 {
    Plan::parse(plan).map_or(Plan::Business.retention_days(), Plan::retention_days)
}

/// The plans' names, cheapest first.
pub const PLANS: [&str; 3] = ["starter", "pro", "business"];

// --- Projects, tasks, tags, viewers, comments ---
//
// Seeing a task is decided in SQL by one predicate (`work::VISIBLE` in crates/core), so a
// forbidden row is never loaded and lists filter where they are read. The functions below decide
// a change *given the caller sees the task*: a task the caller cannot see is a 404 before they
// are asked.

/// Creating, renaming and archiving projects: admins and members; guests never (they only see
/// projects holding a task they view).
pub fn can_manage_projects(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// A project's task-key prefix (`ACME` in `ACME-142`): admins only, since every key of the
/// project changes with it. A member creating a project gets the prefix derived from its name.
pub fn can_set_project_prefix(role: Role) -> bool {
    matches!(role, Role::Admin)
}

/// The workspace's tag catalogue (create, rename, recolour, delete): admins and members.
pub fn can_manage_tags(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// What the policy needs to know about a visible task, relative to the caller. Booleans rather
/// than ids so this module stays free of server-only dependencies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskFacts {
    /// The caller created the task.
    pub viewer_is_creator: bool,
}

pub fn can_create_task(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Admins edit any task, members every task they can see, guests none.
pub fn can_edit_task(role: Role, _task: &TaskFacts) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Admins delete any task, members only the tasks they created.
pub fn can_delete_task(role: Role, task: &TaskFacts) -> bool {
    match role {
        Role::Admin => true,
        Role::Member => task.viewer_is_creator,
        Role::Guest => false,
    }
}

/// Adding, ticking, unticking and removing checklist items: whoever may edit the task.
pub fn can_edit_checklist(role: Role, task: &TaskFacts) -> bool {
    can_edit_task(role, task)
}

/// Making a task repeat, changing or stopping its rule: whoever may edit the task, since each
/// occurrence is a copy of it.
pub fn can_manage_recurrence(role: Role, task: &TaskFacts) -> bool {
    can_edit_task(role, task)
}

/// Defining a project's custom fields (add, rename, change the options, delete): admins only,
/// since every task of the project carries them and deleting one deletes its values.
pub fn can_manage_fields(role: Role) -> bool {
    matches!(role, Role::Admin)
}

/// Filling in or clearing a task's custom field values: whoever may edit the task.
pub fn can_fill_fields(role: Role, task: &TaskFacts) -> bool {
    can_edit_task(role, task)
}

/// Moving a card on the board (to another column, or within one): whoever may edit the task,
/// since a move to another column changes its status.
pub fn can_move_task(role: Role, task: &TaskFacts) -> bool {
    can_edit_task(role, task)
}

/// Relating two tasks (blocks, relates to, duplicates) or removing a relation: whoever may edit
/// the task it is made from, and sees both (the core loads both through the visibility rule).
pub fn can_manage_task_relations(role: Role, task: &TaskFacts) -> bool {
    can_edit_task(role, task)
}

/// Adding and removing tags on a (visible) task.
pub fn can_manage_task_tags(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Adding and removing viewers on a (visible) task.
pub fn can_manage_task_viewers(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Everyone may comment on a task they see (for a guest: a task they view).
pub fn can_comment(_role: Role) -> bool {
    true
}

/// Everyone who sees a task may watch or unwatch it (for a guest: a task they view); a watch
/// decides only what the watcher is told, and they are told only what they may see.
pub fn can_watch_task(_role: Role) -> bool {
    true
}

/// Every member, guests included, chooses how they are told by email about what they may see in
/// a workspace; only ever their own choices.
pub fn can_set_notification_preferences(_role: Role) -> bool {
    true
}

/// Everyone keeps saved views of the task list for themselves; sharing one with the workspace
/// is for admins and members, and only they see shared views (a guest's list is narrower, and a
/// view's name and filters are the team's words).
pub fn can_share_view(role: Role) -> bool {
    role != Role::Guest
}

/// Whether shared views are listed for this role; see [`can_share_view`].
pub fn can_see_shared_views(role: Role) -> bool {
    role != Role::Guest
}

/// A saved view is deleted by whoever saved it; a shared one also by any admin.
pub fn can_delete_view(role: Role, own: bool) -> bool {
    own || role == Role::Admin
}

/// Only the author edits a comment, admins included: nobody puts words in someone else's mouth.
pub fn can_edit_comment(_role: Role, viewer_is_author: bool) -> bool {
    viewer_is_author
}

/// Authors delete their own comments; admins delete any.
pub fn can_delete_comment(role: Role, viewer_is_author: bool) -> bool {
    role == Role::Admin || viewer_is_author
}

/// Audit export is an admin's, and only on the Business plan (PRODUCT.md §8).
pub fn can_export_audit(role: Role, plan: &str) -> bool {
    role == Role::Admin && Plan::parse(plan).is_some_and(Plan::includes_audit_export)
}

/// Recording and seeing time: admins all of it, members their own, guests none.
pub fn can_track_time(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Member)
}

/// Editing or deleting a time entry: admins any, members their own, guests none.
pub fn can_change_time_entry(role: Role, own: bool) -> bool {
    role == Role::Admin || (role == Role::Member && own)
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
            assert_eq!(can_manage_webhooks(role), admin, "{role:?}");
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
        assert!(can_change_time_entry(Role::Admin, false));
        assert!(can_change_time_entry(Role::Member, true));
        assert!(!can_change_time_entry(Role::Member, false));
        assert!(!can_change_time_entry(Role::Guest, true));
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
    fn plans_round_trip_and_decide_retention_and_export() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Some(plan));
            assert!(PLANS.contains(&plan.as_str()));
        }
        assert_eq!(plan_retention_days("starter"), 90);
        assert_eq!(plan_retention_days("pro"), 365);
        assert_eq!(plan_retention_days("business"), 1095);
        assert_eq!(plan_retention_days("unknown"), 1095);
        assert!(Plan::Business.includes_audit_export());
        assert!(!Plan::Pro.includes_audit_export() && !Plan::Starter.includes_audit_export());
    }

    #[test]
    fn watching_and_mentions() {
        for role in [Role::Admin, Role::Member, Role::Guest] {
            assert!(can_watch_task(role), "{role:?}");
            assert!(can_set_notification_preferences(role), "{role:?}");
        }
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [Role::Admin, Role::Member, Role::Guest] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
    }

    const ROLES: [Role; 3] = [Role::Admin, Role::Member, Role::Guest];

    #[test]
    fn projects_tags_and_task_creation_are_for_admins_and_members() {
        // (role, expected) for every capability that only depends on the role.
        for (role, expected) in [
            (Role::Admin, true),
            (Role::Member, true),
            (Role::Guest, false),
        ] {
            assert_eq!(can_manage_projects(role), expected, "{role:?}");
            assert_eq!(can_manage_tags(role), expected, "{role:?}");
            assert_eq!(can_create_task(role), expected, "{role:?}");
            assert_eq!(can_manage_task_tags(role), expected, "{role:?}");
            assert_eq!(can_manage_task_viewers(role), expected, "{role:?}");
            for facts in [
                TaskFacts {
                    viewer_is_creator: true,
                },
                TaskFacts::default(),
            ] {
                assert_eq!(can_edit_task(role, &facts), expected, "{role:?} {facts:?}");
                assert_eq!(can_edit_checklist(role, &facts), expected, "{role:?}");
                assert_eq!(can_move_task(role, &facts), expected, "{role:?}");
                assert_eq!(can_manage_recurrence(role, &facts), expected, "{role:?}");
                assert_eq!(can_fill_fields(role, &facts), expected, "{role:?}");
                assert_eq!(
                    can_manage_task_relations(role, &facts),
                    expected,
                    "{role:?}"
                );
            }
            assert_eq!(
                can_set_project_prefix(role),
                role == Role::Admin,
                "{role:?}"
            );
            assert_eq!(can_manage_fields(role), role == Role::Admin, "{role:?}");
        }
    }

    #[test]
    fn deleting_a_task_takes_an_admin_or_its_creating_member() {
        // (role, caller created it, may delete)
        for (role, creator, expected) in [
            (Role::Admin, true, true),
            (Role::Admin, false, true),
            (Role::Member, true, true),
            (Role::Member, false, false),
            (Role::Guest, true, false),
            (Role::Guest, false, false),
        ] {
            let facts = TaskFacts {
                viewer_is_creator: creator,
            };
            assert_eq!(
                can_delete_task(role, &facts),
                expected,
                "{role:?} creator={creator}"
            );
        }
    }

    #[test]
    fn comments_are_edited_by_their_author_and_deleted_by_author_or_admin() {
        // (role, caller wrote it, may edit, may delete)
        for (role, author, edit, delete) in [
            (Role::Admin, true, true, true),
            (Role::Admin, false, false, true),
            (Role::Member, true, true, true),
            (Role::Member, false, false, false),
            (Role::Guest, true, true, true),
            (Role::Guest, false, false, false),
        ] {
            assert_eq!(
                can_edit_comment(role, author),
                edit,
                "{role:?} author={author}"
            );
            assert_eq!(
                can_delete_comment(role, author),
                delete,
                "{role:?} author={author}"
            );
        }
        for role in ROLES {
            assert!(can_comment(role), "{role:?} comments on tasks they see");
        }
    }

    #[test]
    fn only_the_last_active_admin_losing_the_role_leaves_no_admin() {
        assert!(
            leaves_no_admin(1, true, false),
            "the only admin deactivated or removed"
        );
        assert!(!leaves_no_admin(1, true, true), "the only admin stays one");
        assert!(!leaves_no_admin(2, true, false), "another admin remains");
        assert!(
            !leaves_no_admin(1, false, false),
            "a member changed, the admin remains"
        );
    }
}
