//! Time entries against the real PostgreSQL: who records, sees and changes what (filtered in
//! SQL), validation, and reports in integer cents on Europe/Brussels days and ISO weeks.

mod common;

use bastion_core::{
    testing::TestDb,
    time_entries::{
        self, NewTimeEntry, ReportGroup, ReportRow, TimeEntryChange, TimeFilter, Viewer,
    },
    workspaces::Workspace,
    CoreError, TenantTx,
};
use common::*;
use time::{macros::date, macros::datetime, OffsetDateTime};
use uuid::Uuid;

struct Fixture {
    db: TestDb,
    ws: Workspace,
    admin: Uuid,
    member: Uuid,
    other_member: Uuid,
    guest: Uuid,
    project: Uuid,
    public_task: Uuid,
    private_task: Uuid,
}

impl Fixture {
    async fn new() -> Self {
        let db = TestDb::new().await;
        let ws = workspace(&db.pool, "acme").await;
        let (admin, member, other_member, guest) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let mut tx = tenant(&db.pool, &ws).await;
        let c = tx.conn();
        for (user, role) in [
            (admin, "admin"),
            (member, "member"),
            (other_member, "member"),
            (guest, "guest"),
        ] {
            add_member_row(c, user, role).await;
        }
        let project = add_project(c, "Website").await;
        let (public_task, private_task) = (Uuid::new_v4(), Uuid::new_v4());
        for (task, private) in [(public_task, false), (private_task, true)] {
            sqlx::query(
                "WITH n AS (UPDATE projects SET last_task_number = last_task_number + 1
                             WHERE id = $2 RETURNING last_task_number)
                 INSERT INTO tasks (id, project_id, title, private, created_by, number)
                 SELECT $1, $2, 'Work', $3, $4, n.last_task_number FROM n",
            )
            .bind(task)
            .bind(project)
            .bind(private)
            .bind(admin)
            .execute(&mut *c)
            .await
            .unwrap();
        }
        // The guest views the public task only.
        add_viewer(c, public_task, guest).await;
        tx.commit().await.unwrap();
        Self {
            db,
            ws,
            admin,
            member,
            other_member,
            guest,
            project,
            public_task,
            private_task,
        }
    }

    fn role_of(&self, user: Uuid) -> &'static str {
        if user == self.admin {
            "admin"
        } else if user == self.guest {
            "guest"
        } else {
            "member"
        }
    }

    async fn tx(&self, user: Uuid) -> TenantTx {
        as_user(&self.db.pool, &self.ws, user).await
    }

    fn viewer(&self, user: Uuid) -> Viewer {
        Viewer {
            user_id: user,
            role: bastion_core::Role::parse(self.role_of(user)).unwrap(),
        }
    }

    // The call sites read as one line per entry, which a parameter struct would lose.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        by: Uuid,
        task: Uuid,
        user: Uuid,
        started_at: OffsetDateTime,
        minutes: i32,
        rate_cents: i64,
        billable: bool,
    ) -> Result<time_entries::TimeEntry, CoreError> {
        let mut tx = self.tx(by).await;
        let result = time_entries::create(
            &mut tx,
            self.viewer(by),
            &NewTimeEntry {
                task_id: task,
                user_id: user,
                started_at,
                minutes,
                billable,
                rate_cents,
                note: String::new(),
            },
        )
        .await;
        tx.commit().await.unwrap();
        result
    }

    async fn list(&self, user: Uuid) -> Vec<Uuid> {
        let mut tx = self.tx(user).await;
        let entries = time_entries::list(
            &mut tx,
            self.viewer(user),
            &TimeFilter::default(),
            None,
            100,
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        let mut ids: Vec<Uuid> = entries.into_iter().map(|e| e.id).collect();
        ids.sort();
        ids
    }

    async fn report(&self, user: Uuid, group: ReportGroup, filter: TimeFilter) -> Vec<ReportRow> {
        let mut tx = self.tx(user).await;
        let rows = time_entries::report(&mut tx, self.viewer(user), group, &filter)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        rows
    }
}

const NOW: OffsetDateTime = datetime!(2026-03-10 09:00 UTC);

