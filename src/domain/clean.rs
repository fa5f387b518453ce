//! Cleaning of every text the server sends, done once when it is decoded.
//!
//! Names and contents come from whoever created the flow, so they may carry terminal escape
//! sequences (a window title, the clipboard, a cleared screen), bidi overrides that reorder what
//! the operator reads, or invisible characters. None of that may reach the terminal, the command
//! line's output, JSON or logs.

/// Cleans a one-line text (a name, a title): tabs and line breaks become spaces.
pub fn one_line(raw: &str) -> String {
    clean(raw, ' ')
}

/// Cleans a text that may span lines (a flow's content): `\n` stays, CR LF and lone CR become
/// `\n`, tabs become spaces.
pub fn multi_line(raw: &str) -> String {
    clean(raw, '\n')
}

/// The one cleaner: every line break (CR LF counted once) becomes `line_break`, a tab a space.
fn clean(raw: &str, line_break: char) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push(line_break);
            }
            '\n' | '\u{2028}' | '\u{2029}' | '\u{85}' => out.push(line_break),
            '\t' => out.push(' '),
            _ => push_visible(&mut out, c, &mut chars),
        }
    }
    decode_entities(&out)
}

/// Content drawn on one line: each line break shows as `⏎`.
pub fn show_breaks(content: &str) -> String {
    content.replace('\n', "⏎")
}

/// Pushes `c` unless it is invisible or starts an escape sequence, which is then consumed whole.
fn push_visible(out: &mut String, c: char, rest: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match c {
        '\u{1b}' => skip_escape(rest),
        // C1 introducers of strings and control sequences: skip what they introduce.
        '\u{9b}' => skip_csi(rest),
        '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(rest),
        c if is_removed(c) => {}
        c => out.push(c),
    }
}

/// Characters that are dropped on their own: C0 and C1 controls, DEL, format characters
/// (zero-width, bidi marks, overrides and isolates, soft hyphen, BOM, tags) and variation
/// selectors: U+FE0F turns `❤` into a two-column emoji on some terminals and not on others, so a
/// width measured before drawing would be wrong on one of them and shift every cell after it.
fn is_removed(c: char) -> bool {
    let u = u32::from(c);
    c.is_control()
        || matches!(u,
            0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
            | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF
            | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// After an ESC: a CSI, a string (OSC, DCS, SOS, PM, APC), or a short sequence of optional
/// intermediates and one final character. A lone ESC before anything else is just dropped.
fn skip_escape(rest: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match rest.peek().copied() {
        Some('[') => {
            rest.next();
            skip_csi(rest);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            rest.next();
            skip_string(rest);
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            while rest
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            rest.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        Some(c) if ('\u{30}'..='\u{7e}').contains(&c) => {
            rest.next();
        }
        _ => {}
    }
}

/// Parameters and intermediates, then one final byte in `@`..=`~`. Stops early at anything that
/// cannot belong to the sequence, so a broken one cannot swallow the rest of the text.
fn skip_csi(rest: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = rest.peek() {
        if ('\u{30}'..='\u{3f}').contains(&c) || ('\u{20}'..='\u{2f}').contains(&c) {
            rest.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                rest.next();
            }
            return;
        }
    }
}

/// A control string runs to BEL, ST (ESC `\` or U+009C). An unterminated one runs to the end:
/// what follows it would have been swallowed by the terminal too.
fn skip_string(rest: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = rest.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                rest.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// The server stores `'` and `"` as these entities; nothing else is decoded, so a name that
/// really contains `&amp;` shows as typed.
fn decode_entities(s: &str) -> String {
    if s.contains("&#") {
        s.replace("&#39;", "'").replace("&#34;", "\"")
    } else {
        s.to_owned()
    }
}

/// True when the text holds nothing the cleaner would remove: used by property tests and
/// debug assertions. `\n` is allowed: content keeps its line breaks.
pub fn is_clean(s: &str) -> bool {
    !s.chars().any(|c| c != '\n' && is_removed(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_escape_sequences_of_every_kind() {
        let hostile = "A\u{1b}]0;pwned\u{7}B\u{1b}]52;c;ZXZpbA==\u{1b}\\C\u{1b}[2J\u{1b}[5mD\u{1b}Pq#0\u{1b}\\E\u{1b}cF\u{1b}";
        assert_eq!(one_line(hostile), "ABCDEF");
    }

    #[test]
    fn removes_c1_controls_and_sequences() {
        assert_eq!(one_line("a\u{9b}31mb\u{9d}title\u{9c}c\u{85}d"), "abc d");
    }

    #[test]
    fn removes_variation_selectors_so_widths_hold() {
        use unicode_width::UnicodeWidthStr;
        let name = one_line("I \u{2764}\u{FE0F} Mondays \u{263A}\u{FE0E} \u{845B}\u{E0100}");
        assert_eq!(name, "I \u{2764} Mondays \u{263A} \u{845B}");
        // What the table measures (char by char) is what a terminal draws.
        let by_chars: usize = name
            .chars()
            .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
            .sum();
        assert_eq!(by_chars, name.width());
    }

    #[test]
    fn removes_bidi_and_zero_width() {
        let s = "pay\u{202e}lanigiro\u{202c} \u{2066}x\u{2069}\u{200b}\u{feff}y";
        assert_eq!(one_line(s), "paylanigiro xy");
    }

    #[test]
    fn names_become_one_line_and_content_keeps_breaks() {
        assert_eq!(one_line("a\tb\r\nc\nd\re\u{8}f"), "a b c d ef");
        assert_eq!(multi_line("a\tb\r\nc\nd\re"), "a b\nc\nd\ne");
        assert_eq!(show_breaks("a\nb"), "a⏎b");
    }

    #[test]
    fn decodes_only_the_server_entities() {
        assert_eq!(
            one_line("Tom&#39;s &#34;deal&#34; &amp; more"),
            "Tom's \"deal\" &amp; more"
        );
    }

    #[test]
    fn keeps_ordinary_text() {
        let s = "Bienvenue à l'été 🎉 — 50 %";
        assert_eq!(one_line(s), s);
        assert!(is_clean(s));
    }

    #[test]
    fn cleaned_content_is_clean() {
        let content = multi_line("a\r\nb\u{1b}[2J\u{202e}c\td");
        assert_eq!(content, "a\nbc d");
        assert!(is_clean(&content));
        assert!(!is_clean("a\rb") && !is_clean("a\u{1b}b") && !is_clean("a\u{2066}b"));
    }

    #[test]
    fn unterminated_strings_do_not_leak() {
        assert_eq!(one_line("ok\u{1b}]0;title without end"), "ok");
        assert_eq!(one_line("ok\u{1b}[12"), "ok");
    }
}
