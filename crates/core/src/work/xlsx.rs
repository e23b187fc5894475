//! The first sheet of an Excel workbook (`.xlsx`, Office Open XML) as rows of text, for the
//! spreadsheet import (issue 18): what a CSV of the same sheet would hold, so both go through
//! the same columns, checks and report. Shared strings, inline strings, numbers as written,
//! booleans; cells formatted as dates become `2026-12-31` and cells formatted as times `1:30`,
//! read from the workbook's own number formats (Excel stores both as numbers). Formulas give
//! their last computed value. Every part read is bounded, so a small file cannot unpack into a
//! large one.

use std::{
    collections::HashMap,
    io::{Cursor, Read},
};

use quick_xml::events::{BytesStart, Event};
use time::{Date, Duration, Month};

use crate::{CoreError, CoreResult};

/// The most any one part of the workbook may unpack to.
const MAX_PART: u64 = 64 * 1024 * 1024;

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::invalid("xlsx", message)
}

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn part(zip: &mut Zip, name: &str) -> CoreResult<Option<Vec<u8>>> {
    let file = match zip.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(_) => return Err(bad("is not an Excel workbook (.xlsx) that can be read")),
    };
    let mut bytes = Vec::new();
    file.take(MAX_PART + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| bad("is not an Excel workbook (.xlsx) that can be read"))?;
    if bytes.len() as u64 > MAX_PART {
        return Err(bad(format!("{name} unpacks to more than 64 MiB")));
    }
    Ok(Some(bytes))
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Walks an XML part, calling `on` for every start (or empty) element and text.
enum Node<'e> {
    Open(&'e BytesStart<'e>, bool),
    Close(&'e [u8]),
    Text(String),
}

fn walk(xml: &[u8], mut on: impl FnMut(Node)) -> CoreResult<()> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let broken = |_| bad("holds XML that cannot be read");
    loop {
        match reader.read_event_into(&mut buf).map_err(broken)? {
            Event::Start(e) => on(Node::Open(&e, false)),
            Event::Empty(e) => {
                on(Node::Open(&e, true));
                on(Node::Close(e.local_name().into_inner()));
            }
            Event::End(e) => on(Node::Close(e.local_name().into_inner())),
            Event::Text(t) => on(Node::Text(
                t.decode().map_err(|_| bad("is not UTF-8"))?.into_owned(),
            )),
            Event::CData(t) => on(Node::Text(String::from_utf8_lossy(&t).into_owned())),
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match r.decode().map_err(|_| bad("is not UTF-8"))?.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        _ => String::new(),
                    },
                };
                on(Node::Text(text));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// The worksheet part of the workbook's first sheet.
fn first_sheet_path(zip: &mut Zip) -> CoreResult<(String, bool)> {
    let workbook =
        part(zip, "xl/workbook.xml")?.ok_or_else(|| bad("is not an Excel workbook (.xlsx)"))?;
    let mut rel = None;
    let mut date1904 = false;
    walk(&workbook, |n| {
        if let Node::Open(e, _) = n {
            match e.local_name().as_ref() {
                b"sheet" if rel.is_none() => rel = attr(e, b"r:id"),
                b"workbookPr" => {
                    date1904 = matches!(attr(e, b"date1904").as_deref(), Some("1" | "true"))
                }
                _ => {}
            }
        }
    })?;
    let mut target = None;
    if let (Some(rel), Some(rels)) = (rel, part(zip, "xl/_rels/workbook.xml.rels")?) {
        walk(&rels, |n| {
            if let Node::Open(e, _) = n {
                if e.local_name().as_ref() == b"Relationship"
                    && attr(e, b"Id").as_deref() == Some(rel.as_str())
                {
                    target = attr(e, b"Target");
                }
            }
        })?;
    }
    let path = match target {
        Some(t) if t.starts_with('/') => t.trim_start_matches('/').to_owned(),
        Some(t) => format!("xl/{t}"),
        None => "xl/worksheets/sheet1.xml".to_owned(),
    };
    Ok((path, date1904))
}

