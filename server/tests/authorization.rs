//! The authorization matrix: every endpoint, called by every kind of caller, against
//! expectations written as a table. An endpoint in the OpenAPI document without a row here fails
//! the test, so a new endpoint cannot ship without its permissions being decided.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, Cast, TestApp};
use serde_json::json;

/// Expected status per caller: admin, member, guest, deactivated member, admin of another
/// workspace, anonymous. `{id}` in a path is filled from `fixture`.
struct Row {
    method: &'static str,
    path: &'static str,
    fixture: Fixture,
    body: Option<serde_json::Value>,
    expect: [u16; 6],
}

#[derive(Clone, Copy, PartialEq)]
enum Fixture {
    None,
    /// An integration of the cast's workspace, made by its admin.
    Integration,
    /// A webhook endpoint of the cast's workspace, made by its admin: `{id}`.
    Webhook,
    /// A delivery of that kind of endpoint: `{id}` (the endpoint), `{delivery_id}`.
    WebhookDelivery,
    /// A chat notification of the cast's workspace through a Slack integration: `{id}`.
    Chat,
    /// A session of a user outside the cast.
    ForeignSession,
    /// A fresh member of the cast's workspace, for removal.
    ExtraMember,
    /// An open invitation of the cast's workspace: its id.
    Invitation,
    /// An open invitation of the cast's workspace: the token of its link.
    InvitationToken,
    /// A project holding a task the guest views: `{project_id}`.
    Project,
    /// A task made by the admin that the guest views: `{task_id}`.
    ViewedTask,
    /// A private task of the admin's that nobody else views: `{task_id}`.
    PrivateTask,
    /// A viewed task carrying a tag: `{task_id}`, `{tag_id}`.
    TaskTag,
    /// A viewed task and its viewer, the guest: `{task_id}`, `{user_id}`.
    TaskViewer,
    /// The admin's comment on a viewed task: `{task_id}`, `{comment_id}`.
    Comment,
    /// A tag of the workspace: `{tag_id}`.
    Tag,
    /// A public task of the cast's workspace, made by its admin (the guest does not view it):
    /// `{task_id}`, also as `{id}` in bodies.
    Task,
    /// A time entry of the cast's admin on a public task: `{entry_id}`.
    AdminTimeEntry,
    /// An attachment the cast's member uploaded to a public task: `{attachment_id}`.
    MemberAttachment,
    /// An attachment the cast's admin uploaded to a public task: `{attachment_id}`.
    AdminAttachment,
    /// A finished export of the cast's workspace, started by its admin: `{export_id}`.
    Export,
    /// A viewed task with a time entry of the admin's: `{task_id}`, `{entry_id}`.
    AdminTaskEntry,
    /// A viewed task with a time entry of the member's: `{task_id}`, `{entry_id}`.
    MemberTaskEntry,
    /// A viewed task with a file the admin uploaded: `{task_id}`, `{attachment_id}`.
    AdminTaskAttachment,
    /// A viewed task with a file the member uploaded: `{task_id}`, `{attachment_id}`.
    MemberTaskAttachment,
    /// An API token of the cast's admin for the cast's workspace: `{token_id}`.
    AdminToken,
    /// A notice in the admin's inbox (the member commented on the admin's task):
    /// `{notification_id}`, also as `{id}`.
    AdminNotice,
    /// The key of a task the guest views: `{key}`.
    ViewedTaskKey,
    /// The key of a private task of the admin's that nobody else views: `{key}`.
    PrivateTaskKey,
    /// A viewed task with a checklist item: `{task_id}`, `{item_id}`.
    ChecklistItem,
    /// Two viewed tasks: `{task_id}` and the other's key, `{other_key}`.
    TaskPair,
    /// A viewed task, `{task_id}`, and the key of a private task of the admin's, `{other_key}`.
    ViewedAndPrivate,
    /// A viewed task related to another viewed task: `{task_id}`, `{relation_id}`.
    Relation,
    /// A viewed task that repeats monthly: `{task_id}`.
    RecurringTask,
    /// A private task of the admin's that nobody else views, repeating monthly: `{task_id}`.
    PrivateRecurringTask,
    /// For bulk edit: a viewed task, `{task_id}`, and a private task of the admin's that
    /// nobody else views, `{private_id}`.
    BulkTasks,
    /// A view of the task list the member saved and shared: `{view_id}`.
    SharedView,
    /// A view of the task list the member saved for themselves: `{view_id}`.
    PersonalView,
    /// A task the guest views and a € field of its project: `{project_id}`, `{task_id}`,
    /// `{field_id}`.
    Field,
    /// The same with a private task of the admin's that nobody else views.
    PrivateField,
}

impl Fixture {
    /// The work fixtures are made afresh for every caller, so that one caller's successful
    /// change or deletion does not decide what the next one sees.
    fn per_caller(self) -> bool {
        !matches!(
            self,
            Fixture::None
                | Fixture::Integration
                | Fixture::Webhook
                | Fixture::Chat
                | Fixture::WebhookDelivery
                | Fixture::ForeignSession
                | Fixture::Invitation
                | Fixture::InvitationToken
                | Fixture::ExtraMember
                | Fixture::Task
                | Fixture::AdminTimeEntry
                | Fixture::MemberAttachment
                | Fixture::AdminAttachment
                | Fixture::Export
                | Fixture::AdminToken
                | Fixture::AdminNotice
        )
    }
}

const CALLERS: [&str; 6] = [
    "admin",
    "member",
    "guest",
    "deactivated",
    "stranger",
    "anonymous",
];

