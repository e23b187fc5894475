//! What the time and audit pages' server functions share on the server: reading their forms and
//! turning what core refuses into a sentence that names the field as the form labels it.

use bastion_core::CoreError;

use crate::i18n::T;
use crate::UiError;

/// The person-facing name of a field the core names, as these pages' forms label it.
fn field_label(t: T, field: &str) -> Option<&'static str> {
    Some(match field {
        "minutes" => t.label_duration(),
        "rate_cents" | "rate" => t.label_rate_short(),
        "started_at" | "started" => t.label_start(),
        "note" => t.label_note(),
        "from" => t.label_first_date(),
        "to" => t.label_last_date(),
        "group" => t.label_grouping(),
        "entity" => t.label_entity(),
        "actor" => t.label_actor(),
        "cursor" => t.label_page_position(),
        "task" | "task_id" => t.label_task(),
        _ => return None,
    })
}

/// A core error as these pages say it: a field error with the form's label, anything else as
/// every page says it.
pub fn refusal(err: CoreError) -> UiError {
    match err {
        CoreError::Invalid { field, message } => invalid(field, &message),
        other => other.into(),
    }
}

/// 422 naming the field by its label: `invalid("minutes", "must be …")` reads "The duration
/// must be …", in the request's language when the words have a translation.
pub fn invalid(field: &'static str, message: &str) -> UiError {
    let sentence = crate::error::invalid_sentence(crate::use_t(), field, message, field_label);
    UiError::invalid(field, sentence)
}

/// An optional form value: empty means absent.
pub fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub fn parse_date(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<time::Date>, UiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    present(value)
        .map(|v| {
            time::Date::parse(&v, &format)
                .map_err(|_| invalid(field, "must be a date like 2026-03-30"))
        })
        .transpose()
}

pub fn date_text(date: Option<time::Date>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.and_then(|d| d.format(&format).ok())
        .unwrap_or_default()
}

/// Brussels wall time in the request's language: `30/03/2026 09:30`, `2026-03-30 09:30`.
pub fn wall_time(at: time::PrimitiveDateTime) -> String {
    let locale = crate::use_t().0;
    let date = crate::i18n::format_date(locale, at.year(), at.month() as u8, at.day());
    format!("{date} {:02}:{:02}", at.hour(), at.minute())
}

pub fn wall_time_input(at: time::PrimitiveDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    at.format(&format).unwrap_or_default()
}

/// A duration typed as whole minutes (`90`) or hours and minutes (`1:30`).
pub fn parse_minutes(input: &str) -> Option<i32> {
    let text = input.trim();
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    match text.split_once(':') {
        Some((hours, minutes)) if minutes.len() == 2 => {
            let (h, m) = (number(hours)?, number(minutes)?);
            (m < 60).then_some(h * 60 + m)
        }
        Some(_) => None,
        None => number(text),
    }
}

/// A Brussels wall time from a `datetime-local` input (`2026-03-30T09:30`, seconds optional).
pub fn parse_wall_time(input: &str) -> Option<time::PrimitiveDateTime> {
    let text = input.trim();
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, &minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(text, &seconds))
        .ok()
}

/// What a log or edit form sent, checked and converted: the start as an instant (Brussels wall
/// time, turned into one by `core::clock`, as every door does), minutes, billable, the rate in
/// whole cents.
pub async fn read_entry_form(
    tx: &mut bastion_core::TenantTx,
    started: &str,
    minutes: &str,
    billable: Option<String>,
    rate: &str,
) -> Result<(time::OffsetDateTime, i32, bool, i64), UiError> {
    let local = parse_wall_time(started)
        .ok_or_else(|| invalid("started", "must be a date and time like 2026-03-30T09:30"))?;
    let minutes = parse_minutes(minutes).ok_or_else(|| {
        invalid(
            "minutes",
            "must be whole minutes like 90, or hours like 1:30",
        )
    })?;
    let rate_cents = if rate.trim().is_empty() {
        0
    } else {
        crate::money::parse_eur_cents(rate).map_err(|why| invalid("rate", why))?
    };
    let at = bastion_core::clock::instant_of(tx, local).await?;
    Ok((at, minutes, billable.is_some(), rate_cents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_minutes_or_hours_and_minutes() {
        assert_eq!(parse_minutes("90"), Some(90));
        assert_eq!(parse_minutes(" 1:30 "), Some(90));
        assert_eq!(parse_minutes("0:05"), Some(5));
        for garbage in ["", "1:3", "1:60", "-5", "1.5", "abc", "999999", "1:30:00"] {
            assert_eq!(parse_minutes(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn wall_times_come_from_datetime_local_inputs() {
        assert!(parse_wall_time("2026-03-30T09:30").is_some());
        assert!(parse_wall_time("2026-03-30T09:30:15").is_some());
        assert!(parse_wall_time("30/03/2026 09:30").is_none());
    }

    #[test]
    fn core_field_errors_use_the_forms_labels() {
        let e = refusal(CoreError::invalid("minutes", "must be between 1 and 1440"));
        assert_eq!(e.to_string(), "The duration must be between 1 and 1440.");
        assert_eq!(e.status(), 422);
        assert_eq!(refusal(CoreError::NotFound("task")).status(), 404);
    }
}
