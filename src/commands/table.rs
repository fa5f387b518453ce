//! Aligned text tables for the terminal, and the small formatters their cells use.
//!
//! Widths are display widths (a CJK character or an emoji takes two columns), and one column,
//! the name, gives way when the table is wider than the terminal.

use std::io::IsTerminal as _;

use jiff::Timestamp;
use unicode_width::UnicodeWidthStr as _;

use crate::domain::{Flow, WaitUnit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    headers: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
    /// The column that is cut (with `…`) to fit the width.
    flex: usize,
}

pub use crate::domain::width::fit;

fn pad(s: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(s.width()));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

impl Table {
    pub fn new(headers: Vec<(&'static str, Align)>, flex: usize) -> Table {
        Table {
            headers,
            rows: Vec::new(),
            flex,
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table as lines, no wider than `max_width` when given (the flexible column shrinks,
    /// but not below its header).
    pub fn render(&self, max_width: Option<usize>) -> Vec<String> {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|(h, _)| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(cell.width());
            }
        }
        if let Some(max) = max_width {
            let total: usize = widths.iter().sum::<usize>() + 2 * n.saturating_sub(1);
            if total > max {
                let min = self.headers[self.flex].0.width().max(4);
                widths[self.flex] = widths[self.flex].saturating_sub(total - max).max(min);
            }
        }
        let line = |cells: Vec<String>| {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (_, align) = self.headers[i];
                    let text = if i == self.flex {
                        fit(c, widths[i])
                    } else {
                        c.clone()
                    };
                    // The last column is not padded: no trailing blanks.
                    if i + 1 == n && align == Align::Left {
                        text
                    } else {
                        pad(&text, widths[i], align)
                    }
                })
                .collect();
            parts.join("  ")
        };
        let mut out = vec![line(
            self.headers.iter().map(|(h, _)| (*h).to_owned()).collect(),
        )];
        out.extend(self.rows.iter().map(|r| line(r.clone())));
        out
    }
}

/// The width to fit: the terminal's when stdout is one, else `COLUMNS` when set, else none
/// (a file or a pipe gets whole names).
pub fn output_width() -> Option<usize> {
    if std::io::stdout().is_terminal()
        && let Ok((cols, _)) = crossterm::terminal::size()
        && cols > 0
    {
        return Some(usize::from(cols));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&c: &usize| c > 0)
}

/// `YYYY-MM-DD HH:MM` in the local time zone.
pub fn local_time(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn opt_time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "—".to_owned(), local_time)
}

/// A counter as the dashboard shows it: one that drifted below zero reads 0.
pub fn opt_num(n: Option<i64>) -> String {
    n.map_or_else(|| "—".to_owned(), |n| n.max(0).to_string())
}

/// `2 d`, `3 h`, `10 m` as in the dashboard's table.
pub fn short_wait(f: &Flow) -> String {
    match (f.wait_time, f.wait_unit) {
        (Some(n), Some(u)) => format!("{n} {}", u.short()),
        (Some(n), None) => n.to_string(),
        _ => "—".to_owned(),
    }
}

/// `2 days`, `1 hour`.
pub fn long_wait(n: i64, unit: WaitUnit) -> String {
    format!("{n} {}", unit.words(n))
}

/// The flow list: id, status, name, wait, sent, pending, failed, last sent.
pub fn flow_table(flows: &[Flow]) -> Table {
    let mut t = Table::new(
        vec![
            ("ID", Align::Right),
            ("STATUS", Align::Left),
            ("NAME", Align::Left),
            ("WAIT", Align::Right),
            ("SENT", Align::Right),
            ("PENDING", Align::Right),
            ("FAILED", Align::Right),
            ("LAST SENT", Align::Left),
        ],
        2,
    );
    for f in flows {
        let mut status = if f.enabled { "on" } else { "off" }.to_owned();
        if f.blocked.is_some() {
            // Not addressable: shown, but no command can change it.
            status.push_str(" ⊘");
        }
        t.push(vec![
            f.id.to_string(),
            status,
            f.name.clone(),
            short_wait(f),
            opt_num(f.sent),
            opt_num(f.pending),
            opt_num(f.failed),
            opt_time(f.last_sent),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_counts_columns_not_bytes() {
        assert_eq!(fit("Welcome series", 8), "Welcome…");
        assert_eq!(fit("日本語の名前", 5), "日本…");
        assert_eq!(fit("short", 8), "short");
    }

    #[test]
    fn the_flexible_column_gives_way() {
        let mut t = Table::new(
            vec![
                ("ID", Align::Right),
                ("NAME", Align::Left),
                ("N", Align::Right),
            ],
            1,
        );
        t.push(vec![
            "7".into(),
            "A rather long flow name".into(),
            "12".into(),
        ]);
        t.push(vec!["12".into(), "B".into(), "3".into()]);
        let lines = t.render(Some(20));
        assert_eq!(lines[0], "ID  NAME           N");
        assert_eq!(lines[1], " 7  A rather lo…  12");
        assert_eq!(lines[2], "12  B              3");
        assert!(lines.iter().all(|l| l.width() <= 20));
        assert_eq!(t.render(None)[1], " 7  A rather long flow name  12");
    }
}