/// Endpoints anyone may call, signed in or not; listed so the completeness check knows them.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/auth/sign-in"),
    ("post", "/api/v1/auth/sign-in/second-factor"),
    ("post", "/api/v1/auth/sign-in/second-factor/passkey/options"),
    ("post", "/api/v1/auth/sign-in/second-factor/passkey"),
    ("post", "/api/v1/auth/passkey/options"),
    ("post", "/api/v1/auth/passkey"),
    ("get", "/api/v1/auth/sso/start"),
    ("get", "/api/v1/auth/sso/callback"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/auth/sign-up"),
    ("post", "/api/v1/auth/sign-up/confirm"),
    ("get", "/api/v1/privacy/register"),
    ("get", "/api/v1/privacy/subprocessors"),
    ("post", "/api/v1/privacy/requests"),
];

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Fixture::*;
    let integration = json!({"kind": "github", "name": "Deploy bot", "access_token": "ghp_0123456789abcdef"});
    vec![
        Row { method: "GET", path: "/api/v1/me", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        // A wrong password deletes nothing, for anyone signed in.
        Row { method: "DELETE", path: "/api/v1/me", fixture: None, body: Some(json!({"password": "not the password"})), expect: [422, 422, 422, 422, 422, 401] },
        Row { method: "GET", path: "/api/v1/me/sessions", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        // A wrong current password changes nothing, for anyone signed in.
        Row { method: "PUT", path: "/api/v1/me/password", fixture: None, body: Some(json!({"current_password": "not it at all", "new_password": "a brand new passphrase"})), expect: [422, 422, 422, 422, 422, 401] },
        // Everyone signed in chooses their own colour scheme.
        Row { method: "GET", path: "/api/v1/me/theme", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "PUT", path: "/api/v1/me/theme", fixture: None, body: Some(json!({"theme": "dark"})), expect: [200, 200, 200, 200, 200, 401] },
        // And their own language.
        Row { method: "GET", path: "/api/v1/me/locale", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "PUT", path: "/api/v1/me/locale", fixture: None, body: Some(json!({"locale": "en"})), expect: [200, 200, 200, 200, 200, 401] },
        // Two-factor sign-in is each signed-in person's own; tokens never reach it. An unknown
        // challenge is refused for everyone, signed in or not.
        Row { method: "POST", path: "/api/v1/auth/sign-in/second-factor", fixture: None, body: Some(json!({"challenge": "no-such-challenge", "code": "000000"})), expect: [422, 422, 422, 422, 422, 422] },
        Row { method: "GET", path: "/api/v1/me/two-factor", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "POST", path: "/api/v1/me/two-factor/enrolment", fixture: None, body: Option::None, expect: [201, 201, 201, 201, 201, 401] },
        // A wrong first code turns nothing on.
        Row { method: "POST", path: "/api/v1/me/two-factor/enrolment/confirm", fixture: None, body: Some(json!({"code": "000000"})), expect: [422, 422, 422, 422, 422, 401] },
        // Not on (only started): nothing to renew or turn off.
        Row { method: "POST", path: "/api/v1/me/two-factor/recovery-codes", fixture: None, body: Some(json!({"password": "not the password", "code": "000000"})), expect: [409, 409, 409, 409, 409, 401] },
        Row { method: "DELETE", path: "/api/v1/me/two-factor", fixture: None, body: Some(json!({"password": "not the password", "code": "000000"})), expect: [409, 409, 409, 409, 409, 401] },
        // Passkeys are each signed-in person's own, like two-factor sign-in; tokens never reach
        // them. Signing in with one needs no session: anyone may start; an unknown ceremony or
        // challenge is refused for everyone.
        Row { method: "GET", path: "/api/v1/me/passkeys", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "POST", path: "/api/v1/me/passkeys/registration", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "POST", path: "/api/v1/me/passkeys", fixture: None, body: Some(json!({"ceremony": "no-such-ceremony", "credential": {}})), expect: [422, 422, 422, 422, 422, 401] },
        // Another person's id (a session's) is no passkey of the caller's.
        Row { method: "DELETE", path: "/api/v1/me/passkeys/{id}", fixture: ForeignSession, body: Option::None, expect: [404, 404, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/auth/passkey/options", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 200] },
        Row { method: "POST", path: "/api/v1/auth/passkey", fixture: None, body: Some(json!({"ceremony": "no-such-ceremony", "credential": {}})), expect: [422, 422, 422, 422, 422, 422] },
        Row { method: "POST", path: "/api/v1/auth/sign-in/second-factor/passkey/options", fixture: None, body: Some(json!({"challenge": "no-such-challenge"})), expect: [422, 422, 422, 422, 422, 422] },
        Row { method: "POST", path: "/api/v1/auth/sign-in/second-factor/passkey", fixture: None, body: Some(json!({"challenge": "no-such-challenge", "ceremony": "no-such-ceremony", "credential": {}})), expect: [422, 422, 422, 422, 422, 422] },
        // Someone else's session is not found, whoever asks.
        Row { method: "DELETE", path: "/api/v1/me/sessions/{id}", fixture: ForeignSession, body: Option::None, expect: [404, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/integrations", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/integrations", fixture: None, body: Some(integration), expect: [201, 403, 403, 404, 404, 401] },
        // Non-admins try first; the admin then deletes it.
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/integrations/{id}", fixture: Integration, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/chat-notifications", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/chat-notifications", fixture: Integration, body: Some(json!({"integration_id": "{id}", "events": ["task_created"]})), expect: [201, 403, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/chat-notifications/{id}", fixture: Chat, body: Some(json!({"enabled": false})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/chat-notifications/{id}/test", fixture: Chat, body: Option::None, expect: [202, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/chat-notifications/{id}", fixture: Chat, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/webhooks", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/webhooks", fixture: None, body: Some(json!({"url": WEBHOOK_URL, "events": ["task"]})), expect: [201, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/webhooks/{id}", fixture: Webhook, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/webhooks/{id}", fixture: Webhook, body: Some(json!({"description": "Changed"})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/webhooks/{id}/rotate-secret", fixture: Webhook, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/webhooks/{id}/deliveries", fixture: Webhook, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/webhooks/{id}/deliveries/{delivery_id}/send-again", fixture: WebhookDelivery, body: Option::None, expect: [202, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/webhooks/{id}", fixture: Webhook, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/members", fixture: None, body: Option::None, expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/members/{user_id}", fixture: ExtraMember, body: Some(json!({"active": false})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/members/{user_id}", fixture: ExtraMember, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "POST", path: "/api/v1/workspaces", fixture: None, body: Some(json!({"name": "Side project"})), expect: [201, 201, 201, 201, 201, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/invitations", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/invitations", fixture: None, body: Some(json!({"email": "invitee@example.eu", "role": "member"})), expect: [201, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/invitations/{invitation_id}", fixture: Invitation, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        // A link is its own credential: anyone holding it sees what it offers.
        Row { method: "GET", path: "/api/v1/invitations/{token}", fixture: InvitationToken, body: Option::None, expect: [200, 200, 200, 200, 200, 200] },
        // Signed in as another address: refused; anonymous without name and password: named.
        Row { method: "POST", path: "/api/v1/invitations/{token}/accept", fixture: InvitationToken, body: Some(json!({})), expect: [409, 409, 409, 409, 409, 422] },
        // The work domain. Guests see only tasks they view; a task one may not see is 404.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/projects", fixture: Project, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/projects", fixture: None, body: Some(json!({"name": "Row project"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/projects/{project_id}", fixture: Project, body: Some(json!({"name": "Renamed", "archived": true})), expect: [200, 200, 403, 404, 404, 401] },
        // Key prefixes are the admins' to choose.
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/projects", fixture: None, body: Some(json!({"name": "Row prefixed", "key_prefix": "ROWQ"})), expect: [201, 403, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/projects/{project_id}", fixture: Project, body: Some(json!({"key_prefix": "ROWP"})), expect: [200, 403, 403, 404, 404, 401] },
        // A key resolves only to a task the caller sees; any other is not found.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/task-keys/{key}", fixture: ViewedTaskKey, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/task-keys/{key}", fixture: PrivateTaskKey, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/subtasks", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/subtasks", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/subtasks", fixture: ViewedTask, body: Some(json!({"title": "Row subtask"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/subtasks", fixture: PrivateTask, body: Some(json!({"title": "Row subtask"})), expect: [201, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist", fixture: ViewedTask, body: Some(json!({"text": "Row item"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist", fixture: PrivateTask, body: Some(json!({"text": "Row item"})), expect: [201, 404, 404, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist/{item_id}", fixture: ChecklistItem, body: Some(json!({"done": true})), expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist/{item_id}", fixture: ChecklistItem, body: Option::None, expect: [204, 204, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/relations", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/relations", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/relations", fixture: TaskPair, body: Some(json!({"kind": "blocks", "other_task": "{other_key}"})), expect: [201, 201, 403, 404, 404, 401] },
        // A task the member may not see is refused like one that does not exist.
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/relations", fixture: ViewedAndPrivate, body: Some(json!({"kind": "relates_to", "other_task": "{other_key}"})), expect: [201, 422, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/relations/{relation_id}", fixture: Relation, body: Option::None, expect: [204, 204, 403, 404, 404, 401] },
        // Recurrence: read by whoever sees the task, set and stopped by whoever may edit it; a
        // private task's rule is as unseen as the task.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence", fixture: RecurringTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence", fixture: PrivateRecurringTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence", fixture: ViewedTask, body: Some(json!({"unit": "weeks", "every": 2, "weekdays": ["mon", "thu"], "trigger": "on_date"})), expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence", fixture: PrivateTask, body: Some(json!({"unit": "days", "every": 3, "trigger": "on_done"})), expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence", fixture: RecurringTask, body: Option::None, expect: [204, 204, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence", fixture: PrivateRecurringTask, body: Option::None, expect: [204, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/projects/{project_id}/fields", fixture: Field, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/projects/{project_id}/fields", fixture: PrivateField, body: Option::None, expect: [200, 200, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/projects/{project_id}/fields", fixture: Field, body: Some(json!({"name": "Stage", "kind": "select", "options": ["Lead", "Won"]})), expect: [201, 403, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/fields/{field_id}", fixture: Field, body: Some(json!({"name": "Budget (excl. VAT)"})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/fields/{field_id}", fixture: Field, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/fields", fixture: Field, body: Some(json!({"values": [{"field_id": "{field_id}", "value": "12,50"}]})), expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/fields", fixture: PrivateField, body: Some(json!({"values": [{"field_id": "{field_id}", "value": "12,50"}]})), expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        // The calendar: membership first (404), then its span, which this row leaves out (422);
        // what each caller sees in a span is `work::the_calendar_shows_each_caller_the_tasks_they_see_by_due_date`.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/calendar", fixture: ViewedTask, body: Option::None, expect: [422, 422, 422, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks", fixture: Project, body: Some(json!({"project_id": "{project_id}", "title": "Row task"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/projects/{project_id}/imports/csv", fixture: Project, body: Some(json!({"csv": "Title\nRow import"})), expect: [201, 201, 403, 404, 404, 401] },
        // Admins pass the check and are then told the form lacks its `archive` part (the
        // matrix sends a part named `file`); the import itself is tests/archive_import.rs's.
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/imports/archive", fixture: None, body: Some(json!({"$multipart": "export.zip"})), expect: [422, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/projects/{project_id}/imports/trello", fixture: Project, body: Some(json!({"board": {"lists": [{"id": "l", "name": "To do"}], "cards": [{"id": "c", "name": "Row card", "idList": "l"}]}})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        // Bulk edit: every member may ask; the core skips per task what the caller may not
        // change (the guest: both; the member: the private one, as not found). What each caller
        // gets back is checked in `bulk_edit_skips_what_the_caller_may_not_change`.
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/bulk", fixture: BulkTasks, body: Some(json!({"task_ids": ["{task_id}", "{private_id}"], "status": "done"})), expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/bulk", fixture: BulkTasks, body: Some(json!({"task_ids": [], "status": "done"})), expect: [422, 422, 422, 404, 404, 401] },
        // The board's move: whoever may edit the task; a neighbour the caller does not see is no
        // task (the member: the admin's private one), asked after the policy (the guest: 403).
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/position", fixture: ViewedTask, body: Some(json!({"status": "done"})), expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/position", fixture: PrivateTask, body: Some(json!({"status": "done"})), expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/position", fixture: BulkTasks, body: Some(json!({"status": "todo", "after": "{private_id}"})), expect: [200, 422, 403, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/position", fixture: ViewedTask, body: Some(json!({"status": "later"})), expect: [422, 422, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/tasks/{task_id}", fixture: ViewedTask, body: Some(json!({"status": "done"})), expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/tasks/{task_id}", fixture: PrivateTask, body: Some(json!({"status": "done"})), expect: [200, 404, 404, 404, 404, 401] },
        // Members delete only the tasks they created; this one is the admin's.
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}", fixture: ViewedTask, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}", fixture: PrivateTask, body: Option::None, expect: [204, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers", fixture: ViewedTask, body: Some(json!({"user_id": "{member_id}"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers", fixture: PrivateTask, body: Some(json!({"user_id": "{member_id}"})), expect: [201, 404, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers/{user_id}", fixture: TaskViewer, body: Option::None, expect: [204, 204, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/tags", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/tags", fixture: TaskTag, body: Some(json!({"tag_id": "{tag_id}"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/tags/{tag_id}", fixture: TaskTag, body: Option::None, expect: [204, 204, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/comments", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/comments", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/comments", fixture: ViewedTask, body: Some(json!({"body": "Row comment"})), expect: [201, 201, 201, 404, 404, 401] },
        // The comment is the admin's: only they edit it; admins delete any comment.
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/comments/{comment_id}", fixture: Comment, body: Some(json!({"body": "Edited"})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/comments/{comment_id}", fixture: Comment, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        // Watching: anyone who sees the task, guests included.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/watch", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/watch", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/watch", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/watch", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/watch", fixture: ViewedTask, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/watch", fixture: PrivateTask, body: Option::None, expect: [200, 404, 404, 404, 404, 401] },
        // The inbox is everyone's own; someone else's notice is not found.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/notifications", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/notifications/unread-count", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/notifications/{notification_id}/read", fixture: AdminNotice, body: Option::None, expect: [204, 404, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/notifications/read-all", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        // The activity feed: every member reads it (core filters by visibility).
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/activity", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        // Live events: every active member opens their stream (what it carries is filtered per
        // person, tests/events.rs and the core test); nobody else learns the workspace exists.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/events", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/me/notification-preferences", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/me/notification-preferences", fixture: None, body: Some(json!({"mentioned": "daily"})), expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tags", fixture: Tag, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tags", fixture: None, body: Some(json!({"name": "Row tag {unique}"})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/tags/{tag_id}", fixture: Tag, body: Some(json!({"colour": "#112233"})), expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tags/{tag_id}", fixture: Tag, body: Option::None, expect: [204, 204, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/time-entries", fixture: None, body: Option::None, expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/time-entries", fixture: Task, body: Some(json!({"task_id": "{id}", "started_at": "2026-03-30T08:00:00Z", "minutes": 30, "rate_cents": 9000})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/time-entries/report", fixture: None, body: Option::None, expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/time-entries/{entry_id}", fixture: AdminTimeEntry, body: Some(json!({"minutes": 45})), expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/time-entries/{entry_id}", fixture: AdminTimeEntry, body: Option::None, expect: [204, 404, 404, 404, 404, 401] },
        // Attachments: through the task's visibility; guests download only on tasks they view.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/attachments", fixture: Task, body: Option::None, expect: [200, 200, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/attachments", fixture: Task, body: Some(json!({"$multipart": "notes.txt"})), expect: [201, 201, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/attachments/{attachment_id}", fixture: MemberAttachment, body: Option::None, expect: [200, 200, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/attachments/{attachment_id}", fixture: AdminAttachment, body: Option::None, expect: [204, 403, 404, 404, 404, 401] },
        // Audit: admins only; export on Business only (acme is on Starter).
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/audit", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/audit/export", fixture: None, body: Option::None, expect: [403, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/history", fixture: Task, body: Option::None, expect: [200, 403, 404, 404, 404, 401] },
        // Plans, export and erasure: admins only. After the audit rows, which expect the Starter plan.
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}", fixture: None, body: Some(json!({"plan": "pro"})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}", fixture: None, body: Some(json!({"require_two_factor": false})), expect: [200, 403, 403, 404, 404, 401] },
        // Saved views: everyone keeps their own; admins and members share (and see shared ones);
        // a shared view is deleted by whoever saved it or an admin; another's personal view does
        // not exist for anyone else.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/views", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/views", fixture: None, body: Some(json!({"name": "Row view", "query": "status=todo&sort=priority&cols=status,due"})), expect: [201, 201, 201, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/views", fixture: None, body: Some(json!({"name": "Row shared view", "query": "", "shared": true})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/views/{view_id}", fixture: SharedView, body: Option::None, expect: [204, 204, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/views/{view_id}", fixture: PersonalView, body: Option::None, expect: [404, 204, 404, 404, 404, 401] },
        // Single sign-on settings are the admins'. Saved off, so no provider is asked.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/sso", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "PUT", path: "/api/v1/workspaces/{ws}/sso", fixture: None, body: Some(json!({"enabled": false, "issuer": "https://id.example.eu", "client_id": "bastion", "client_secret": "s3cret", "email_domains": []})), expect: [200, 403, 403, 404, 404, 401] },
        // The browser steps of a single sign-on need no session: without an email the start is
        // refused naming it; a callback without this browser's state goes back to the sign-in
        // page, for everyone.
        Row { method: "GET", path: "/api/v1/auth/sso/start", fixture: None, body: Option::None, expect: [422, 422, 422, 422, 422, 422] },
        Row { method: "GET", path: "/api/v1/auth/sso/callback", fixture: None, body: Option::None, expect: [303, 303, 303, 303, 303, 303] },
        // A wrong confirmation erases nothing: 422 for the admin, and the cast lives on.
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}", fixture: None, body: Some(json!({"confirm": "not the name"})), expect: [422, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/export", fixture: None, body: Option::None, expect: [202, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/export/{export_id}", fixture: Export, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/export/{export_id}/download", fixture: Export, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        // API tokens: everyone active manages their own; someone else's token is not found.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tokens", fixture: None, body: Option::None, expect: [200, 200, 200, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tokens", fixture: None, body: Some(json!({"name": "Row token"})), expect: [201, 201, 201, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/tokens/{token_id}", fixture: AdminToken, body: Option::None, expect: [204, 404, 404, 404, 404, 401] },
        // Only its owner rotates a token; everyone else is told it does not exist.
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tokens/{token_id}/rotate", fixture: AdminToken, body: Option::None, expect: [201, 404, 404, 404, 404, 401] },
        // Last: it ends the sessions it is called with.
        Row { method: "POST", path: "/api/v1/auth/sign-out", fixture: None, body: Option::None, expect: [204, 204, 204, 204, 204, 401] },
    ]
}

/// A session of a user outside the cast.
async fn foreign_session(app: &TestApp) -> String {
    let email = format!("outsider-{}@example.eu", uuid::Uuid::new_v4().simple());
    bastion_core::accounts::create_user(&app.db.pool, &email, "Outsider", common::PASSWORD)
        .await
        .unwrap();
    app.sign_in(&email).await;
    let user = bastion_core::accounts::find_user_by_email(&app.db.pool, &email)
        .await
        .unwrap()
        .unwrap();
    bastion_core::sessions::list_for_user(&app.db.pool, user.id)
        .await
        .unwrap()[0]
        .id
        .to_string()
}

async fn extra_member(app: &TestApp, cast: &Cast) -> String {
    let email = format!("extra-{}@example.eu", uuid::Uuid::new_v4().simple());
    let user = bastion_core::accounts::create_user(&app.db.pool, &email, "Extra", common::PASSWORD)
        .await
        .unwrap();
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    bastion_core::accounts::add_member(
        &app.db.pool,
        &ws,
        user.id,
        "member",
        bastion_core::Actor::System,
    )
    .await
    .unwrap();
    user.id.to_string()
}

/// Exports the cast's workspace as its admin and runs the job to the end, as `serve` would.
async fn finished_export(app: &TestApp, cast: &Cast) -> String {
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let admin = bastion_core::Viewer::new(cast.admin_id, bastion_core::Role::Admin);
    let job = bastion_core::exports::start(&app.db.pool, admin, &ws)
        .await
        .unwrap();
    bastion_core::exports::run_pending(&app.db.pool, &app.objects)
        .await
        .unwrap();
    job.id.to_string()
}

/// The session cookie of the caller at `index` in `CALLERS`; none for the anonymous caller.
fn cookie_of(cast: &Cast, index: usize) -> Option<&str> {
    match index {
        0 => Some(&cast.admin),
        1 => Some(&cast.member),
        2 => Some(&cast.guest),
        3 => Some(&cast.deactivated),
        4 => Some(&cast.stranger),
        _ => None,
    }
}

/// Invites a fresh address to the cast's workspace: the invitation's id and its link's token.
async fn invite(app: &TestApp, cast: &Cast) -> (String, String) {
    let email = format!("invited-{}@example.eu", uuid::Uuid::new_v4().simple());
    let answer = app
        .post_as(
            &cast.admin,
            &cast.api("/invitations"),
            json!({"email": email, "role": "guest"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let body = bastion_core::testing::newest_mail(&app.db.pool, &email).await;
    let at = body.find("/invite/").unwrap() + "/invite/".len();
    let token = body[at..].split_whitespace().next().unwrap().to_owned();
    (answer.json()["id"].as_str().unwrap().to_owned(), token)
}

async fn seed_time_entry(app: &TestApp, cast: &Cast) -> String {
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let answer = app
        .post_as(&cast.admin, &cast.api("/time-entries"), json!({"task_id": task, "started_at": "2026-03-30T08:00:00Z", "minutes": 60, "rate_cents": 9000}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn seed_attachment(app: &TestApp, cast: &Cast, uploader: &str) -> String {
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let answer = app
        .upload(
            &cast.api(&format!("/tasks/{task}/attachments")),
            Some(uploader),
            "notes.txt",
            "text/plain",
            b"hello",
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

/// A task the guest views, with a time entry of `who` (a cookie) on it.
async fn seed_task_entry(app: &TestApp, cast: &Cast, who: &str) -> Vec<(&'static str, String)> {
    let task = seed_task(app, cast, false).await.1;
    let answer = app
        .post_as(who, &cast.api("/time-entries"), json!({"task_id": task, "started_at": "2026-03-30T08:00:00Z", "minutes": 45, "rate_cents": 9000}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let entry = answer.json()["id"].as_str().unwrap().to_owned();
    vec![("{task_id}", task), ("{entry_id}", entry)]
}

/// A task the guest views, with a file `who` (a cookie) uploaded to it.
async fn seed_task_attachment(
    app: &TestApp,
    cast: &Cast,
    who: &str,
) -> Vec<(&'static str, String)> {
    let task = seed_task(app, cast, false).await.1;
    let answer = app
        .upload(
            &cast.api(&format!("/tasks/{task}/attachments")),
            Some(who),
            "notes.txt",
            "text/plain",
            b"hello",
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let attachment = answer.json()["id"].as_str().unwrap().to_owned();
    vec![("{task_id}", task), ("{attachment_id}", attachment)]
}

/// A public address that is never contacted: no job runner runs in these tests.
const WEBHOOK_URL: &str = "https://198.51.101.7/bastion";

async fn seed_webhook(app: &TestApp, cast: &Cast) -> String {
    let answer = app
        .post_as(
            &cast.admin,
            &cast.api("/webhooks"),
            json!({"url": WEBHOOK_URL, "events": ["task", "member"]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

/// An endpoint and one delivery to it (a task's creation, recorded by the trigger).
async fn seed_webhook_delivery(app: &TestApp, cast: &Cast) -> Vec<(&'static str, String)> {
    let endpoint = seed_webhook(app, cast).await;
    seed_task(app, cast, false).await;
    let answer = app
        .get_as(
            &cast.admin,
            &cast.api(&format!("/webhooks/{endpoint}/deliveries")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let delivery = answer.json()["items"][0]["id"].as_str().unwrap().to_owned();
    vec![("{id}", endpoint), ("{delivery_id}", delivery)]
}

async fn seed_integration(app: &TestApp, cast: &Cast) -> String {
    let answer = app
        .post_as(
            &cast.admin,
            &cast.api("/integrations"),
            json!({"kind": "slack", "name": "Alerts", "access_token": "xoxb-1234567890"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn seed_chat(app: &TestApp, cast: &Cast) -> String {
    let integration = seed_integration(app, cast).await;
    let answer = app
        .post_as(
            &cast.admin,
            &cast.api("/chat-notifications"),
            json!({"integration_id": integration, "events": ["task_created", "comment_created"]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

/// Makes the fixture and names its placeholders, each as `("{name}", value)`.
async fn seed(app: &TestApp, cast: &Cast, fixture: Fixture) -> Vec<(&'static str, String)> {
    let single = |id: String| vec![("{id}", id.clone()), ("{user_id}", id)];
    match fixture {
        Fixture::None => Vec::new(),
        Fixture::Integration => single(seed_integration(app, cast).await),
        Fixture::Webhook => vec![("{id}", seed_webhook(app, cast).await)],
        Fixture::WebhookDelivery => seed_webhook_delivery(app, cast).await,
        Fixture::Chat => vec![("{id}", seed_chat(app, cast).await)],
        Fixture::ForeignSession => single(foreign_session(app).await),
        Fixture::Invitation => {
            let id = invite(app, cast).await.0;
            vec![("{id}", id.clone()), ("{invitation_id}", id)]
        }
        Fixture::InvitationToken => {
            let token = invite(app, cast).await.1;
            vec![("{id}", token.clone()), ("{token}", token)]
        }
        Fixture::ExtraMember => single(extra_member(app, cast).await),
        Fixture::Export => {
            let id = finished_export(app, cast).await;
            vec![("{id}", id.clone()), ("{export_id}", id)]
        }
        Fixture::Project => {
            let (project, _) = seed_task(app, cast, false).await;
            vec![("{project_id}", project)]
        }
        Fixture::ViewedTask => vec![("{task_id}", seed_task(app, cast, false).await.1)],
        Fixture::PrivateTask => vec![("{task_id}", seed_task(app, cast, true).await.1)],
        Fixture::TaskViewer => vec![
            ("{task_id}", seed_task(app, cast, false).await.1),
            ("{user_id}", cast.guest_id.to_string()),
        ],
        Fixture::TaskTag => {
            let task = seed_task(app, cast, false).await.1;
            let tag = seed_tag(app, cast).await;
            as_admin(
                app,
                cast,
                "POST",
                &format!("tasks/{task}/tags"),
                json!({"tag_id": tag}),
            )
            .await;
            vec![("{task_id}", task), ("{tag_id}", tag)]
        }
        Fixture::Comment => {
            let task = seed_task(app, cast, false).await.1;
            let comment = as_admin(
                app,
                cast,
                "POST",
                &format!("tasks/{task}/comments"),
                json!({"body": "The admin's"}),
            )
            .await;
            vec![("{task_id}", task), ("{comment_id}", comment)]
        }
        Fixture::Tag => vec![("{tag_id}", seed_tag(app, cast).await)],
        Fixture::SharedView | Fixture::PersonalView => {
            let answer = app
                .post_as(
                    &cast.member,
                    &cast.api("/views"),
                    json!({
                        "name": format!("Member's view {}", uuid::Uuid::new_v4()),
                        "query": "status=todo&sort=due",
                        "shared": fixture == Fixture::SharedView,
                    }),
                )
                .await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
            vec![(
                "{view_id}",
                answer.json()["id"].as_str().unwrap().to_owned(),
            )]
        }
        Fixture::Task => {
            let task = app
                .seed_task(&cast.slug, cast.admin_id, false)
                .await
                .to_string();
            vec![("{task_id}", task.clone()), ("{id}", task)]
        }
        Fixture::AdminTimeEntry => {
            let id = seed_time_entry(app, cast).await;
            vec![("{entry_id}", id.clone()), ("{id}", id)]
        }
        Fixture::MemberAttachment => {
            vec![(
                "{attachment_id}",
                seed_attachment(app, cast, &cast.member).await,
            )]
        }
        Fixture::AdminToken => {
            let workspace = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
                .await
                .unwrap()
                .unwrap();
            let (token, _) = bastion_core::api_tokens::create(
                &app.db.pool,
                cast.admin_id,
                workspace.id,
                "Row token",
                Option::None,
            )
            .await
            .unwrap();
            vec![("{token_id}", token.id.to_string())]
        }
        Fixture::AdminAttachment => {
            vec![(
                "{attachment_id}",
                seed_attachment(app, cast, &cast.admin).await,
            )]
        }
        Fixture::ViewedTaskKey => vec![("{key}", seed_key(app, cast, false).await.1)],
        Fixture::PrivateTaskKey => vec![("{key}", seed_key(app, cast, true).await.1)],
        Fixture::ChecklistItem => {
            let task = seed_task(app, cast, false).await.1;
            let path = format!("tasks/{task}/checklist");
            let item = as_admin(app, cast, "POST", &path, json!({"text": "Fixture item"})).await;
            vec![("{task_id}", task), ("{item_id}", item)]
        }
        Fixture::TaskPair => vec![
            ("{task_id}", seed_task(app, cast, false).await.1),
            ("{other_key}", seed_key(app, cast, false).await.1),
        ],
        Fixture::ViewedAndPrivate => vec![
            ("{task_id}", seed_task(app, cast, false).await.1),
            ("{other_key}", seed_key(app, cast, true).await.1),
        ],
        Fixture::BulkTasks => vec![
            ("{task_id}", seed_task(app, cast, false).await.1),
            ("{private_id}", seed_task(app, cast, true).await.1),
        ],
        Fixture::Relation => {
            let task = seed_task(app, cast, false).await.1;
            let other = seed_key(app, cast, false).await.1;
            let path = format!("tasks/{task}/relations");
            let body = json!({"kind": "blocked_by", "other_task": other});
            let relation = as_admin(app, cast, "POST", &path, body).await;
            vec![("{task_id}", task), ("{relation_id}", relation)]
        }
        Fixture::RecurringTask => vec![("{task_id}", seed_recurring(app, cast, false).await)],
        Fixture::Field => seed_field(app, cast, false).await,
        Fixture::PrivateField => seed_field(app, cast, true).await,
        Fixture::PrivateRecurringTask => {
            vec![("{task_id}", seed_recurring(app, cast, true).await)]
        }
        Fixture::AdminTaskEntry => seed_task_entry(app, cast, &cast.admin).await,
        Fixture::MemberTaskEntry => seed_task_entry(app, cast, &cast.member).await,
        Fixture::AdminTaskAttachment => seed_task_attachment(app, cast, &cast.admin).await,
        Fixture::MemberTaskAttachment => seed_task_attachment(app, cast, &cast.member).await,
        Fixture::AdminNotice => {
            let id = admin_notice(app, cast).await;
            vec![("{notification_id}", id.clone()), ("{id}", id)]
        }
    }
}

/// A task of the admin's (viewed by the guest unless private) and a € field of its project.
async fn seed_field(app: &TestApp, cast: &Cast, private: bool) -> Vec<(&'static str, String)> {
    let (project, task) = seed_task(app, cast, private).await;
    let field = as_admin(
        app,
        cast,
        "POST",
        &format!("projects/{project}/fields"),
        json!({"name": "Budget", "kind": "money"}),
    )
    .await;
    vec![
        ("{project_id}", project),
        ("{task_id}", task),
        ("{field_id}", field),
    ]
}

/// A task of the admin's (viewed by the guest unless private) that repeats every month.
async fn seed_recurring(app: &TestApp, cast: &Cast, private: bool) -> String {
    let task = seed_task(app, cast, private).await.1;
    let answer = app
        .call(
            "PUT",
            &cast.api(&format!("/tasks/{task}/recurrence")),
            Some(&cast.admin),
            Some(json!({"unit": "months", "every": 1, "month_day": 31, "trigger": "on_done"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    task
}

/// The member comments on a task of the admin's, who watches it as its creator: the admin's
/// newest notice.
async fn admin_notice(app: &TestApp, cast: &Cast) -> String {
    let task = seed_task(app, cast, false).await.1;
    let answer = app
        .call(
            "POST",
            &cast.api(&format!("/tasks/{task}/comments")),
            Some(&cast.member),
            Some(json!({"body": "For the admin's inbox"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let inbox = app
        .call(
            "GET",
            &cast.api("/notifications"),
            Some(&cast.admin),
            Option::None,
        )
        .await;
    inbox.json()["items"][0]["id"]
        .as_str()
        .expect("the admin was notified")
        .to_owned()
}

/// Creates something in the cast's workspace as its admin and returns its id.
async fn as_admin(
    app: &TestApp,
    cast: &Cast,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> String {
    let answer = app
        .call(
            method,
            &cast.api(&format!("/{path}")),
            Some(&cast.admin),
            Some(body),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{path}: {}",
        answer.body
    );
    answer
        .json()
        .get("id")
        .or(answer.json().get("user_id"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A project and a task in it, made by the admin; the guest views the task unless it is private.
async fn seed_task(app: &TestApp, cast: &Cast, private: bool) -> (String, String) {
    let project = as_admin(
        app,
        cast,
        "POST",
        "projects",
        json!({"name": "Fixture project"}),
    )
    .await;
    let task = as_admin(
        app,
        cast,
        "POST",
        "tasks",
        json!({"project_id": project, "title": "Fixture task", "private": private}),
    )
    .await;
    if !private {
        as_admin(
            app,
            cast,
            "POST",
            &format!("tasks/{task}/viewers"),
            json!({"user_id": cast.guest_id}),
        )
        .await;
    }
    (project, task)
}

/// Like [`seed_task`], with the task's key: `(task id, key)`.
async fn seed_key(app: &TestApp, cast: &Cast, private: bool) -> (String, String) {
    let task = seed_task(app, cast, private).await.1;
    let answer = app
        .call(
            "GET",
            &cast.api(&format!("/tasks/{task}")),
            Some(&cast.admin),
            Option::None,
        )
        .await;
    let key = answer.json()["key"].as_str().unwrap().to_owned();
    (task, key)
}

async fn seed_tag(app: &TestApp, cast: &Cast) -> String {
    let name = format!("Fixture {}", uuid::Uuid::new_v4().simple());
    as_admin(app, cast, "POST", "tags", json!({"name": name})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_every_caller_as_the_table_says() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut failures = Vec::new();

    for row in rows() {
        let shared = if row.fixture.per_caller() {
            Vec::new()
        } else {
            seed(&app, &cast, row.fixture).await
        };
        // Admin last, so that destructive rows are tried by everyone else first.
        for index in [1, 2, 3, 4, 5, 0] {
            let placeholders = if row.fixture.per_caller() {
                seed(&app, &cast, row.fixture).await
            } else {
                shared.clone()
            };
            let fill = |text: &str| {
                let mut text = text
                    .replace("{ws}", &cast.slug)
                    .replace("{member_id}", &cast.member_id.to_string())
                    .replace("{unique}", &uuid::Uuid::new_v4().simple().to_string());
                for (name, value) in &placeholders {
                    text = text.replace(name, value);
                }
                text
            };
            let path = fill(row.path);
            let body = row
                .body
                .as_ref()
                .map(|b| serde_json::from_str(&fill(&b.to_string())).unwrap());
            let cookie = cookie_of(&cast, index);
            let answer = match body
                .as_ref()
                .and_then(|b: &serde_json::Value| b.get("$multipart"))
            {
                Some(name) => {
                    app.upload(
                        &path,
                        cookie,
                        name.as_str().unwrap(),
                        "text/plain",
                        b"hello",
                    )
                    .await
                }
                Option::None => app.call(row.method, &path, cookie, body.clone()).await,
            };
            if answer.status.as_u16() != row.expect[index] {
                failures.push(format!(
                    "{} {} ({:?}) as {}: expected {}, got {} {}",
                    row.method,
                    row.path,
                    placeholders.first().map(|p| p.0),
                    CALLERS[index],
                    row.expect[index],
                    answer.status,
                    answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Bulk edit changes only what the caller may change, through either door, and names a
/// skipped task by key only when the caller sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_edit_skips_what_the_caller_may_not_change() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let status_of = |id: String| {
        let app = &app;
        let cast = &cast;
        async move {
            let answer = app
                .call(
                    "GET",
                    &cast.api(&format!("/tasks/{id}")),
                    Some(&cast.admin),
                    Option::None,
                )
                .await;
            answer.json()["status"].as_str().unwrap().to_owned()
        }
    };
    // One change, named: none or two is refused naming `change`.
    let (viewed, _) = seed_key(&app, &cast, false).await;
    let two = json!({"task_ids": [viewed], "status": "done", "priority": "low"});
    let answer = app
        .call(
            "POST",
            &cast.api("/tasks/bulk"),
            Some(&cast.admin),
            Some(two),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "change", "{}", answer.body);
    for (index, via_fn) in [(1, false), (2, false), (1, true), (2, true), (0, false)] {
        let (viewed, viewed_key) = seed_key(&app, &cast, false).await;
        let (private, private_key) = seed_key(&app, &cast, true).await;
        let cookie = cookie_of(&cast, index).unwrap();
        let text = if via_fn {
            let request = axum::http::Request::post("/api/fn/bulk_edit_tasks")
                .header(axum::http::header::ORIGIN, common::ORIGIN)
                .header(
                    axum::http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(axum::http::header::COOKIE, cookie)
                .body(axum::body::Body::from(format!(
                    "slug={}&task_ids={viewed},{private}&field=status&value=done",
                    cast.slug
                )))
                .unwrap();
            let answer = app.send(request).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body.clone()
        } else {
            let body = json!({"task_ids": [viewed, private], "status": "done"});
            let answer = app
                .call("POST", &cast.api("/tasks/bulk"), Some(cookie), Some(body))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body.clone()
        };
        assert!(
            index == 0 || !text.contains(&private_key),
            "{} learnt the key of a task it may not see: {text}",
            CALLERS[index]
        );
        let (viewed_after, private_after) = (status_of(viewed).await, status_of(private).await);
        match index {
            0 => assert_eq!(
                (viewed_after.as_str(), private_after.as_str()),
                ("done", "done")
            ),
            1 => assert_eq!(
                (viewed_after.as_str(), private_after.as_str()),
                ("done", "todo")
            ),
            _ => {
                assert_eq!(
                    (viewed_after.as_str(), private_after.as_str()),
                    ("todo", "todo")
                );
                assert!(
                    text.contains(&viewed_key),
                    "the refusal names the task: {text}"
                );
            }
        }
        if !via_fn && index > 0 {
            let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
            let skipped = answer["skipped"].as_array().unwrap();
            let last = skipped.last().unwrap();
            assert_eq!(last["reason"], "not_found");
            assert!(last["key"].is_null());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_has_a_row() {
    let doc: serde_json::Value = serde_json::from_str(&bastion::api::openapi_json()).unwrap();
    let covered: Vec<(String, String)> = rows()
        .iter()
        .map(|r| (r.method.to_lowercase(), r.path.to_owned()))
        .chain(PUBLIC.iter().map(|(m, p)| (m.to_string(), p.to_string())))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !covered.contains(&(method.clone(), path.clone())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without an authorization row: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_of_one_workspace_cannot_reach_another() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let id = seed_integration(&app, &cast).await;
    // The stranger is an admin, but of the other workspace: 404, as for a workspace that does
    // not exist at all.
    let theirs = app.get_as(&cast.stranger, &cast.api("/integrations")).await;
    let nowhere = app
        .get_as(
            &cast.stranger,
            "/api/v1/workspaces/no-such-place/integrations",
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, nowhere.body, "no existence oracle");
    // Addressing acme's integration through the stranger's own workspace finds nothing either.
    let sideways = app
        .delete_as(
            &cast.stranger,
            &format!("/api/v1/workspaces/{}/integrations/{id}", cast.other_slug),
        )
        .await;
    assert_eq!(sideways.status, StatusCode::NOT_FOUND);
    let still_there = app.get_as(&cast.admin, &cast.api("/integrations")).await;
    assert_eq!(still_there.json()["items"].as_array().unwrap().len(), 1);
}

/// Keys, subtasks and relations show a guest no task they could not see before: a task they view
/// whose subtask and blocker they do not view shows neither, nor counts them, and the hidden
/// tasks' keys find nothing, by lookup, by search or across workspaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sees_no_new_task_through_keys_subtasks_relations_or_fields() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (viewed, _) = seed_key(&app, &cast, false).await;
    let subtask = as_admin(
        &app,
        &cast,
        "POST",
        &format!("tasks/{viewed}/subtasks"),
        json!({"title": "Not shared"}),
    )
    .await;
    let (_, blocker_key) = seed_key(&app, &cast, true).await;
    as_admin(
        &app,
        &cast,
        "POST",
        &format!("tasks/{viewed}/relations"),
        json!({"kind": "blocked_by", "other_task": blocker_key}),
    )
    .await;
    let subtask_key = app
        .get_as(&cast.admin, &cast.api(&format!("/tasks/{subtask}")))
        .await
        .json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_view = app
        .get_as(&cast.admin, &cast.api(&format!("/tasks/{viewed}")))
        .await
        .json();
    assert_eq!(admin_view["subtasks_total"], 1);
    assert_eq!(admin_view["blocked"], true);

    let task = app
        .get_as(&cast.guest, &cast.api(&format!("/tasks/{viewed}")))
        .await;
    assert_eq!(task.status, StatusCode::OK);
    assert_eq!(task.json()["subtasks_total"], 0, "{}", task.body);
    assert_eq!(task.json()["blocked"], false, "{}", task.body);
    for list in ["subtasks", "relations"] {
        let answer = app
            .get_as(&cast.guest, &cast.api(&format!("/tasks/{viewed}/{list}")))
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["items"], json!([]), "{list}: {}", answer.body);
    }
    let unknown = app
        .get_as(&cast.guest, &cast.api("/task-keys/ZZZZ-1"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    for key in [&subtask_key, &blocker_key] {
        let by_key = app
            .get_as(&cast.guest, &cast.api(&format!("/task-keys/{key}")))
            .await;
        assert_eq!(by_key.status, StatusCode::NOT_FOUND, "{key}");
        assert_eq!(by_key.body, unknown.body, "no existence oracle");
        let search = app
            .get_as(&cast.guest, &cast.api(&format!("/tasks?q={key}")))
            .await;
        assert_eq!(search.json()["items"], json!([]), "{key}: {}", search.body);
        // Nor does another workspace's admin reach it.
        let stranger = app
            .get_as(&cast.stranger, &cast.api(&format!("/task-keys/{key}")))
            .await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    }

    // Custom fields: filtering or sorting by a value shows the guest no task they did not see.
    let project = admin_view["project_id"].as_str().unwrap().to_owned();
    let field = as_admin(
        &app,
        &cast,
        "POST",
        &format!("projects/{project}/fields"),
        json!({"name": "Budget", "kind": "money"}),
    )
    .await;
    for (task, amount) in [(&viewed, "5"), (&subtask, "7")] {
        let set = app
            .call(
                "PUT",
                &cast.api(&format!("/tasks/{task}/fields")),
                Some(&cast.admin),
                Some(json!({"values": [{"field_id": field, "value": amount}]})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    }
    let hidden = app
        .get_as(
            &cast.guest,
            &cast.api(&format!("/tasks?field_id={field}&field_value=7")),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.body);
    assert_eq!(hidden.json()["items"], json!([]), "{}", hidden.body);
    let sorted = app
        .get_as(
            &cast.guest,
            &cast.api(&format!("/tasks?field_id={field}&sort=field:{field}:desc")),
        )
        .await;
    let items = sorted.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{}", sorted.body);
    assert_eq!(items[0]["id"], viewed.as_str());
    assert_eq!(items[0]["fields"][0]["value"], "5.00");
    let stranger = app
        .get_as(
            &cast.stranger,
            &cast.api(&format!("/projects/{project}/fields")),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_tokens_are_masked_and_bad_input_is_named() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let path = format!("/api/v1/workspaces/{}/integrations", cast.slug);
    let created = app
        .post_as(
            &cast.admin,
            &path,
            json!({"kind": "github", "name": "CI", "access_token": "ghp_supersecretvalue42"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["token_masked"], "••••ue42");
    let listed = app.get_as(&cast.admin, &path).await;
    assert!(!listed.body.contains("supersecret"), "{}", listed.body);
    assert!(!created.body.contains("supersecret"));

    for (body, field) in [
        (
            json!({"kind": "ftp", "name": "x", "access_token": "0123456789"}),
            "kind",
        ),
        (
            json!({"kind": "github", "name": "  ", "access_token": "0123456789"}),
            "name",
        ),
        (
            json!({"kind": "github", "name": "x", "access_token": "short"}),
            "token",
        ),
    ] {
        let answer = app.post_as(&cast.admin, &path, body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert!(
            answer.json()["error"]["field"]
                .as_str()
                .unwrap()
                .contains(field),
            "{}",
            answer.body
        );
    }
    let listed = app.get_as(&cast.admin, &path).await;
    assert_eq!(
        listed.json()["items"].as_array().unwrap().len(),
        1,
        "bad input changed nothing"
    );
}

/// Server functions, the pages' own endpoints, get the same treatment. Form-encoded, as the
/// pages send them; `{…}` placeholders are filled like the REST rows'.
#[rustfmt::skip]
fn server_fn_rows() -> Vec<(&'static str, &'static str, Fixture, [u16; 6])> {
    use Fixture::*;
    vec![
        ("/api/fn/account", "", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/members", "slug={ws}", None, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/change_member", "slug={ws}&user_id={id}&active=false", ExtraMember, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/remove_member", "slug={ws}&user_id={id}", ExtraMember, [200, 403, 403, 404, 404, 404]),
        // The work pages. Like REST: a task one may not see is 404; a visible one one may not
        // change is 403. The workspace itself is 404 for anyone who is not an active member.
        ("/api/fn/work_home", "slug={ws}", Project, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/create_project", "slug={ws}&name=Fn+project", None, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/update_project", "slug={ws}&project_id={project_id}&name=Renamed&archived=true", Project, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/create_project", "slug={ws}&name=Fn+prefixed&key_prefix=FNQ", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/update_project", "slug={ws}&project_id={project_id}&key_prefix=FNP", Project, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/task", "slug={ws}&task_id={key}", ViewedTaskKey, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/task", "slug={ws}&task_id={key}", PrivateTaskKey, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/add_subtask", "slug={ws}&task_id={task_id}&title=Fn+subtask", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_subtask", "slug={ws}&task_id={task_id}&title=Fn+subtask", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/add_checklist_item", "slug={ws}&task_id={task_id}&text=Fn+item", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_checklist_item", "slug={ws}&task_id={task_id}&text=Fn+item", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/tick_checklist_item", "slug={ws}&task_id={task_id}&item_id={item_id}&done=true", ChecklistItem, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/remove_checklist_item", "slug={ws}&task_id={task_id}&item_id={item_id}", ChecklistItem, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_relation", "slug={ws}&task_id={task_id}&kind=relates_to&other_task={other_key}", TaskPair, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_relation", "slug={ws}&task_id={task_id}&kind=relates_to&other_task={other_key}", ViewedAndPrivate, [200, 422, 403, 404, 404, 404]),
        ("/api/fn/remove_relation", "slug={ws}&task_id={task_id}&relation_id={relation_id}", Relation, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/set_recurrence", "slug={ws}&task_id={task_id}&unit=months&every=1&trigger=on_done&month_day=25", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/set_recurrence", "slug={ws}&task_id={task_id}&unit=weeks&every=1&trigger=on_date&mon=on&fri=on&month_day=", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/stop_recurrence", "slug={ws}&task_id={task_id}", RecurringTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/stop_recurrence", "slug={ws}&task_id={task_id}", PrivateRecurringTask, [200, 404, 404, 404, 404, 404]),
        // API tokens are everyone's own; integrations are for admins.
        ("/api/fn/api_tokens", "slug={ws}", None, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/create_api_token", "slug={ws}&name=Fn+token&lifetime=30", None, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/rotate_api_token", "slug={ws}&id={token_id}", AdminToken, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/revoke_api_token", "slug={ws}&id={token_id}", AdminToken, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/integrations", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/add_integration", "slug={ws}&kind=github&name=Fn+bot&access_token=ghp_fn0123456789", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_integration", "slug={ws}&id={id}", Integration, [200, 403, 403, 404, 404, 404]),
        // Webhooks from the settings page: admins only, as through REST.
        ("/api/fn/chat_notifications", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/add_chat_notification", "slug={ws}&integration_id={id}&events%5B%5D=&events%5B%5D=task_created&language=nl-BE", Integration, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/switch_chat_notification", "slug={ws}&id={id}&enabled=false", Chat, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/test_chat_notification", "slug={ws}&id={id}", Chat, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_chat_notification", "slug={ws}&id={id}", Chat, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/webhook_endpoints", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/create_webhook", "slug={ws}&url=https%3A%2F%2F198.51.101.7%2Fbastion&events%5B%5D=&events%5B%5D=task", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/rotate_webhook_secret", "slug={ws}&id={id}", Webhook, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/switch_webhook", "slug={ws}&id={id}&enabled=false", Webhook, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/send_webhook_again", "slug={ws}&id={id}&delivery_id={delivery_id}", WebhookDelivery, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_webhook", "slug={ws}&id={id}", Webhook, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/project_fields", "slug={ws}&project={project_id}", Field, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/project_fields", "slug={ws}&project={project_id}", PrivateField, [200, 200, 404, 404, 404, 404]),
        ("/api/fn/create_field", "slug={ws}&project_id={project_id}&name=Stage&kind=select&options=Lead%0AWon", Field, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/update_field", "slug={ws}&field_id={field_id}&name=Renamed&options=", Field, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_field", "slug={ws}&field_id={field_id}", Field, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/set_field_value", "slug={ws}&task_id={task_id}&field_id={field_id}&value=12%2C50", Field, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/set_field_value", "slug={ws}&task_id={task_id}&field_id={field_id}&value=12%2C50", PrivateField, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/tasks", "slug={ws}&status=todo", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/create_task", "slug={ws}&title=Fn+task&project_id={project_id}&status=todo&priority=high&assignee_id=&due_on=2026-12-31&description=", Project, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/import_page", "slug={ws}&project={project_id}", Project, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/import_csv", "slug={ws}&project={project_id}&csv=Title%0AFn+import&mode=import", Project, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/board", "slug={ws}", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/calendar", "slug={ws}&month=2026-12", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/calendar", "slug={ws}&month=December", ViewedTask, [422, 422, 422, 404, 404, 404]),
        // A new day is a change of the task: whoever may edit it; a task one may not see is none.
        ("/api/fn/move_to_day", "slug={ws}&task_id={task_id}&due_on=2027-01-15", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/move_to_day", "slug={ws}&task_id={task_id}&due_on=2027-01-15", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/move_to_day", "slug={ws}&task_id={task_id}&due_on=", ViewedTask, [422, 422, 422, 404, 404, 404]),
        ("/api/fn/bulk_edit_tasks", "slug={ws}&task_ids={task_id},{private_id}&field=status&value=done", BulkTasks, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/bulk_edit_tasks", "slug={ws}&task_ids=&field=status&value=done", BulkTasks, [422, 422, 422, 404, 404, 404]),
        ("/api/fn/move_task", "slug={ws}&task_id={task_id}&status=done", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/move_task", "slug={ws}&task_id={task_id}&status=done", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/move_task", "slug={ws}&task_id={task_id}&status=todo&after={private_id}", BulkTasks, [200, 422, 403, 404, 404, 404]),
        ("/api/fn/move_task", "slug={ws}&task_id={task_id}&status=todo&before={private_id}", BulkTasks, [200, 422, 403, 404, 404, 404]),
        ("/api/fn/task", "slug={ws}&task_id={task_id}", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/task", "slug={ws}&task_id={task_id}", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/update_task", "slug={ws}&task_id={task_id}&title=Edited&project_id=&status=in_progress&priority=urgent&assignee_id={member_id}&due_on=&description=Now+**bold**", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/update_task", "slug={ws}&task_id={task_id}&title=Edited&project_id=&status=done&priority=low", PrivateTask, [200, 404, 404, 404, 404, 404]),
        // One property in place: the same update, the same answers.
        ("/api/fn/set_task_property", "slug={ws}&task_id={task_id}&property=status&value=in_progress", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/set_task_property", "slug={ws}&task_id={task_id}&property=due_on&value=2026-12-24", PrivateTask, [200, 404, 404, 404, 404, 404]),
        // Members delete only the tasks they created; this one is the admin's.
        ("/api/fn/delete_task", "slug={ws}&task_id={task_id}", ViewedTask, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_task", "slug={ws}&task_id={task_id}", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/add_task_tag", "slug={ws}&task_id={task_id}&tag_id={tag_id}", TaskTag, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/remove_task_tag", "slug={ws}&task_id={task_id}&tag_id={tag_id}", TaskTag, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/create_tag", "slug={ws}&task_id={task_id}&name=Fn+tag+{unique}&colour=%23112233", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_task_viewer", "slug={ws}&task_id={task_id}&user_id={member_id}", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_task_viewer", "slug={ws}&task_id={task_id}&user_id={member_id}", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/remove_task_viewer", "slug={ws}&task_id={task_id}&user_id={user_id}", TaskViewer, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/add_comment", "slug={ws}&task_id={task_id}&body=Fn+comment", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/add_comment", "slug={ws}&task_id={task_id}&body=Fn+comment", PrivateTask, [200, 404, 404, 404, 404, 404]),
        // The comment is the admin's: only they edit it; admins delete any comment.
        ("/api/fn/edit_comment", "slug={ws}&task_id={task_id}&comment_id={comment_id}&body=Edited", Comment, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_comment", "slug={ws}&task_id={task_id}&comment_id={comment_id}", Comment, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/watch_task", "slug={ws}&task_id={task_id}", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/watch_task", "slug={ws}&task_id={task_id}", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/unwatch_task", "slug={ws}&task_id={task_id}", ViewedTask, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/unwatch_task", "slug={ws}&task_id={task_id}", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/inbox", "slug={ws}&unread=1", None, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/activity", "slug={ws}", None, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/read_notification", "slug={ws}&id={id}", AdminNotice, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/read_all_notifications", "slug={ws}", None, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/set_email_notifications", "slug={ws}&assigned=immediately&mentioned=off&commented=hourly&status_changed=daily&due_tomorrow=daily&invited=immediately", None, [200, 200, 200, 404, 404, 404]),
        // Time on the task page: guests record none; members see (and so delete) only their own.
        ("/api/fn/log_task_time", "slug={ws}&task_id={task_id}&minutes=30&started_on=2026-03-30&started_time=09%3A30&billable=true&rate=85.50&note=Fn", ViewedTask, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/log_task_time", "slug={ws}&task_id={task_id}&minutes=30&started_on=2026-03-30&started_time=09%3A30&rate=", PrivateTask, [200, 404, 404, 404, 404, 404]),
        ("/api/fn/delete_task_time_entry", "slug={ws}&task_id={task_id}&entry_id={entry_id}", AdminTaskEntry, [200, 404, 403, 404, 404, 404]),
        ("/api/fn/delete_task_time_entry", "slug={ws}&task_id={task_id}&entry_id={entry_id}", MemberTaskEntry, [200, 200, 403, 404, 404, 404]),
        // Attachments: admins delete any, members their own uploads, guests none.
        ("/api/fn/delete_attachment", "slug={ws}&task_id={task_id}&attachment_id={attachment_id}", AdminTaskAttachment, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/delete_attachment", "slug={ws}&task_id={task_id}&attachment_id={attachment_id}", MemberTaskAttachment, [200, 200, 403, 404, 404, 404]),
        // Signing in needs no session; a wrong password is 401 for everyone.
        ("/api/fn/sign_in", "email=admin%40example.eu&password=wrong+password+here", None, [401, 401, 401, 401, 401, 401]),
        // Without the challenge cookie of a password step there is nothing to finish.
        ("/api/fn/finish_sign_in", "code=000000", None, [422, 422, 422, 422, 422, 422]),
        ("/api/fn/second_factor_choices", "", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/passkeys", "", None, [200, 200, 200, 200, 200, 401]),
        ("/api/fn/start_passkey_registration", "", None, [200, 200, 200, 200, 200, 401]),
        ("/api/fn/add_passkey", "ceremony=no-such-ceremony&credential=%7B%7D&name=", None, [422, 422, 422, 422, 422, 401]),
        ("/api/fn/remove_passkey", "id={id}", ForeignSession, [404, 404, 404, 404, 404, 401]),
        ("/api/fn/start_passkey_sign_in", "", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/passkey_sign_in", "ceremony=no-such-ceremony&credential=%7B%7D", None, [422, 422, 422, 422, 422, 422]),
        // Without the challenge cookie of a password step there is nothing to finish.
        ("/api/fn/start_passkey_second_factor", "", None, [422, 422, 422, 422, 422, 422]),
        ("/api/fn/passkey_second_factor", "ceremony=no-such-ceremony&credential=%7B%7D", None, [422, 422, 422, 422, 422, 422]),
        ("/api/fn/two_factor_state", "", None, [200, 200, 200, 200, 200, 401]),
        ("/api/fn/start_two_factor", "", None, [200, 200, 200, 200, 200, 401]),
        ("/api/fn/confirm_two_factor", "code=000000", None, [422, 422, 422, 422, 422, 401]),
        ("/api/fn/new_recovery_codes", "password=not+the+password&code=000000", None, [409, 409, 409, 409, 409, 401]),
        ("/api/fn/disable_two_factor", "password=not+the+password&code=000000", None, [409, 409, 409, 409, 409, 401]),
        ("/api/fn/change_password", "current_password=not+it+at+all&new_password=a+brand+new+passphrase", None, [422, 422, 422, 422, 422, 401]),
        ("/api/fn/set_theme", "theme=light", None, [200, 200, 200, 200, 200, 401]),
        ("/api/fn/end_session", "id=00000000-0000-4000-8000-000000000000", None, [404, 404, 404, 404, 404, 401]),
        // A wrong password deletes nothing.
        ("/api/fn/delete_account", "password=not+the+password", None, [422, 422, 422, 422, 422, 401]),
        ("/api/fn/whoami", "", None, [200, 200, 200, 200, 200, 200]),
        // Public, and the same answer whether or not the address has an account.
        ("/api/fn/start_sign_up", "email=newcomer%40example.eu&name=New&workspace_name=Newco&password=correct+horse+battery+staple", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/confirm_sign_up", "signup_id=00000000-0000-4000-8000-000000000000&code=000000", None, [422, 422, 422, 422, 422, 422]),
        ("/api/fn/invitation", "token=no-such-link", None, [200, 200, 200, 200, 200, 200]),
        // Signed in as another address: refused; anonymous without name and password: named.
        ("/api/fn/accept_invitation", "token={id}", InvitationToken, [409, 409, 409, 409, 409, 422]),
        ("/api/fn/create_workspace", "name=Side+project", None, [200, 200, 200, 200, 200, 401]),
        ("/api/fn/invitations", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/invite_member", "slug={ws}&email=someone%40example.eu&role=member", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/revoke_invitation", "slug={ws}&id={id}", Invitation, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/workspace_settings", "slug={ws}", None, [200, 200, 200, 404, 404, 404]),
        // Turning the two-factor requirement off (on needs the admin's own two-factor sign-in,
        // which the cast has not; server/tests/enforce_two_factor.rs covers it).
        ("/api/fn/require_two_factor", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/sso_settings", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/save_view", "slug={ws}&name=Fn+view&query=status%3Dtodo%26sort%3Ddue", None, [200, 200, 200, 404, 404, 404]),
        ("/api/fn/save_view", "slug={ws}&name=Fn+shared+view&query=&shared=on", None, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/delete_view", "slug={ws}&id={view_id}", SharedView, [200, 200, 404, 404, 404, 404]),
        ("/api/fn/delete_view", "slug={ws}&id={view_id}", PersonalView, [404, 200, 404, 404, 404, 404]),
        ("/api/fn/save_sso", "slug={ws}&issuer=https%3A%2F%2Fid.example.eu&client_id=bastion&client_secret=s3cret&email_domains=", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/change_plan", "slug={ws}&plan=pro", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/start_export", "slug={ws}", None, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/export_status", "slug={ws}&id={id}", Export, [200, 403, 403, 404, 404, 404]),
        // A wrong confirmation erases nothing.
        ("/api/fn/erase_workspace", "slug={ws}&confirm=not+the+name", None, [422, 403, 403, 404, 404, 404]),
        // Public: the register and sub-processors in the reader's language.
        ("/api/fn/privacy_records", "", None, [200, 200, 200, 200, 200, 200]),
        // Public; an unknown kind is refused before the rate limit counts it.
        ("/api/fn/request_security_pack", "email=dpo%40example.eu&name=Dpo&organisation=Org&kind=nope", None, [422, 422, 422, 422, 422, 422]),
        // The time and audit pages. Members do not see the admin's entry (404); guests track no time.
        ("/api/fn/time_report", "slug={ws}&group=week", None, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/time_entries", "slug={ws}", None, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/log_time", "slug={ws}&task_id={id}&started=2026-03-30T09%3A30&minutes=90&billable=on&rate=90.50", Task, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/change_time_entry", "slug={ws}&id={id}&started=2026-03-30T10%3A00&minutes=30&rate=10", AdminTimeEntry, [200, 404, 403, 404, 404, 404]),
        ("/api/fn/delete_time_entry", "slug={ws}&id={id}", AdminTimeEntry, [200, 404, 403, 404, 404, 404]),
        ("/api/fn/audit_events", "slug={ws}&entity=time_entry", None, [200, 403, 403, 404, 404, 404]),
        // The workspace is on Starter: no audit export for anyone, as through REST.
        ("/api/fn/audit_export", "slug={ws}&format=csv", None, [403, 403, 403, 404, 404, 404]),
        // It ends the sessions it is called with: every row that needs them comes before it.
        ("/api/fn/sign_out", "", None, [200, 200, 200, 200, 200, 200]),
        // Public: the same answer for everyone, whether or not the account exists.
        ("/api/fn/request_reset", "email=admin%40example.eu", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/reset_password", "email=admin%40example.eu&code=000000&new_password=a+long+new+passphrase", None, [422, 422, 422, 422, 422, 422]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_answers_every_caller_as_the_table_says() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut failures = Vec::new();
    for (path, form, fixture, expect) in server_fn_rows() {
        let shared = if fixture.per_caller() {
            Vec::new()
        } else {
            seed(&app, &cast, fixture).await
        };
        for index in [1, 2, 3, 4, 5, 0] {
            let placeholders = if fixture.per_caller() {
                seed(&app, &cast, fixture).await
            } else {
                shared.clone()
            };
            let mut body = form
                .replace("{ws}", &cast.slug)
                .replace("{member_id}", &cast.member_id.to_string())
                .replace("{unique}", &uuid::Uuid::new_v4().simple().to_string());
            for (name, value) in &placeholders {
                body = body.replace(name, value);
            }
            let cookie = cookie_of(&cast, index);
            let mut request = axum::http::Request::post(path)
                .header(axum::http::header::ORIGIN, common::ORIGIN)
                .header(
                    axum::http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
            if let Some(cookie) = cookie {
                request = request.header(axum::http::header::COOKIE, cookie);
            }
            let answer = app
                .send(request.body(axum::body::Body::from(body.clone())).unwrap())
                .await;
            if answer.status.as_u16() != expect[index] {
                failures.push(format!(
                    "{path} as {}: expected {}, got {} {}",
                    CALLERS[index], expect[index], answer.status, answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_has_a_row() {
    // Building the router registers the server functions.
    let _app = spawn_app().await;
    let covered: Vec<&str> = server_fn_rows().iter().map(|r| r.0).collect();
    let missing: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .filter(|path| !covered.contains(&path.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "server functions without an authorization row: {missing:?}"
    );
}
