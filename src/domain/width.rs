//! Fitting text into terminal columns.

use unicode_width::UnicodeWidthChar;

/// Cuts `s` to at most `width` columns, ending with `…` when something was cut.
pub fn fit(s: &str, width: usize) -> String {
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn cuts_by_columns_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        // A wide character takes two columns.
        assert_eq!(fit("🎂🎂🎂", 4), "🎂…");
        assert_eq!(fit("abc", 0), "");
    }
}
