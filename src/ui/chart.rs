//! What the history's charts share (the detail pane's 24 hours and the `H` view): bars of
//! eighth blocks, the time axis, numbers and times in words. Bars read without colour: a slot
//! with no reading shows `·` on the bottom row, nothing sent shows nothing, anything sent at
//! least `▁`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::app::history::Slot;
use crate::store::Comparison;

const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// The bottom cell of a slot that holds no reading: a gap in the record, not a zero.
pub const ABSENT: char = '·';

/// `1 204`, `152 340`: digits in groups of three.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// At most four characters: `130`, `9999`, `12k`, `3.4M`.
pub fn short(n: i64) -> String {
    let n = n.max(0);
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        1_000_000..=9_999_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{}M", (n / 1_000_000).min(999)),
    }
}

/// A time in the local zone: `10:42` when it is today, else `2025-10-19 10:42`.
pub fn when(t: Timestamp, now: Timestamp, tz: &TimeZone) -> String {
    let z = t.to_zoned(tz.clone());
    if z.date() == now.to_zoned(tz.clone()).date() {
        z.strftime("%H:%M").to_string()
    } else {
        z.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// `+8 %`, `-12 %`: today against yesterday; `None` when yesterday sent nothing.
fn change(today: i64, yesterday: i64) -> Option<String> {
    (yesterday > 0).then(|| {
        let pct = (today - yesterday) as f64 * 100.0 / yesterday as f64;
        format!("{pct:+.0} %")
    })
}

/// Today so far against yesterday by the same time, on one line:
/// `today 1 204 sent · yesterday by now 1 110 (+8 %)`.
pub fn comparison_line(c: &Comparison) -> String {
    match (c.today, c.yesterday) {
        (Some(t), Some(y)) => {
            let ch = change(t.sent, y.sent).map_or_else(String::new, |ch| format!(" ({ch})"));
            format!(
                "today {} sent · yesterday by now {}{ch}",
                grouped(t.sent),
                grouped(y.sent)
            )
        }
        _ => comparison_lines(c).join(" · "),
    }
}

/// The same on two short lines: `today 1 204 sent (+8 %)`, `yesterday by now 1 110`.
pub fn comparison_lines(c: &Comparison) -> [String; 2] {
    let today = match (c.today, c.yesterday) {
        (Some(t), Some(y)) => match change(t.sent, y.sent) {
            Some(ch) => format!("today {} sent ({ch})", grouped(t.sent)),
            None => format!("today {} sent", grouped(t.sent)),
        },
        (Some(t), None) => format!("today {} sent", grouped(t.sent)),
        (None, _) => "today: no readings yet".to_owned(),
    };
    let yesterday = match c.yesterday {
        Some(y) => format!("yesterday by now {}", grouped(y.sent)),
        None => "yesterday: no readings".to_owned(),
    };
    [today, yesterday]
}

/// The cells of a bar chart, `[row][slot]`, top row first: each value scaled to the largest
/// over `rows` rows of eighths. `None` is a slot without a reading.
pub fn bars(values: &[Option<i64>], rows: usize) -> Vec<Vec<char>> {
    let rows = rows.max(1);
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    let total = (rows * 8) as i128;
    let heights: Vec<Option<i128>> = values
        .iter()
        .map(|v| {
            v.map(|v| match i128::from(v) {
                ..=0 => 0,
                // Anything sent shows: at least one eighth.
                v => ((v * total + i128::from(max) - 1) / i128::from(max)).clamp(1, total),
            })
        })
        .collect();
    (0..rows)
        .map(|r| {
            let below = ((rows - 1 - r) * 8) as i128;
            heights
                .iter()
                .map(|h| match h {
                    None if r + 1 == rows => ABSENT,
                    None => ' ',
                    Some(h) => EIGHTHS[(h - below).clamp(0, 8) as usize],
                })
                .collect()
        })
        .collect()
}

/// Where the bars of a chart sit: `n` slots share the width, up to `max_each` columns a slot.
/// Where each can have two columns or more, all have the same; below that, each takes its
/// share rounded to whole columns (one or two), so that a narrow screen is filled rather than
/// half used. Slots of three columns or more keep the last one blank, so that bars stand apart.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    n: usize,
    total: usize,
    gap: usize,
}

impl Columns {
    pub fn new(n: usize, width: usize, max_each: usize) -> Columns {
        let n = n.max(1);
        let mut total = width.min(n * max_each.max(1)).max(n);
        if total / n >= 2 {
            total -= total % n;
        }
        let gap = usize::from(total / n >= 3);
        Columns { n, total, gap }
    }

    /// The columns of slot `i`: where its bar starts and where the next slot starts.
    pub fn span(&self, i: usize) -> (usize, usize) {
        (i * self.total / self.n, (i + 1) * self.total / self.n)
    }

    /// The blank columns after each bar.
    pub fn gap(&self) -> usize {
        self.gap
    }

    /// The column under the middle of slot `i`'s bar.
    pub fn middle(&self, i: usize) -> usize {
        let (a, b) = self.span(i);
        a + (b - a - self.gap).saturating_sub(1) / 2
    }

    /// The cells of the slots in `slots` (one a slot, from [`bars`]) as text, each filling its
    /// bar's columns.
    pub fn text(&self, cells: &[char], slots: std::ops::Range<usize>) -> String {
        let mut s = String::new();
        for i in slots {
            let Some(&c) = cells.get(i) else { break };
            let (a, b) = self.span(i);
            let bar = (b - a).saturating_sub(self.gap);
            s.extend(std::iter::repeat_n(c, bar));
            s.extend(std::iter::repeat_n(' ', b - a - bar));
        }
        s
    }
}

/// The time axis under the bars: `label` of the slots it names, each starting under its bar,
/// left out where it would run into the one before or past `width`.
pub fn axis(
    slots: &[Slot],
    tz: &TimeZone,
    columns: Columns,
    width: usize,
    label: impl Fn(&jiff::Zoned) -> Option<String>,
) -> String {
    let mut out = String::new();
    for (i, s) in slots.iter().enumerate() {
        let Some(text) = label(&s.start.to_zoned(tz.clone())) else {
            continue;
        };
        let x = columns.span(i).0;
        let used = out.chars().count();
        let n = text.chars().count();
        if (used > 0 && x <= used) || x + n > width {
            continue;
        }
        out.push_str(&" ".repeat(x - used));
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_shortened() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1204), "1 204");
        assert_eq!(grouped(152_340), "152 340");
        assert_eq!(grouped(-1_000_000), "-1 000 000");
        assert_eq!(short(130), "130");
        assert_eq!(short(12_345), "12k");
        assert_eq!(short(3_400_000), "3.4M");
        assert!(short(i64::MAX).chars().count() <= 4);
    }

    #[test]
    fn bars_tell_nothing_sent_from_no_reading_and_never_go_below_zero() {
        let rows = bars(&[None, Some(0), Some(1), Some(8), Some(-5)], 1);
        assert_eq!(rows, vec![vec![ABSENT, ' ', '▁', '█', ' ']]);
        let rows = bars(&[Some(1), Some(2)], 2);
        assert_eq!(rows, vec![vec![' ', '█'], vec!['█', '█']]);
        assert_eq!(bars(&[Some(i64::MAX), Some(1)], 3)[2], vec!['█', '▁']);
    }

    #[test]
    fn slots_share_the_width_and_wide_ones_stand_apart() {
        let c = Columns::new(4, 6, 4);
        let spans: Vec<_> = (0..4).map(|i| c.span(i)).collect();
        assert_eq!(spans, [(0, 1), (1, 3), (3, 4), (4, 6)]);
        assert_eq!(c.text(&['a', 'b', 'c', 'd'], 0..4), "abbcdd");
        let c = Columns::new(3, 100, 4);
        assert_eq!(c.text(&['a', 'b', 'c'], 0..3), "aaa bbb ccc ");
        assert_eq!(c.middle(1), 5);
        // Two columns or more: the same for every slot.
        assert_eq!(Columns::new(3, 8, 4).text(&['a', 'b', 'c'], 0..3), "aabbcc");
        // Narrower than the slots: one column each all the same.
        assert_eq!(Columns::new(5, 3, 4).text(&['x'; 5], 0..5), "xxxxx");
    }

    #[test]
    fn today_against_yesterday_reads_as_a_change() {
        use crate::store::Totals;
        let t = |sent| Some(Totals { sent, failed: 0 });
        let c = Comparison {
            today: t(1204),
            yesterday: t(1110),
        };
        assert_eq!(
            comparison_line(&c),
            "today 1 204 sent · yesterday by now 1 110 (+8 %)"
        );
        assert_eq!(
            comparison_lines(&c),
            ["today 1 204 sent (+8 %)", "yesterday by now 1 110"]
        );
        let c = Comparison {
            today: t(5),
            yesterday: t(0),
        };
        assert_eq!(comparison_lines(&c)[0], "today 5 sent");
        let c = Comparison {
            today: None,
            yesterday: None,
        };
        assert_eq!(
            comparison_line(&c),
            "today: no readings yet · yesterday: no readings"
        );
    }
}
