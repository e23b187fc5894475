//! The task page's Repeat section (issue 20): the rule in words with its next date, a link to
//! the occurrence the task has made, and for whoever may edit the task a plain form (an
//! `ActionForm`, so it works before and without the script) to set or stop the rule. The core
//! (`bastion_core::work::recurrence`) decides who may and what is a valid rule.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::task_model::TaskLink;
use super::FormError;
use crate::error::action_error;
use crate::policy::{self, Role, TaskFacts};
use crate::UiError;

#[cfg(feature = "ssr")]
use super::task_actions::change_task;
#[cfg(feature = "ssr")]
use bastion_core::work::recurrence;

/// A rule as the page shows and edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatRule {
    /// `days`, `weeks` or `months`.
    pub unit: String,
    pub every: i16,
    /// Weekly: Monday is 0.
    pub weekdays: Vec<usize>,
    pub month_day: Option<i16>,
    pub last_working_day: bool,
    /// `on_done` or `on_date`.
    pub trigger: String,
    /// `YYYY-MM-DD`, a Brussels date.
    pub next_on: String,
}

/// What the section shows: the rule, if any, and the occurrence already made from this task,
/// if the caller sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repeat {
    pub rule: Option<RepeatRule>,
    pub next_task: Option<TaskLink>,
}

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    use super::*;
    use bastion_core::{TenantTx, Viewer};

    pub async fn fetch(
        tx: &mut TenantTx,
        viewer: &Viewer,
        task: uuid::Uuid,
    ) -> Result<Repeat, UiError> {
        let rule = recurrence::get_recurrence(tx, viewer, task)
            .await?
            .map(|r| RepeatRule {
                weekdays: (0..7)
                    .filter(|d| r.weekdays.unwrap_or(0) & (1 << d) != 0)
                    .collect(),
                unit: r.unit,
                every: r.every,
                month_day: r.month_day,
                last_working_day: r.last_working_day,
                trigger: r.trigger,
                next_on: r.next_on.to_string(),
            });
        let next_task = recurrence::next_occurrence(tx, viewer, task)
            .await?
            .map(|t| TaskLink {
                id: t.id.to_string(),
                key: t.key,
                title: t.title,
                status: t.status,
            });
        Ok(Repeat { rule, next_task })
    }
}

/// Sets the task's rule from the form: a checkbox per weekday (`mon` … `sun`, each sent only
/// when ticked), the day of the month (empty for none) and the last-working-day box.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "set_recurrence")]
pub async fn set_recurrence(
    slug: String,
    task_id: String,
    unit: String,
    every: String,
    trigger: String,
    month_day: Option<String>,
    last_working_day: Option<String>,
    mon: Option<String>,
    tue: Option<String>,
    wed: Option<String>,
    thu: Option<String>,
    fri: Option<String>,
    sat: Option<String>,
    sun: Option<String>,
) -> Result<(), UiError> {
    let every = every.trim().parse().map_err(|_| {
        bastion_core::CoreError::invalid("every", "must be a whole number from 1 to 99")
    })?;
    let month_day =
        match month_day.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(day) => Some(day.parse().map_err(|_| {
                bastion_core::CoreError::invalid("month_day", "must be from 1 to 31")
            })?),
        };
    let ticked = [mon, tue, wed, thu, fri, sat, sun];
    let weekdays = recurrence::WEEKDAYS
        .iter()
        .zip(ticked)
        .filter(|(_, on)| on.is_some())
        .map(|(name, _)| (*name).to_owned())
        .collect();
    // The form always sends a day and the weekdays; what does not belong to the unit chosen is
    // left out, as a person switching units means.
    let unit_is = |u: &str| unit == u;
    let last_working_day = last_working_day.is_some() && unit_is("months");
    let input = recurrence::RecurrenceInput {
        weekdays: if unit_is("weeks") {
            weekdays
        } else {
            Vec::new()
        },
        month_day: if unit_is("months") && !last_working_day {
            month_day
        } else {
            None
        },
        last_working_day,
        unit,
        every,
        trigger,
    };
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(recurrence::set_recurrence(tx, viewer, id, &input).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "stop_recurrence")]
pub async fn stop_recurrence(slug: String, task_id: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(recurrence::remove_recurrence(tx, viewer, id).await?)
    })
    .await
}

