//! How many characters and SMS parts a content takes.
//!
//! GSM-7 texts fit 160 characters in one SMS, 153 a part when split; the extension characters
//! count twice. Any other character switches the whole text to UCS-2: 70, or 67 a part, counted
//! in UTF-16 units (an emoji takes two).

/// The GSM 03.38 basic character set.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Reached through the escape code, so each counts as two.
const GSM_EXTENSION: &str = "^{}[]~\\|€\u{c}";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmsLength {
    /// Characters as a person counts them.
    pub chars: usize,
    /// Units of the encoding (septets for GSM-7, UTF-16 units for UCS-2).
    pub units: usize,
    pub parts: usize,
    pub encoding: Encoding,
}

/// The first character that makes `text` UCS-2, so the operator knows which one to replace when
/// the SMS count jumps.
pub fn first_ucs2(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| !GSM_BASIC.contains(c) && !GSM_EXTENSION.contains(c))
}

pub fn measure(text: &str) -> SmsLength {
    let chars = text.chars().count();
    let gsm_units: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (encoding, units, single, part) = match gsm_units {
        Some(units) => (Encoding::Gsm7, units, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let parts = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        units.div_ceil(part)
    };
    SmsLength {
        chars,
        units,
        parts,
        encoding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_character_that_makes_a_text_ucs2() {
        assert_eq!(first_ucs2("Hello {{NAME}} [€5]"), None);
        assert_eq!(first_ucs2("Café, 20 % off – today"), Some('–'));
        assert_eq!(first_ucs2("Hi 🎂 and ✓"), Some('🎂'));
    }

    #[test]
    fn gsm_limits() {
        assert_eq!(measure(&"a".repeat(160)).parts, 1);
        assert_eq!(measure(&"a".repeat(161)).parts, 2);
        assert_eq!(measure(&"a".repeat(306)).parts, 2);
        assert_eq!(measure(&"a".repeat(307)).parts, 3);
        assert_eq!(measure("").parts, 0);
    }

    #[test]
    fn extension_characters_count_twice() {
        let m = measure(&"€".repeat(80));
        assert_eq!((m.encoding, m.units, m.parts), (Encoding::Gsm7, 160, 1));
        assert_eq!(measure(&"{".repeat(81)).parts, 2);
    }

    #[test]
    fn ucs2_limits() {
        let m = measure(&"ł".repeat(70));
        assert_eq!((m.encoding, m.parts), (Encoding::Ucs2, 1));
        assert_eq!(measure(&"ł".repeat(71)).parts, 2);
        assert_eq!(measure(&"ł".repeat(134)).parts, 2);
        assert_eq!(measure(&"ł".repeat(135)).parts, 3);
        // An emoji is two UTF-16 units.
        let m = measure("🎉");
        assert_eq!((m.chars, m.units), (1, 2));
    }
}
