//! The report card: the grouping and date form, a bar chart and the same figures as a table.

use leptos::prelude::*;

use super::{DateRangeFields, TimeReportView, GROUPS};
use crate::money::{format_eur, format_minutes};
use crate::url::SearchForm;

#[component]
pub(super) fn ReportCard(slug: String, view: TimeReportView) -> impl IntoView {
    let locale = view.locale.clone();
    let group_name = GROUPS
        .iter()
        .find(|(key, _)| *key == view.group)
        .map(|(_, label)| *label)
        .unwrap_or("Project");
    let range = match (view.from.as_str(), view.to.as_str()) {
        ("", "") => "all dates".to_owned(),
        (from, "") => format!("{from} onwards"),
        ("", to) => format!("up to {to}"),
        (from, to) => format!("{from} to {to}"),
    };
    let caption = format!("Hours per {} — {range}", group_name.to_lowercase());
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
            <h2 id="report-title">"Report"</h2>
            <SearchForm action=format!("/w/{slug}/time") class="form inline-fields filters">
                <div class="field">
                    <label for="report-group">"Group by"</label>
                    <select id="report-group" name="group">
                        {GROUPS.into_iter().map(|(key, label)| view! {
                            <option value=key selected=key == view.group>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <DateRangeFields id_prefix="report" from=view.from.clone() to=view.to.clone()/>
                <button type="submit" class="button">"Show report"</button>
            </SearchForm>
            {if let Some(error) = view.error.clone() {
                view! { <p class="form-error" role="alert">{error}</p> }.into_any()
            } else if empty {
                view! {
                    <p class="empty-note">"No time recorded for " {range.clone()} ". Log time below, or choose other dates."</p>
                }.into_any()
            } else {
                view! {
                    <BarChart caption=caption.clone() bars=bars/>
                    <div class="table-scroll">
                        <table class="table report-table">
                            <caption class="visually-hidden">{caption.clone()}</caption>
                            <thead><tr>
                                <th scope="col">{group_name}</th>
                                <th scope="col" class="num optional">"Entries"</th>
                                <th scope="col" class="num">"Hours"</th>
                                <th scope="col" class="num">"Billable hours"</th>
                                <th scope="col" class="num">"Amount"</th>
                            </tr></thead>
                            <tbody>
                                {view.lines.iter().map(|l| view! {
                                    <tr>
                                        <th scope="row">{l.label.clone()}</th>
                                        <td class="num optional" data-label="Entries">{l.entries}</td>
                                        <td class="num" data-label="Hours">{format_minutes(l.minutes)}</td>
                                        <td class="num" data-label="Billable hours">{format_minutes(l.billable_minutes)}</td>
                                        <td class="num" data-label="Amount">{format_eur(l.amount_cents, &locale)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                            <tfoot><tr>
                                <th scope="row">"Total"</th>
                                <td class="num optional" data-label="Entries">{view.lines.iter().map(|l| l.entries).sum::<i64>()}</td>
                                <td class="num" data-label="Hours">{format_minutes(view.total_minutes)}</td>
                                <td class="num" data-label="Billable hours">{format_minutes(view.lines.iter().map(|l| l.billable_minutes).sum())}</td>
                                <td class="num" data-label="Amount">{format_eur(view.total_amount_cents, &locale)}</td>
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
            <figcaption class="muted small">{caption}" — the table below gives the same figures."</figcaption>
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