/// The section's actions, made once by the page so that it reloads after each.
#[derive(Clone, Copy)]
pub struct RepeatActions {
    pub set: ServerAction<SetRecurrence>,
    pub stop: ServerAction<StopRecurrence>,
}

impl RepeatActions {
    pub fn new() -> Self {
        Self {
            set: crate::error::server_action(),
            stop: crate::error::server_action(),
        }
    }

    pub fn version(&self) -> usize {
        self.set.version().get() + self.stop.version().get()
    }

    pub fn announce(&self, notice: RwSignal<Option<String>>) {
        let t = crate::use_t();
        super::announce!(notice,
            self.set => t.repeat_saved(),
            self.stop => t.repeat_stopped(),
        );
    }
}

impl Default for RepeatActions {
    fn default() -> Self {
        Self::new()
    }
}

/// Short weekday names, Monday first, in the page's language.
fn weekday_short(t: crate::i18n::T, day: usize) -> &'static str {
    match day {
        0 => t.calendar_day_short_1(),
        1 => t.calendar_day_short_2(),
        2 => t.calendar_day_short_3(),
        3 => t.calendar_day_short_4(),
        4 => t.calendar_day_short_5(),
        5 => t.calendar_day_short_6(),
        _ => t.calendar_day_short_7(),
    }
}

fn weekday_long(t: crate::i18n::T, day: usize) -> &'static str {
    match day {
        0 => t.calendar_day_1(),
        1 => t.calendar_day_2(),
        2 => t.calendar_day_3(),
        3 => t.calendar_day_4(),
        4 => t.calendar_day_5(),
        5 => t.calendar_day_6(),
        _ => t.calendar_day_7(),
    }
}

/// The rule in words: "Every month on day 31", "Every 2 weeks on Mon, Thu", "Every month on
/// the last working day".
pub fn describe(t: crate::i18n::T, rule: &RepeatRule) -> String {
    let n = rule.every;
    match rule.unit.as_str() {
        "weeks" => {
            let days = rule
                .weekdays
                .iter()
                .map(|d| weekday_short(t, *d))
                .collect::<Vec<_>>()
                .join(", ");
            if n == 1 {
                t.repeat_weekly(days)
            } else {
                t.repeat_weeks(n, days)
            }
        }
        "months" if rule.last_working_day => {
            if n == 1 {
                t.repeat_monthly_last().to_owned()
            } else {
                t.repeat_months_last(n)
            }
        }
        "months" => {
            let day = rule.month_day.unwrap_or(1);
            if n == 1 {
                t.repeat_monthly_day(day)
            } else {
                t.repeat_months_day(n, day)
            }
        }
        _ if n == 1 => t.repeat_daily().to_owned(),
        _ => t.repeat_days(n),
    }
}