fn shared_strings(zip: &mut Zip) -> CoreResult<Vec<String>> {
    let Some(xml) = part(zip, "xl/sharedStrings.xml")? else {
        return Ok(Vec::new());
    };
    let mut strings = Vec::new();
    let (mut current, mut in_t, mut in_phonetic) = (String::new(), false, false);
    walk(&xml, |n| match n {
        Node::Open(e, empty) => match e.local_name().as_ref() {
            b"si" => current.clear(),
            b"t" => in_t = !empty,
            b"rPh" => in_phonetic = !empty,
            _ => {}
        },
        Node::Close(name) => match name {
            b"si" => strings.push(std::mem::take(&mut current)),
            b"t" => in_t = false,
            b"rPh" => in_phonetic = false,
            _ => {}
        },
        Node::Text(t) if in_t && !in_phonetic => current.push_str(&t),
        Node::Text(_) => {}
    })?;
    Ok(strings)
}

/// What a cell style makes of a number.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Shown {
    Number,
    Date,
    Time,
}

fn shown_by_code(code: &str) -> Shown {
    // Quoted text and [..] sections (colours, conditions, [h]) aside.
    let mut plain = String::new();
    let (mut quoted, mut bracket) = (false, false);
    for c in code.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ if !quoted && !bracket => plain.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    if plain.contains('y') || plain.contains('d') {
        Shown::Date
    } else if plain.contains('h') || plain.contains('s') || code.contains("[h") {
        Shown::Time
    } else {
        Shown::Number
    }
}

/// Per cell style index, what it shows a number as.
fn styles(zip: &mut Zip) -> CoreResult<Vec<Shown>> {
    let Some(xml) = part(zip, "xl/styles.xml")? else {
        return Ok(Vec::new());
    };
    let mut codes: HashMap<u32, Shown> = HashMap::new();
    let mut formats = Vec::new();
    let mut in_xfs = false;
    walk(&xml, |n| match n {
        Node::Open(e, _) => match e.local_name().as_ref() {
            b"numFmt" => {
                if let (Some(id), Some(code)) = (
                    attr(e, b"numFmtId").and_then(|i| i.parse().ok()),
                    attr(e, b"formatCode"),
                ) {
                    codes.insert(id, shown_by_code(&code));
                }
            }
            b"cellXfs" => in_xfs = true,
            b"xf" if in_xfs => {
                let id: u32 = attr(e, b"numFmtId")
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(0);
                formats.push(id)
            }
            _ => {}
        },
        Node::Close(b"cellXfs") => in_xfs = false,
        _ => {}
    })?;
    Ok(formats
        .into_iter()
        .map(|id| match id {
            14..=17 | 22 | 27..=36 | 50..=58 => Shown::Date,
            18..=21 | 45..=47 => Shown::Time,
            id => codes.get(&id).copied().unwrap_or(Shown::Number),
        })
        .collect())
}

/// The zero-based column of a cell reference (`C7` → 2).
fn column_of(reference: &str) -> Option<usize> {
    let letters: String = reference
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters
        .chars()
        .try_fold(0usize, |n, c| {
            Some(n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1))
        })
        .map(|n| n - 1)
}

fn number_as(value: &str, shown: Shown, date1904: bool) -> String {
    let Ok(n) = value.parse::<f64>() else {
        return value.to_owned();
    };
    match shown {
        Shown::Number => value.to_owned(),
        Shown::Date if n >= 1.0 => {
            let epoch = if date1904 {
                Date::from_calendar_date(1904, Month::January, 1)
            } else {
                Date::from_calendar_date(1899, Month::December, 30)
            };
            epoch
                .ok()
                .and_then(|e| e.checked_add(Duration::days(n.floor() as i64)))
                .map(|d| d.to_string())
                .unwrap_or_else(|| value.to_owned())
        }
        // A time of day, or a duration ([h]:mm): hours and minutes.
        _ => {
            let minutes = (n * 24.0 * 60.0).round() as i64;
            format!("{}:{:02}", minutes / 60, minutes % 60)
        }
    }
}

