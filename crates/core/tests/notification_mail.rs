//! Notification emails against a real workspace and the real outbox: decided in the change's
//! transaction, written by the mail job in the recipient's language, thin, per-kind preferences,
//! digests (one per person and period, once), visibility checked again at sending, due-tomorrow
//! reminders on the Brussels calendar, and one-click unsubscribe tokens.

mod common;

use std::sync::{Arc, Mutex};

use bastion_core::{
    accounts,
    keys::MasterKeyRing,
    mail::{self, Message},
    testing::{master_keys, TestDb},
    work::{
        comments,
        notification_mail::{self, Delivery},
        notifications::Kind,
        projects,
        tasks::{self, NewTask, TaskPatch, TaskRecord},
        watching, Viewer,
    },
    workspaces::Workspace,
    Actor, CoreError, TenantTx,
};
use time::{macros::datetime, Duration, OffsetDateTime};
use uuid::Uuid;

const BASE: &str = "https://bastion.example.eu";

struct World {
    db: TestDb,
    ws: Workspace,
    admin: Viewer,
    member: Viewer,
    other: Viewer,
    guest: Viewer,
    project: Uuid,
}

impl World {
    async fn new() -> World {
        let db = TestDb::new().await;
        let ws = common::workspace(&db.pool, "acme").await;
        let mut viewers = Vec::new();
        for (who, role) in [
            ("admin", "admin"),
            ("member", "member"),
            ("other", "member"),
            ("guest", "guest"),
        ] {
            let user = accounts::create_user(
                &db.pool,
                &format!("{who}@example.eu"),
                &format!("{who} person"),
                "correct horse battery staple",
            )
            .await
            .unwrap();
            accounts::add_member(&db.pool, &ws, user.id, role, Actor::System)
                .await
                .unwrap();
            viewers.push(Viewer::new(
                user.id,
                bastion_core::Role::parse(role).unwrap(),
            ));
        }
        let mut v = viewers.into_iter();
        let admin = v.next().unwrap();
        let mut tx = TenantTx::begin(&db.pool, &ws.schema(), Actor::User(admin.user_id))
            .await
            .unwrap();
        let project = projects::create_project(&mut tx, &admin, "Work")
            .await
            .unwrap()
            .id;
        tx.commit().await.unwrap();
        World {
            db,
            ws,
            admin,
            member: v.next().unwrap(),
            other: v.next().unwrap(),
            guest: v.next().unwrap(),
            project,
        }
    }

    async fn tx(&self, viewer: &Viewer) -> TenantTx {
        TenantTx::begin(
            &self.db.pool,
            &self.ws.schema(),
            Actor::User(viewer.user_id),
        )
        .await
        .unwrap()
    }

    async fn task(&self, by: &Viewer, title: &str, private: bool) -> TaskRecord {
        let mut tx = self.tx(by).await;
        let new = NewTask {
            project_id: self.project,
            title: title.into(),
            private,
            ..NewTask::default()
        };
        let task = tasks::create_task(&mut tx, by, new).await.unwrap();
        tx.commit().await.unwrap();
        task
    }