/// The Repeat section: the rule and its next date, the occurrence made from this task, and the
/// form for those who may edit the task.
#[component]
pub fn RepeatSection(
    slug: String,
    task_id: String,
    repeat: Repeat,
    role: Role,
    facts: TaskFacts,
    actions: RepeatActions,
) -> impl IntoView {
    let t = crate::use_t();
    let can_edit = policy::can_manage_recurrence(role, &facts);
    let error = {
        let (a, b) = (action_error(actions.set), action_error(actions.stop));
        move || a().or_else(b)
    };
    let rule = repeat.rule.clone();
    let shown = rule.is_some() || repeat.next_task.is_some() || can_edit;
    let current = rule.clone().unwrap_or(RepeatRule {
        unit: "months".into(),
        every: 1,
        weekdays: Vec::new(),
        month_day: None,
        last_working_day: false,
        trigger: "on_done".into(),
        next_on: String::new(),
    });
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    shown.then(|| view! {
        <section class="card" aria-labelledby="repeat-title">
            <h2 id="repeat-title">{t.repeat()}</h2>
            {match &rule {
                Some(rule) => view! {
                    <p data-testid="repeat-rule"><strong>{describe(t, rule)}</strong></p>
                    <p class="muted">
                        {if rule.trigger == "on_date" { t.repeat_when_date() } else { t.repeat_when_done() }}
                        " "
                        <span data-testid="repeat-next-on">{t.repeat_next_on(crate::i18n::format_iso_date(t.0, &rule.next_on))}</span>
                    </p>
                }.into_any(),
                None => view! { <p class="muted">{t.repeat_none()}</p> }.into_any(),
            }}
            {repeat.next_task.clone().map(|next| view! {
                <p data-testid="repeat-next-task">{t.repeat_next_task()} " "
                    <a href=format!("/w/{}/t/{}", slug.get_value(), next.key)>
                        <span class="task-key">{next.key.clone()}</span> " " {next.title.clone()}
                    </a>
                </p>
            })}
            <FormError error/>
            {can_edit.then(|| view! {
                <ActionForm action=actions.set attr:class="form repeat-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="task_id" value=task_id.get_value()/>
                    <div class="inline-fields">
                        <div class="field">
                            <label for="repeat-every">{t.repeat_every()}</label>
                            <input id="repeat-every" name="every" type="number" min="1" max="99" required value=current.every.to_string()/>
                        </div>
                        <div class="field">
                            <label for="repeat-unit">{t.repeat_unit()}</label>
                            <select id="repeat-unit" name="unit">
                                <option value="days" selected=current.unit == "days">{t.repeat_unit_days()}</option>
                                <option value="weeks" selected=current.unit == "weeks">{t.repeat_unit_weeks()}</option>
                                <option value="months" selected=current.unit == "months">{t.repeat_unit_months()}</option>
                            </select>
                        </div>
                        <div class="field">
                            <label for="repeat-trigger">{t.repeat_trigger()}</label>
                            <select id="repeat-trigger" name="trigger">
                                <option value="on_done" selected=current.trigger == "on_done">{t.repeat_trigger_done()}</option>
                                <option value="on_date" selected=current.trigger == "on_date">{t.repeat_trigger_date()}</option>
                            </select>
                        </div>
                    </div>
                    <fieldset class="weekday-picker">
                        <legend>{t.repeat_weekdays()}</legend>
                        {recurrence_weekdays().into_iter().enumerate().map(|(day, name)| view! {
                            <label class="checkbox">
                                <input type="checkbox" name=name checked=current.weekdays.contains(&day)/>
                                " " <abbr title=weekday_long(t, day)>{weekday_short(t, day)}</abbr>
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <div class="inline-fields">
                        <div class="field">
                            <label for="repeat-month-day">{t.repeat_month_day()}</label>
                            <input id="repeat-month-day" name="month_day" type="number" min="1" max="31"
                                value=current.month_day.map(|d| d.to_string()).unwrap_or_default()/>
                        </div>
                        <label class="checkbox">
                            <input type="checkbox" name="last_working_day" checked=current.last_working_day/>
                            " " {t.repeat_last_working_day()}
                        </label>
                    </div>
                    <button type="submit" class="button small">{t.repeat_save()}</button>
                </ActionForm>
                {rule.is_some().then(|| view! {
                    <ActionForm action=actions.stop attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug.get_value()/>
                        <input type="hidden" name="task_id" value=task_id.get_value()/>
                        <button type="submit" class="button small secondary">{t.repeat_stop()}</button>
                    </ActionForm>
                })}
            })}
        </section>
    })
}

/// The weekday checkboxes' names, as the server function takes them.
fn recurrence_weekdays() -> [&'static str; 7] {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Locale, T};

    fn rule(unit: &str, every: i16) -> RepeatRule {
        RepeatRule {
            unit: unit.into(),
            every,
            weekdays: Vec::new(),
            month_day: None,
            last_working_day: false,
            trigger: "on_done".into(),
            next_on: "2026-11-30".into(),
        }
    }

    #[test]
    fn rules_read_as_sentences() {
        let t = T(Locale::En);
        assert_eq!(
            describe(
                t,
                &RepeatRule {
                    month_day: Some(31),
                    ..rule("months", 1)
                }
            ),
            "Every month on day 31"
        );
        assert_eq!(
            describe(
                t,
                &RepeatRule {
                    weekdays: vec![0, 3],
                    ..rule("weeks", 2)
                }
            ),
            "Every 2 weeks on Mon, Thu"
        );
        assert_eq!(
            describe(
                t,
                &RepeatRule {
                    last_working_day: true,
                    ..rule("months", 1)
                }
            ),
            "Every month on the last working day"
        );
        assert_eq!(describe(t, &rule("days", 1)), "Every day");
        assert_eq!(describe(t, &rule("days", 3)), "Every 3 days");
    }
}
