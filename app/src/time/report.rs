//! The report card: the grouping and date form, a bar chart and the same figures as a table.

use leptos::prelude::*;

use super::{groups, DateRangeFields, TimeReportView};
use crate::money::{format_eur, format_minutes};
use crate::url::SearchForm;

#[component]
pub(super) fn ReportCard(slug: String, view: TimeReportView) -> impl IntoView {
    let locale = view.locale.clone();
    let t = crate::use_t();
    let group_name = groups(t)
        .iter()
        .find(|(key, _)| *key == view.group)
        .map(|(_, label)| *label)
        .unwrap_or(t.group_project());
    let date = |iso: &str| crate::i18n::format_iso_date(t.0, iso);
    let range = match (view.from.as_str(), view.to.as_str()) {
        ("", "") => t.range_all_dates().to_owned(),
        (from, "") => t.range_onwards(date(from)),
        ("", to) => t.range_up_to(date(to)),
        (from, to) => t.range_between(date(from), date(to)),
    };
    // German keeps its nouns capitalised inside a sentence.
    let group_word = if t.0 == crate::i18n::Locale::De {
        group_name.to_owned()
    } else {
        group_name.to_lowercase()
    };
    let caption = t.report_caption(group_word, &range);
    let bars: Vec<(String, i64, String)> = view
        .lines
        .iter()
        .map(|l| {
            (
                l.label.clone(),
                l.minutes,
                format!(
                    "{} h · {}",
                    format_minutes(l.minutes),
                    format_eur(l.amount_cents, &locale)
                ),
            )
        })
        .collect();
    let empty = view.lines.is_empty();
    view! {
        <section class="card" aria-labelledby="report-title">
            <h2 id="report-title">{t.report_heading()}</h2>
            <SearchForm action=format!("/w/{slug}/time") class="form inline-fields filters">
                <div class="field">
                    <label for="report-group">{t.report_group_by()}</label>
                    <select id="report-group" name="group">
                        {groups(t).into_iter().map(|(key, label)| view! {
                            <option value=key selected=key == view.group>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <DateRangeFields id_prefix="report" from=view.from.clone() to=view.to.clone()/>
                <button type="submit" class="button">{t.report_show()}</button>
            </SearchForm>
            {if let Some(error) = view.error.clone() {
                view! { <p class="form-error" role="alert">{error}</p> }.into_any()
            } else if empty {
                view! {
                    <p class="empty-note">{t.report_empty(range.clone())}</p>
                }.into_any()
            } else {
                view! {
                    <BarChart caption=caption.clone() bars=bars/>
                    <div class="table-scroll">
                        <table class="table report-table">
                            <caption class="visually-hidden">{caption.clone()}</caption>
                            <thead><tr>
                                <th scope="col">{group_name}</th>
                                <th scope="col" class="num optional">{t.col_entries()}</th>
                                <th scope="col" class="num">{t.col_hours()}</th>
                                <th scope="col" class="num">{t.col_billable_hours()}</th>
                                <th scope="col" class="num">{t.col_amount()}</th>
                            </tr></thead>
                            <tbody>
                                {view.lines.iter().map(|l| view! {
                                    <tr>
                                        <th scope="row">{l.label.clone()}</th>
                                        <td class="num optional" data-label=t.col_entries()>{l.entries}</td>
                                        <td class="num" data-label=t.col_hours()>{format_minutes(l.minutes)}</td>
                                        <td class="num" data-label=t.col_billable_hours()>{format_minutes(l.billable_minutes)}</td>
                                        <td class="num" data-label=t.col_amount()>{format_eur(l.amount_cents, &locale)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                            <tfoot><tr>
                                <th scope="row">{t.col_total()}</th>
                                <td class="num optional" data-label=t.col_entries()>{view.lines.iter().map(|l| l.entries).sum::<i64>()}</td>
                                <td class="num" data-label=t.col_hours()>{format_minutes(view.total_minutes)}</td>
                                <td class="num" data-label=t.col_billable_hours()>{format_minutes(view.lines.iter().map(|l| l.billable_minutes).sum())}</td>
                                <td class="num" data-label=t.col_amount()>{format_eur(view.total_amount_cents, &locale)}</td>
                            </tr></tfoot>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Horizontal bars drawn on the server as SVG: no chart script, and the table beside it carries
/// the same numbers for screen readers. Bar widths are percentages of the widest, so the chart
/// follows the page width while its text keeps its size.
#[component]
fn BarChart(caption: String, bars: Vec<(String, i64, String)>) -> impl IntoView {
    const ROW: usize = 50;
    let widest = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let height = (bars.len() * ROW).to_string();
    let t = crate::use_t();
    view! {
        <figure class="chart">
            <svg class="bar-chart" role="img" aria-label=caption.clone() width="100%" height=height>
                <title>{caption.clone()}</title>
                {bars.into_iter().enumerate().map(|(i, (label, minutes, value))| {
                    let top = i * ROW;
                    // Hundredths of a percent, in integers; a non-zero total shows at least a sliver.
                    let width = (minutes.max(0) * 10_000 / widest).max(if minutes > 0 { 50 } else { 0 });
                    let label = shorten(&label, 40);
                    let share = format!("{}.{:02}%", width / 100, width % 100);
                    // The figure sits inside a long bar and just past the end of a short one.
                    let inside = width >= 5_500;
                    view! {
                        <text x="0" y=(top + 15).to_string() class="chart-label">{label}</text>
                        <rect x="0" y=(top + 22).to_string() width=share.clone() height="20" rx="3" class="chart-bar"/>
                        <svg x=share y=(top + 22).to_string() width="1" height="20" overflow="visible">
                            <text
                                x=if inside { "-6" } else { "6" }
                                y="15"
                                text-anchor=if inside { "end" } else { "start" }
                                class=if inside { "chart-value inside" } else { "chart-value" }
                            >{value}</text>
                        </svg>
                    }
                }).collect_view()}
            </svg>
            <figcaption class="muted small">{t.chart_caption(caption)}</figcaption>
        </figure>
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}
