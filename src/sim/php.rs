//! The few PHP behaviours the real server's answers depend on: numeric strings, `(int)` casts,
//! truthiness, `input_clean`, `normalize_sms_text` and `json_encode`'s escaping (CONTRACT §5, §6.3, §6.5).

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// Length of the longest prefix of `s` that PHP reads as a number (`[+-]?digits[.digits][e[+-]digits]`),
/// after PHP's leading whitespace.
fn numeric_prefix(s: &str) -> (usize, usize) {
    let bytes = s.as_bytes();
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .unwrap_or(bytes.len());
    let mut i = start;
    if matches!(bytes.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if bytes.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        let mut j = frac_start;
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if digits > 0 || j > frac_start {
            digits += j - frac_start;
            i = j;
        }
    }
    if digits == 0 {
        return (start, start);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    (start, i)
}

/// PHP 8 `is_numeric`: the whole string is a number, allowing whitespace before and after.
pub(crate) fn is_numeric(s: &str) -> bool {
    let (start, end) = numeric_prefix(s);
    end > start
        && s[end..]
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

/// PHP `(int)` of a string: the leading number, truncated toward zero, saturating; 0 when none.
pub(crate) fn intval(s: &str) -> i64 {
    let (start, end) = numeric_prefix(s);
    s[start..end].parse::<f64>().map_or(0, |f| f as i64)
}

/// The number PHP compares with when a numeric string meets an int (`in_array` without strict).
pub(crate) fn numeric_value(s: &str) -> Option<f64> {
    if is_numeric(s) {
        let (start, end) = numeric_prefix(s);
        s[start..end].parse().ok()
    } else {
        None
    }
}

/// PHP truthiness of a form string: only `""` and `"0"` are false.
pub(crate) fn truthy(s: &str) -> bool {
    !(s.is_empty() || s == "0")
}

/// `input_clean`: NUL bytes and anything from `<` to the next `>` (or the end) go, quotes become
/// entities when `entities` (the shipped build), then trim and cut to `max` characters.
pub(crate) fn input_clean(raw: &str, max: usize, entities: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for ch in raw.chars() {
        match ch {
            '\0' => {}
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '\'' if entities => out.push_str("&#39;"),
            '"' if entities => out.push_str("&#34;"),
            _ => out.push(ch),
        }
    }
    out.trim().chars().take(max).collect()
}

/// Unicode general category Cf, the ranges that occur in practice (PHP removes `\p{Cf}`).
fn is_format_char(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// `normalize_sms_text`: line endings, typographic punctuation, format and control characters,
/// runs of spaces, spaces at line ends.
pub(crate) fn normalize_sms(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut flat = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\u{2018}' | '\u{2019}' | '\u{201A}' => flat.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' => flat.push('"'),
            '\u{2013}' | '\u{2014}' => flat.push('-'),
            '\u{2026}' => flat.push_str("..."),
            '\n' => flat.push('\n'),
            c if is_format_char(c) || c.is_ascii_control() => {}
            ' ' if flat.ends_with(' ') => {}
            c => flat.push(c),
        }
    }
    let lines: Vec<&str> = flat
        .split('\n')
        .map(|line| line.trim_matches(' '))
        .collect();
    lines.join("\n").trim().to_owned()
}

/// `json_encode` with default flags escapes `/` and writes every non-ASCII character as `\uXXXX`.
struct PhpFormatter;

impl Formatter for PhpFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut units = [0u16; 2];
        for ch in fragment.chars() {
            if ch == '/' {
                writer.write_all(b"\\/")?;
            } else if ch.is_ascii() {
                writer.write_all(&[ch as u8])?;
            } else {
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// Serialises like PHP's `json_encode`.
pub(crate) fn json_encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PhpFormatter);
    // Writing to a Vec cannot fail and our values have string keys only.
    if value.serialize(&mut ser).is_err() {
        out.clear();
        out.extend_from_slice(b"null");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_php_reads_them() {
        assert!(is_numeric("25") && is_numeric(" 25") && is_numeric("25.0") && is_numeric("1e1"));
        assert!(is_numeric("25 ") && is_numeric(".5") && is_numeric("-3"));
        assert!(
            !is_numeric("25abc") && !is_numeric("") && !is_numeric("abc") && !is_numeric("inf")
        );
        assert_eq!(intval("12abc"), 12);
        assert_eq!(intval("abc"), 0);
        assert_eq!(intval("1.9"), 1);
        assert_eq!(intval("-3"), -3);
        assert_eq!(intval("1e3"), 1000);
        assert_eq!(intval("99999999999999999999999"), i64::MAX);
        assert_eq!(numeric_value("25.0"), Some(25.0));
        assert_eq!(numeric_value("25abc"), None);
    }

    #[test]
    fn truthiness() {
        assert!(!truthy("") && !truthy("0"));
        assert!(truthy("false") && truthy("no") && truthy("00") && truthy(" "));
    }

    #[test]
    fn input_clean_strips_tags_and_escapes_quotes() {
        assert_eq!(input_clean("Price < 5 today", 256, true), "Price");
        assert_eq!(input_clean("a <b>bold</b> c", 256, true), "a bold c");
        assert_eq!(
            input_clean("Don't \"x\"", 256, true),
            "Don&#39;t &#34;x&#34;"
        );
        assert_eq!(input_clean("Don't \"x\"", 256, false), "Don't \"x\"");
        assert_eq!(input_clean("a\0b", 256, false), "ab");
        assert_eq!(input_clean("''", 6, true), "&#39;&");
    }

    #[test]
    fn sms_normalisation() {
        assert_eq!(normalize_sms("a\r\nb\rc"), "a\nb\nc");
        assert_eq!(
            normalize_sms("\u{2018}x\u{2019} \u{201C}y\u{201D} a\u{2014}b\u{2026}"),
            "'x' \"y\" a-b..."
        );
        assert_eq!(
            normalize_sms("  two   spaces \n  next\tline  "),
            "two spaces\nnextline"
        );
        assert_eq!(
            normalize_sms("zero\u{200B}width 🎉 {x}"),
            "zerowidth 🎉 {x}"
        );
    }

    #[test]
    fn json_like_php() {
        let out = json_encode(&serde_json::json!({"u": "a/b é 🔐"}));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"u":"a\/b \u00e9 \ud83d\udd10"}"#
        );
    }
}
