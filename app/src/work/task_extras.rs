//! The task page's time, attachments and history sections, loaded together in the page's
//! transaction: each section's rows, server functions and component live in its own module
//! ([`super::task_time`], [`super::attachments`], [`super::history`]); this one reads what they
//! show, as core allows the caller, and turns it into their rows.

pub use super::attachments::{AttachmentRow, AttachmentsSection, DeleteAttachment};
pub use super::history::{HistoryRow, HistorySection};
pub use super::task_time::{DeleteTimeEntry, LogTime, TimeSection, TimeSummary};

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    //! Loading the sections and turning records into rows.

    use std::collections::HashMap;

    use bastion_core::{
        attachments::Attachment,
        audit::{self, HistoryEvent, HistoryPage},
        clock,
        time_entries::{self, ReportGroup, TimeEntry, TimeFilter},
        CoreError, CoreResult, TenantTx, Viewer,
    };
    use time::{OffsetDateTime, PrimitiveDateTime};
    use uuid::Uuid;

    use super::{AttachmentRow, HistoryRow, TimeSummary};
    use crate::money::{format_eur, format_minutes};
    use crate::policy::Role;
    use crate::work::history::{srv as history, HISTORY_SHOWN};
    use crate::work::task_time::TimeRow;
    use crate::work::task_time::TIME_SHOWN;
    use crate::work::{ProjectRow, TagRow};
    use crate::UiError;

    /// What the sections need, read in the page's transaction. A section core refuses the
    /// caller (time for guests, history for non-admins) is `None` and not shown.
    pub struct Extras {
        time: Option<(Vec<TimeEntry>, i64, i64)>,
        attachments: Vec<Attachment>,
        pub(crate) history: Option<Vec<HistoryEvent>>,
        /// Brussels wall time of every instant shown, from `core::clock`.
        wall: HashMap<OffsetDateTime, PrimitiveDateTime>,
        now: PrimitiveDateTime,
    }

    /// A section the caller may not see, as absent rather than as an error.
    fn unless_forbidden<T>(result: CoreResult<T>) -> CoreResult<Option<T>> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(CoreError::Forbidden(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    pub async fn fetch(
        tx: &mut TenantTx,
        user_id: Uuid,
        role: Role,
        task_id: Uuid,
    ) -> Result<Extras, UiError> {
        let viewer = Viewer::new(user_id, role);
        let filter = TimeFilter {
            task_id: Some(task_id),
            ..TimeFilter::default()
        };
        let time = match unless_forbidden(
            time_entries::list(tx, viewer, &filter, None, TIME_SHOWN).await,
        )? {
            None => None,
            Some(entries) => {
                // Totals from the report, so they cover every entry, not only those shown.
                let totals =
                    time_entries::report(tx, viewer, ReportGroup::Project, &filter).await?;
                let minutes = totals.iter().map(|r| r.minutes).sum();
                let cents = totals.iter().map(|r| r.amount_cents).sum();
                Some((entries, minutes, cents))
            }
        };
        let attachments = bastion_core::attachments::list_for_task(tx, viewer, task_id).await?;
        let page = HistoryPage {
            before: None,
            limit: HISTORY_SHOWN,
        };
        let history = unless_forbidden(audit::task_history(tx, viewer, task_id, page).await)?;

        let mut instants: Vec<OffsetDateTime> = Vec::new();
        if let Some((entries, _, _)) = &time {
            instants.extend(entries.iter().map(|e| e.started_at));
        }
        instants.extend(attachments.iter().map(|a| a.created_at));
        for event in history.iter().flatten() {
            history::instants(event, &mut instants);
        }
        let local = clock::local_times(tx, &instants).await?;
        let now = clock::now_local(tx).await?;
        Ok(Extras {
            time,
            attachments,
            history,
            wall: instants.into_iter().zip(local).collect(),
            now,
        })
    }

    impl Extras {
        /// Everyone whose name the sections show.
        pub fn people(&self) -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = Vec::new();
            if let Some((entries, _, _)) = &self.time {
                ids.extend(entries.iter().map(|e| e.user_id));
            }
            ids.extend(self.attachments.iter().map(|a| a.uploader_id));
            for event in self.history.iter().flatten() {
                history::people(event, &mut ids);
            }
            ids
        }

        #[allow(clippy::type_complexity)]
        pub fn rows(
            self,
            caller: &bastion_core::accounts::User,
            role: Role,
            names: &HashMap<Uuid, String>,
            projects: &[ProjectRow],
            tags: &[TagRow],
            fields: &[crate::work::fields::FieldDef],
        ) -> (
            Option<TimeSummary>,
            Vec<AttachmentRow>,
            Option<Vec<HistoryRow>>,
        ) {
            let name = |id: &Uuid| {
                names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| crate::use_t().former_member().into())
            };
            let wall_map = self.wall;
            let wall = |at: OffsetDateTime| {
                wall_map
                    .get(&at)
                    .map(|local| crate::work::srv::local_time(*local))
                    .unwrap_or_default()
            };
            let locale = caller.locale.as_str();
            let now = self.now;
            let time = self.time.map(|(entries, minutes, cents)| TimeSummary {
                my_role: role,
                entries: entries
                    .into_iter()
                    .map(|e| TimeRow {
                        id: e.id.to_string(),
                        started: wall(e.started_at),
                        person: name(&e.user_id),
                        duration: format_minutes(e.minutes.into()),
                        billable: e.billable,
                        rate: format_eur(e.rate_cents, locale),
                        amount: if e.billable {
                            format_eur(time_entries::amount_cents(e.minutes, e.rate_cents), locale)
                        } else {
                            String::new()
                        },
                        note: e.note,
                        own: e.user_id == caller.id,
                    })
                    .collect(),
                total_duration: format_minutes(minutes),
                total_amount: format_eur(cents, locale),
                today: crate::work::srv::iso(now.date()),
                now: format!("{:02}:{:02}", now.hour(), now.minute()),
            });
            let attachments = self
                .attachments
                .into_iter()
                .map(|a| {
                    let (uploader, uploaded) = (name(&a.uploader_id), wall(a.created_at));
                    crate::work::attachments::row(a, caller.id, role, uploader, uploaded)
                })
                .collect();
            let known = history::Known {
                name: &name,
                wall: &wall,
                locale,
                projects,
                tags,
                fields,
            };
            let history = self.history.map(|events| {
                events
                    .into_iter()
                    .filter_map(|e| history::row(e, &known))
                    .collect()
            });
            (time, attachments, history)
        }
    }
}