/// The first sheet's rows, each with its row number in the sheet (the headings are usually
/// row 1) and its cells as text; rows with nothing in them are left out.
pub fn read_first_sheet(bytes: &[u8]) -> CoreResult<Vec<(usize, Vec<String>)>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| bad("is not an Excel workbook (.xlsx)"))?;
    let (path, date1904) = first_sheet_path(&mut zip)?;
    let strings = shared_strings(&mut zip)?;
    let shown = styles(&mut zip)?;
    let sheet =
        part(&mut zip, &path)?.ok_or_else(|| bad("has no worksheet: save it again from Excel"))?;

    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut row: Option<(usize, Vec<String>)> = None;
    // The cell being read: column, type, style, and whether inside its value or inline text.
    let mut cell: Option<(usize, String, usize)> = None;
    let (mut value, mut in_value) = (String::new(), false);
    let mut next_row = 1;
    let mut next_column = 0;
    walk(&sheet, |n| match n {
        Node::Open(e, _) => match e.local_name().as_ref() {
            b"row" => {
                let r = attr(e, b"r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(next_row);
                next_row = r + 1;
                next_column = 0;
                row = Some((r, Vec::new()));
            }
            b"c" => {
                let column = attr(e, b"r")
                    .and_then(|r| column_of(&r))
                    .unwrap_or(next_column);
                next_column = column + 1;
                let kind = attr(e, b"t").unwrap_or_default();
                let style = attr(e, b"s").and_then(|s| s.parse().ok()).unwrap_or(0);
                cell = Some((column, kind, style));
                value.clear();
            }
            b"v" | b"t" if cell.is_some() => in_value = true,
            _ => {}
        },
        Node::Text(t) if in_value => value.push_str(&t),
        Node::Text(_) => {}
        Node::Close(name) => match name {
            b"v" | b"t" => in_value = false,
            b"c" => {
                if let (Some((column, kind, style)), Some((_, cells))) = (cell.take(), row.as_mut())
                {
                    let text = match kind.as_str() {
                        "s" => value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| strings.get(i).cloned())
                            .unwrap_or_default(),
                        "b" => if value.trim() == "1" { "TRUE" } else { "FALSE" }.to_owned(),
                        "inlineStr" | "str" | "e" => value.clone(),
                        _ => number_as(
                            value.trim(),
                            shown.get(style).copied().unwrap_or(Shown::Number),
                            date1904,
                        ),
                    };
                    if column < 16_384 {
                        if cells.len() <= column {
                            cells.resize(column + 1, String::new());
                        }
                        cells[column] = text;
                    }
                }
            }
            b"row" => {
                if let Some((r, mut cells)) = row.take() {
                    while cells.last().is_some_and(|c| c.trim().is_empty()) {
                        cells.pop();
                    }
                    if !cells.is_empty() {
                        rows.push((r, cells));
                    }
                }
            }
            _ => {}
        },
    })?;
    // Every row as wide as the headings, as a CSV's would be.
    let width = rows.first().map_or(0, |(_, cells)| cells.len());
    for (_, cells) in &mut rows {
        if cells.len() < width {
            cells.resize(width, String::new());
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_formats() {
        assert_eq!(column_of("A1"), Some(0));
        assert_eq!(column_of("AB12"), Some(27));
        assert_eq!(column_of("12"), None);
        assert_eq!(shown_by_code("dd/mm/yyyy"), Shown::Date);
        assert_eq!(shown_by_code("[h]:mm"), Shown::Time);
        assert_eq!(shown_by_code("h:mm"), Shown::Time);
        assert_eq!(shown_by_code("#,##0.00\" €\""), Shown::Number);
        assert_eq!(shown_by_code("[Red]0.00"), Shown::Number);
        assert_eq!(number_as("46387", Shown::Date, false), "2026-12-31");
        assert_eq!(number_as("0.0625", Shown::Time, false), "1:30");
        assert_eq!(number_as("1.5", Shown::Number, false), "1.5");
    }
}