#[tokio::test]
async fn admins_see_all_members_their_own_guests_none() {
    let f = Fixture::new().await;
    let mine = f
        .record(f.member, f.public_task, f.member, NOW, 30, 9000, true)
        .await
        .unwrap();
    let admins = f
        .record(f.admin, f.private_task, f.admin, NOW, 60, 9000, true)
        .await
        .unwrap();
    // Admins may record for a member; the entry is the member's.
    let for_other = f
        .record(f.admin, f.public_task, f.other_member, NOW, 15, 0, false)
        .await
        .unwrap();
    assert_eq!(for_other.user_id, f.other_member);

    let mut all = vec![mine.id, admins.id, for_other.id];
    all.sort();
    assert_eq!(f.list(f.admin).await, all);
    assert_eq!(f.list(f.member).await, vec![mine.id]);
    assert_eq!(f.list(f.other_member).await, vec![for_other.id]);
    // Guests track no time: core refuses them, whatever they ask.
    let mut tx = f.tx(f.guest).await;
    let guest = f.viewer(f.guest);
    assert!(matches!(
        time_entries::list(&mut tx, guest, &TimeFilter::default(), None, 100).await,
        Err(CoreError::Forbidden(_))
    ));
    tx.rollback().await.unwrap();
    assert!(matches!(
        f.record(f.guest, f.public_task, f.guest, NOW, 30, 0, true)
            .await,
        Err(CoreError::Forbidden(_))
    ));
    // Members record their own time only; admins for anyone (above).
    assert!(matches!(
        f.record(f.member, f.public_task, f.other_member, NOW, 30, 0, true)
            .await,
        Err(CoreError::Forbidden(_))
    ));

    // A task the member cannot see does not exist for them.
    let hidden = f
        .record(f.member, f.private_task, f.member, NOW, 30, 0, true)
        .await;
    assert!(matches!(hidden, Err(CoreError::NotFound("task"))));

    // Someone else's entry is invisible to a member: not found for get, change and delete.
    let mut tx = f.tx(f.member).await;
    for result in [
        time_entries::get(&mut tx, f.viewer(f.member), for_other.id)
            .await
            .map(|_| ()),
        time_entries::update(
            &mut tx,
            f.viewer(f.member),
            for_other.id,
            &TimeEntryChange {
                minutes: Some(1),
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        time_entries::delete(&mut tx, f.viewer(f.member), for_other.id).await,
    ] {
        assert!(
            matches!(result, Err(CoreError::NotFound("time entry"))),
            "{result:?}"
        );
    }
    // Their own they change and delete.
    let changed = time_entries::update(
        &mut tx,
        f.viewer(f.member),
        mine.id,
        &TimeEntryChange {
            minutes: Some(45),
            note: Some("review".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((changed.minutes, changed.note.as_str()), (45, "review"));
    assert_eq!(changed.rate_cents, 9000);
    time_entries::delete(&mut tx, f.viewer(f.member), mine.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(f.list(f.member).await.is_empty());

    // Admins change anyone's.
    let mut tx = f.tx(f.admin).await;
    time_entries::update(
        &mut tx,
        f.viewer(f.admin),
        for_other.id,
        &TimeEntryChange {
            billable: Some(true),
            rate_cents: Some(6000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    time_entries::delete(&mut tx, f.viewer(f.admin), for_other.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(f.list(f.admin).await, vec![admins.id]);
}

#[tokio::test]
async fn invalid_entries_are_refused_with_the_field_named() {
    let f = Fixture::new().await;
    for (minutes, rate, field) in [
        (0, 100, "minutes"),
        (1441, 100, "minutes"),
        (10, -1, "rate_cents"),
    ] {
        let result = f
            .record(f.admin, f.public_task, f.admin, NOW, minutes, rate, true)
            .await;
        assert!(
            matches!(&result, Err(CoreError::Invalid { field: named, .. }) if *named == field),
            "{result:?}"
        );
    }
    let result = f
        .record(f.admin, f.public_task, Uuid::new_v4(), NOW, 10, 100, true)
        .await;
    assert!(matches!(
        result,
        Err(CoreError::Invalid {
            field: "user_id",
            ..
        })
    ));
    let result = f
        .record(
            f.admin,
            f.public_task,
            f.admin,
            datetime!(1999-12-31 12:00 UTC),
            10,
            100,
            true,
        )
        .await;
    assert!(matches!(
        result,
        Err(CoreError::Invalid {
            field: "started_at",
            ..
        })
    ));
    // Nothing was written.
    assert!(f.list(f.admin).await.is_empty());
}

#[tokio::test]
async fn reports_count_brussels_days_and_iso_weeks_in_whole_cents() {
    let f = Fixture::new().await;
    // Each their own: (who, task, started at, minutes, rate in cents, billable).
    let entries = [
        // Summer time starts in Brussels at 2026-03-29 01:00 UTC. 22:30 UTC that Sunday is
        // already 00:30 on Monday 30 March in Brussels: another day and another ISO week (W14)
        // than in UTC.
        (
            f.member,
            f.public_task,
            datetime!(2026-03-29 22:30 UTC),
            30,
            9000,
            true,
        ),
        // 23:30 on Sunday 29 March in Brussels (CEST): still week 13.
        (
            f.member,
            f.public_task,
            datetime!(2026-03-29 21:30 UTC),
            7,
            100,
            true,
        ),
        // 00:30 on Sunday 29 March in Brussels, still winter time (CET): Saturday in UTC.
        (
            f.admin,
            f.private_task,
            datetime!(2026-03-28 23:30 UTC),
            60,
            5000,
            false,
        ),
    ];
    let mut recorded = Vec::new();
    for (who, task, started_at, minutes, rate, billable) in entries {
        let entry = f.record(who, task, who, started_at, minutes, rate, billable);
        recorded.push(entry.await.unwrap());
    }
    let after_midnight = &recorded[0];

    let days = f
        .report(f.admin, ReportGroup::Day, TimeFilter::default())
        .await;
    let by_day: Vec<(&str, i64, i64)> = days
        .iter()
        .map(|r| (r.key.as_str(), r.entries, r.minutes))
        .collect();
    assert_eq!(by_day, vec![("2026-03-29", 2, 67), ("2026-03-30", 1, 30)]);

    let weeks = f
        .report(f.admin, ReportGroup::Week, TimeFilter::default())
        .await;
    let by_week: Vec<(&str, Option<&str>, i64, i64)> = weeks
        .iter()
        .map(|r| {
            (
                r.key.as_str(),
                r.label.as_deref(),
                r.entries,
                r.amount_cents,
            )
        })
        .collect();
    // W13: 7 min at €1.00/h = 11.67 -> 12 cents, plus a non-billable hour (no amount).
    // W14: 30 min at €90.00/h = €45.00.
    assert_eq!(
        by_week,
        vec![
            ("2026-W13", Some("2026-03-23"), 2, 12),
            ("2026-W14", Some("2026-03-30"), 1, 4500),
        ]
    );

    // A date range in Brussels dates: the Monday alone.
    let monday = f
        .report(
            f.admin,
            ReportGroup::Person,
            TimeFilter {
                from: Some(date!(2026 - 03 - 30)),
                to: Some(date!(2026 - 03 - 30)),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(monday.len(), 1);
    assert_eq!(
        (monday[0].key.clone(), monday[0].minutes),
        (f.member.to_string(), 30)
    );
    let mut tx = f.tx(f.admin).await;
    let listed = time_entries::list(
        &mut tx,
        f.viewer(f.admin),
        &TimeFilter {
            from: Some(date!(2026 - 03 - 30)),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![after_midnight.id]
    );

    // Per project and person; members' reports hold only their own time.
    let projects = f
        .report(f.admin, ReportGroup::Project, TimeFilter::default())
        .await;
    assert_eq!(projects.len(), 1);
    assert_eq!(
        (
            projects[0].key.clone(),
            projects[0].label.as_deref(),
            projects[0].minutes,
            projects[0].billable_minutes,
            projects[0].amount_cents
        ),
        (f.project.to_string(), Some("Website"), 97, 37, 4512)
    );
    let people = f
        .report(f.member, ReportGroup::Person, TimeFilter::default())
        .await;
    assert_eq!(people.len(), 1);
    assert_eq!((people[0].minutes, people[0].amount_cents), (37, 4512));
    let mut tx = f.tx(f.guest).await;
    assert!(matches!(
        time_entries::report(
            &mut tx,
            f.viewer(f.guest),
            ReportGroup::Project,
            &TimeFilter::default()
        )
        .await,
        Err(CoreError::Forbidden(_))
    ));
    tx.rollback().await.unwrap();
}

/// The one conversion between Brussels wall time and instants (`core::clock`, PostgreSQL's
/// time-zone database) across both changes of 2026: summer time from 29 March 01:00 UTC to
/// 25 October 01:00 UTC.
#[tokio::test]
async fn brussels_wall_time_follows_the_summer_time_rule() {
    let f = Fixture::new().await;
    let mut tx = f.tx(f.admin).await;
    for (utc, local) in [
        (datetime!(2026-01-15 08:30 UTC), datetime!(2026-01-15 09:30)),
        (datetime!(2026-07-01 07:00 UTC), datetime!(2026-07-01 09:00)),
        (datetime!(2026-03-29 00:59 UTC), datetime!(2026-03-29 01:59)),
        (datetime!(2026-03-29 01:00 UTC), datetime!(2026-03-29 03:00)),
        (datetime!(2026-10-25 00:59 UTC), datetime!(2026-10-25 02:59)),
        (datetime!(2026-10-25 01:00 UTC), datetime!(2026-10-25 02:00)),
        (datetime!(2026-12-31 23:30 UTC), datetime!(2027-01-01 00:30)),
    ] {
        let shown = bastion_core::clock::local_times(&mut tx, &[utc])
            .await
            .unwrap();
        assert_eq!(shown, vec![local], "{utc}");
    }
    for (local, utc) in [
        (datetime!(2026-01-15 09:30), datetime!(2026-01-15 08:30 UTC)),
        (datetime!(2026-07-01 09:00), datetime!(2026-07-01 07:00 UTC)),
        // The repeated autumn hour: the later (winter-time) reading.
        (datetime!(2026-10-25 02:30), datetime!(2026-10-25 01:30 UTC)),
        // The skipped spring hour: moved forward an hour.
        (datetime!(2026-03-29 02:30), datetime!(2026-03-29 01:30 UTC)),
    ] {
        let at = bastion_core::clock::instant_of(&mut tx, local)
            .await
            .unwrap();
        assert_eq!(at, utc, "{local}");
    }
    tx.rollback().await.unwrap();
}