    async fn comment(&self, by: &Viewer, task: Uuid, body: &str) {
        let mut tx = self.tx(by).await;
        comments::post_comment(&mut tx, by, task, body)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn set(&self, who: &Viewer, kind: Kind, delivery: Delivery) {
        let mut tx = self.tx(who).await;
        notification_mail::set_preferences(&mut tx, who, &[(kind, delivery)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn delivery(&self, who: &Viewer, kind: Kind) -> Delivery {
        let mut tx = self.tx(who).await;
        let prefs = notification_mail::preferences(&mut tx, who).await.unwrap();
        tx.commit().await.unwrap();
        prefs.into_iter().find(|p| p.kind == kind).unwrap().delivery
    }

    /// One pass of the mail job at `now`, then everything in the outbox sent the way the
    /// sender sends it (opened with the master keys); returns those messages.
    async fn pass(&self, now: OffsetDateTime) -> (notification_mail::MailReport, Vec<Message>) {
        let report =
            notification_mail::send_due(&self.db.pool, master_keys(), self.ws.id, BASE, now)
                .await
                .unwrap();
        (report, self.deliver().await)
    }

    async fn deliver(&self) -> Vec<Message> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        mail::deliver(&self.db.pool, master_keys(), 1000, move |m| {
            sink.lock().unwrap().push(m);
            async { Ok(()) }
        })
        .await
        .unwrap();
        let out = got.lock().unwrap().clone();
        out
    }

    async fn pending(&self) -> i64 {
        let mut tx = self.tx(&self.admin).await;
        let n = sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE mail IS NOT NULL AND mailed_at IS NULL",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        n
    }

    async fn mail_jobs(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE workspace_id = $1 AND kind = 'notification_mail'",
        )
        .bind(self.ws.id)
        .fetch_one(&self.db.pool)
        .await
        .unwrap()
    }
}

fn soon() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::seconds(1)
}

fn to<'a>(messages: &'a [Message], who: &str) -> Vec<&'a Message> {
    messages
        .iter()
        .filter(|m| m.recipient == format!("{who}@example.eu"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_is_mailed_at_once_thin_and_in_the_recipients_language() {
    let w = World::new().await;
    accounts::set_locale(&w.db.pool, w.member.user_id, bastion_i18n::Locale::Nl)
        .await
        .unwrap();
    let task = w.task(&w.admin, "Sign the lease", false).await;
    assert_eq!(w.mail_jobs().await, 0, "nothing to mail yet");

    // A change that rolls back mails nobody: no notice, no job.
    let mut tx = w.tx(&w.admin).await;
    let body = format!("@[{}] rolled back", w.member.user_id);
    comments::post_comment(&mut tx, &w.admin, task.id, &body)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!((w.pending().await, w.mail_jobs().await), (0, 0));

    // The notice and the queued job are in the change's transaction.
    let body = format!("@[{}] the secret clause is on page 4", w.member.user_id);
    w.comment(&w.admin, task.id, &body).await;
    assert_eq!((w.pending().await, w.mail_jobs().await), (1, 1));

    let (report, sent) = w.pass(soon()).await;
    assert_eq!((report.messages, report.mailed, report.dropped), (1, 1, 0));
    assert_eq!(sent.len(), 1, "{sent:?}");
    let m = &sent[0];
    assert_eq!(m.recipient, "member@example.eu");
    assert_eq!(
        m.subject, "[Workspace acme] admin person heeft u vermeld in een reactie op WORK-1.",
        "the key only: the outbox keeps subjects"
    );
    assert!(m.body.starts_with("Hallo member person,"), "{}", m.body);
    assert!(
        m.body
            .contains("admin person heeft u vermeld in een reactie op WORK-1 \"Sign the lease\"."),
        "{}",
        m.body
    );
    assert!(
        m.body
            .contains("https://bastion.example.eu/w/acme/t/WORK-1"),
        "{}",
        m.body
    );
    assert!(
        !m.body.contains("secret clause"),
        "no comment text in mail: {}",
        m.body
    );
    let unsubscribe = m.unsubscribe.clone().expect("List-Unsubscribe address");
    assert!(unsubscribe.starts_with("https://bastion.example.eu/unsubscribe?t="));
    assert!(m.body.contains(&unsubscribe), "the footer names it too");

    // Once: a second pass finds nothing.
    let (report, sent) = w.pass(soon()).await;
    assert_eq!((report.messages, sent.len()), (0, 0));

    // The folder transport writes the RFC 8058 headers.
    let body = format!("@[{}] again", w.member.user_id);
    w.comment(&w.admin, task.id, &body).await;
    notification_mail::send_due(&w.db.pool, master_keys(), w.ws.id, BASE, soon())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    mail::deliver_to_folder(&w.db.pool, master_keys(), dir.path(), 10)
        .await
        .unwrap();
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(
        text.contains("\r\nList-Unsubscribe: <https://bastion.example.eu/unsubscribe?t="),
        "{text}"
    );
    assert!(
        text.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferences_decide_and_off_drops_what_waits() {
    let w = World::new().await;
    // Defaults.
    assert_eq!(
        w.delivery(&w.member, Kind::Assigned).await,
        Delivery::Immediately
    );
    assert_eq!(
        w.delivery(&w.member, Kind::Commented).await,
        Delivery::Daily
    );
    assert_eq!(
        w.delivery(&w.member, Kind::DueTomorrow).await,
        Delivery::Daily
    );

    // Off: the notice is still in the inbox, but no mail is queued.
    w.set(&w.member, Kind::Assigned, Delivery::Off).await;
    assert_eq!(w.delivery(&w.member, Kind::Assigned).await, Delivery::Off);
    let task = w.task(&w.admin, "Pay the rent", false).await;
    let mut tx = w.tx(&w.admin).await;
    let patch = TaskPatch {
        assignee_id: Some(Some(w.member.user_id)),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.admin, task.id, patch)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(w.pending().await, 0);
    let (_, sent) = w.pass(soon()).await;
    assert!(sent.is_empty(), "{sent:?}");

    // A digest notice waits; turning the kind off before it is due drops it.
    w.comment(&w.admin, task.id, "first").await; // member watches as assignee
    assert_eq!(w.pending().await, 1);
    w.set(&w.member, Kind::Commented, Delivery::Off).await;
    let (report, sent) = w.pass(soon() + Duration::days(2)).await;
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(report.dropped, 1);
    assert_eq!(w.pending().await, 0);

    // Back to the default stores no row.
    w.set(&w.member, Kind::Commented, Delivery::Daily).await;
    w.set(&w.member, Kind::Assigned, Delivery::Immediately)
        .await;
    let mut tx = w.tx(&w.member).await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM notification_preferences")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(rows, 0);
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_are_one_message_per_person_and_period_and_sent_once() {
    let w = World::new().await;
    let lease = w.task(&w.admin, "Sign the lease", false).await;
    let rent = w.task(&w.admin, "Pay the rent", false).await;
    for task in [lease.id, rent.id] {
        let mut tx = w.tx(&w.member).await;
        watching::watch(&mut tx, &w.member, task).await.unwrap();
        tx.commit().await.unwrap();
    }
    w.set(&w.other, Kind::Commented, Delivery::Hourly).await;
    let mut tx = w.tx(&w.other).await;
    watching::watch(&mut tx, &w.other, lease.id).await.unwrap();
    tx.commit().await.unwrap();

    w.comment(&w.admin, lease.id, "one").await;
    w.comment(&w.admin, rent.id, "two").await;
    w.comment(&w.admin, lease.id, "three").await;
    let mut tx = w.tx(&w.admin).await;
    let patch = TaskPatch {
        status: Some("done".into()),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.admin, rent.id, patch)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The daily digest is due at the next 07:00 on the Brussels clock.
    let mut tx = w.tx(&w.admin).await;
    let hours: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(hour FROM mail_after AT TIME ZONE 'Europe/Brussels')::float8
           FROM notifications WHERE mail = 'daily'",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(hours, vec![7.0; 4], "member's four daily notices");

    // Nothing is due now.
    let (report, sent) = w.pass(soon()).await;
    assert_eq!((report.messages, sent.len()), (0, 0));

    // Past the hour: other's hourly digest (two comments on the lease). (Member's daily one
    // too when the test runs between 06:00 and 07:00 in Brussels; it is counted below.)
    let (_, hourly) = w.pass(soon() + Duration::hours(1)).await;
    let others = to(&hourly, "other");
    assert_eq!(others.len(), 1, "{hourly:?}");
    assert_eq!(others[0].subject, "[Workspace acme] 2 new notifications");
    assert_eq!(others[0].body.matches("commented on WORK-1").count(), 2);

    // Past the day: one message for member holding all four.
    let (_, daily) = w.pass(soon() + Duration::days(1)).await;
    let mut member = to(&hourly, "member");
    member.extend(to(&daily, "member"));
    assert_eq!(member.len(), 1, "{hourly:?} {daily:?}");
    assert!(to(&daily, "other").is_empty());
    let m = member[0];
    assert_eq!(m.subject, "[Workspace acme] 4 new notifications");
    assert!(m
        .body
        .contains("admin person commented on WORK-2 \"Pay the rent\"."));
    assert!(m
        .body
        .contains("admin person moved WORK-2 \"Pay the rent\" to Done."));
    assert!(m
        .body
        .contains("https://bastion.example.eu/w/acme/t/WORK-1"));

    // A pass interrupted after the outbox commit, before the notices were marked, writes the
    // same message ids again: nobody gets a second message.
    let mut tx = w.tx(&w.admin).await;
    sqlx::query("UPDATE notifications SET mailed_at = NULL WHERE mail = 'daily'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (report, sent) = w.pass(soon() + Duration::days(1)).await;
    assert_eq!(report.mailed, 4, "the notices were handled again");
    assert!(sent.is_empty(), "but no message was queued twice: {sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_is_never_mailed_about_a_private_task_they_do_not_view() {
    let w = World::new().await;
    let private = w.task(&w.admin, "Salary review", true).await;

    // Mentioned on a private task they do not view: no notice, no mail.
    let body = format!("@[{}] have a look", w.guest.user_id);
    w.comment(&w.admin, private.id, &body).await;
    let (_, sent) = w.pass(soon() + Duration::days(2)).await;
    assert!(to(&sent, "guest").is_empty(), "{sent:?}");

    // Shared with them: the invitation is mailed (by default at once).
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, private.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, sent) = w.pass(soon()).await;
    let invited = to(&sent, "guest");
    assert_eq!(invited.len(), 1, "{sent:?}");
    assert_eq!(
        invited[0].subject,
        "[Workspace acme] admin person gave you access to WORK-1."
    );
    assert!(invited[0]
        .body
        .contains("admin person gave you access to WORK-1 \"Salary review\"."));

    // Mentioned while they see it, then unshared before the mail goes: dropped at sending.
    w.set(&w.guest, Kind::Mentioned, Delivery::Hourly).await;
    let body = format!("@[{}] look again", w.guest.user_id);
    w.comment(&w.admin, private.id, &body).await;
    let mut tx = w.tx(&w.admin).await;
    tasks::remove_task_viewer(&mut tx, &w.admin, private.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (report, sent) = w.pass(soon() + Duration::days(2)).await;
    assert!(to(&sent, "guest").is_empty(), "{sent:?}");
    assert!(report.dropped >= 1);
    let mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE recipient = 'guest@example.eu' AND sent_at IS NOT NULL",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(mails, 1, "only the invitation, while they could see it");
    let titles: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject LIKE '%Salary%' OR subject LIKE '%lease%'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(titles, 0, "no task title stays in the outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_tomorrow_follows_the_brussels_calendar_across_daylight_saving_and_once() {
    let w = World::new().await;
    let pool = &w.db.pool;
    // Brussels is UTC+2 in summer time and UTC+1 in winter; the day turns at local midnight.
    for (now, tomorrow) in [
        // 00:30 on Sunday 25 October, still summer time (the clocks go back at 03:00).
        (
            datetime!(2026-10-24 22:30 UTC),
            time::macros::date!(2026 - 10 - 26),
        ),
        // 23:30 on Saturday 24 October in Brussels.
        (
            datetime!(2026-10-24 21:30 UTC),
            time::macros::date!(2026 - 10 - 25),
        ),
        // 00:30 on Monday 26 October, winter time.
        (
            datetime!(2026-10-25 23:30 UTC),
            time::macros::date!(2026 - 10 - 27),
        ),
        // 00:30 on Monday 30 March, summer time since the 29th.
        (
            datetime!(2026-03-29 22:30 UTC),
            time::macros::date!(2026 - 03 - 31),
        ),
        // 23:30 on Sunday 29 March in Brussels.
        (
            datetime!(2026-03-29 21:30 UTC),
            time::macros::date!(2026 - 03 - 30),
        ),
    ] {
        assert_eq!(
            notification_mail::brussels_tomorrow(pool, now)
                .await
                .unwrap(),
            tomorrow,
            "at {now}"
        );
    }

    let mut tx = w.tx(&w.admin).await;
    let make = |title: &str, due: time::Date, assignee: Uuid, private: bool| NewTask {
        project_id: w.project,
        title: title.into(),
        due_on: Some(due),
        assignee_id: Some(assignee),
        private,
        ..NewTask::default()
    };
    let due = tasks::create_task(
        &mut tx,
        &w.admin,
        make(
            "File the return",
            time::macros::date!(2026 - 10 - 26),
            w.member.user_id,
            false,
        ),
    )
    .await
    .unwrap();
    // Due "tomorrow" only by the UTC calendar: not reminded.
    tasks::create_task(
        &mut tx,
        &w.admin,
        make(
            "Too soon",
            time::macros::date!(2026 - 10 - 25),
            w.member.user_id,
            false,
        ),
    )
    .await
    .unwrap();
    let private = tasks::create_task(
        &mut tx,
        &w.admin,
        make(
            "Private",
            time::macros::date!(2026 - 10 - 26),
            w.admin.user_id,
            true,
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = w.tx(&w.other).await;
    watching::watch(&mut tx, &w.other, due.id).await.unwrap();
    tx.commit().await.unwrap();
    // The guest watched the private task while it was shared with them, then lost it.
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, private.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = w.tx(&w.guest).await;
    watching::watch(&mut tx, &w.guest, private.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = w.tx(&w.admin).await;
    tasks::remove_task_viewer(&mut tx, &w.admin, private.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    w.pass(soon()).await; // the invitation mail, out of the way

    let at = datetime!(2026-10-24 22:30 UTC);
    let reminded = notification_mail::remind_due_tomorrow(pool, w.ws.id, at)
        .await
        .unwrap();
    assert_eq!(reminded, 2, "the two tasks due on the 26th");
    for _ in 0..2 {
        let again = notification_mail::remind_due_tomorrow(pool, w.ws.id, at)
            .await
            .unwrap();
        assert_eq!(again, 0, "once per task and due date");
    }
    let mut tx = w.tx(&w.admin).await;
    let mut told: Vec<(Uuid, Uuid, Option<String>)> = sqlx::query_as(
        "SELECT recipient_id, task_id, detail FROM notifications WHERE kind = 'due_tomorrow'",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    told.sort();
    let date = Some("2026-10-26".to_owned());
    // The admin created both (so watches them) and is the private one's assignee.
    let mut expected = vec![
        (w.member.user_id, due.id, date.clone()),
        (w.other.user_id, due.id, date.clone()),
        (w.admin.user_id, due.id, date.clone()),
        (w.admin.user_id, private.id, date.clone()),
    ];
    expected.sort();
    assert_eq!(
        told, expected,
        "assignee and watchers who see it; not the guest"
    );

    // Mailed in the daily digest, in the recipient's language and date format.
    accounts::set_locale(pool, w.other.user_id, bastion_i18n::Locale::Fr)
        .await
        .unwrap();
    let (_, sent) = w.pass(soon() + Duration::days(1)).await;
    let other = to(&sent, "other");
    assert_eq!(other.len(), 1, "{sent:?}");
    assert!(
        other[0]
            .body
            .contains("WORK-1 \"File the return\" arrive à échéance demain, le 26/10/2026."),
        "{}",
        other[0].body
    );
    assert!(to(&sent, "guest").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_token_turns_off_its_kinds_and_a_forged_one_changes_nothing() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let token = notification_mail::unsubscribe_token(
        master_keys(),
        w.ws.id,
        w.member.user_id,
        &[Kind::Mentioned],
    );
    assert!(
        !token.contains(&w.member.user_id.to_string()) && !token.contains(&w.ws.id.0.to_string()),
        "no ids in sight"
    );

    // Altered (each position in turn, a few of them), truncated, made under other keys, empty.
    let mut forged: Vec<String> = [10, 40, token.len() / 2, token.len() - 5]
        .into_iter()
        .map(|i| {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            String::from_utf8(bytes).unwrap()
        })
        .collect();
    forged.push(token[..token.len() - 4].to_owned());
    forged.push(notification_mail::unsubscribe_token(
        &MasterKeyRing::generate(),
        w.ws.id,
        w.member.user_id,
        &[Kind::Mentioned],
    ));
    forged.push(String::new());
    for bad in &forged {
        let err = notification_mail::unsubscribe(pool, master_keys(), bad).await;
        assert!(matches!(err, Err(CoreError::NotFound(_))), "{bad}: {err:?}");
    }
    assert_eq!(
        w.delivery(&w.member, Kind::Mentioned).await,
        Delivery::Immediately,
        "nothing changed"
    );

    let (_, read) = notification_mail::read_unsubscribe(pool, master_keys(), &token)
        .await
        .unwrap();
    assert_eq!(
        (read.email.as_str(), read.kinds.clone()),
        ("member@example.eu", vec![Kind::Mentioned])
    );
    assert_eq!(
        w.delivery(&w.member, Kind::Mentioned).await,
        Delivery::Immediately,
        "reading changes nothing"
    );
    notification_mail::unsubscribe(pool, master_keys(), &token)
        .await
        .unwrap();
    assert_eq!(w.delivery(&w.member, Kind::Mentioned).await, Delivery::Off);
    assert_eq!(
        w.delivery(&w.member, Kind::Assigned).await,
        Delivery::Immediately,
        "other kinds stay"
    );
    assert_eq!(
        w.delivery(&w.other, Kind::Mentioned).await,
        Delivery::Immediately,
        "other people stay"
    );
    // Again: still off, no error (a mail provider may post twice).
    notification_mail::unsubscribe(pool, master_keys(), &token)
        .await
        .unwrap();
}
