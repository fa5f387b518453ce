//! Property tests of the two places hostile input meets flowdash first: the text cleaner and the
//! page decoder. Whatever the server sends, neither panics, and cleaned text holds nothing a
//! terminal would act on.

use flowdash::api::wire;
use flowdash::domain::clean;
use proptest::prelude::*;

/// Text biased towards what attacks a terminal: escapes, controls, bidi and format characters.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\u{1b}".to_owned()),
        Just("\u{1b}[".to_owned()),
        Just("\u{1b}]0;".to_owned()),
        Just("\u{1b}]52;c;".to_owned()),
        Just("\u{1b}P".to_owned()),
        Just("\u{1b}\\".to_owned()),
        Just("\u{7}".to_owned()),
        Just("\u{9b}".to_owned()),
        Just("\u{9d}".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{2066}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("&#39;".to_owned()),
        Just("&#34;".to_owned()),
        Just("\r\n".to_owned()),
        Just("\t".to_owned()),
        "[a-z0-9 ;\\[\\]]{0,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn has_terminal_control(s: &str, keep_newline: bool) -> bool {
    s.chars().any(|c| {
        (c.is_control() && !(keep_newline && c == '\n'))
            || matches!(u32::from(c), 0x202A..=0x202E | 0x2066..=0x2069 | 0x200B..=0x200F | 0xFEFF)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn cleaned_names_hold_no_control_or_bidi(s in hostile_text()) {
        let out = clean::one_line(&s);
        prop_assert!(!has_terminal_control(&out, false), "{out:?}");
        prop_assert!(clean::is_clean(&out));
    }

    #[test]
    fn cleaned_content_keeps_only_newlines(s in hostile_text()) {
        let out = clean::multi_line(&s);
        prop_assert!(!has_terminal_control(&out, true), "{out:?}");
    }

    #[test]
    fn cleaning_is_idempotent_on_text_without_entities(s in "[^&]{0,40}") {
        let once = clean::one_line(&s);
        prop_assert_eq!(clean::one_line(&once), once.clone());
    }

    #[test]
    fn the_page_decoder_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = wire::flow_page(&bytes, 1, 25);
        let _ = wire::single_flow(&bytes);
        let _ = wire::device_page(&bytes, 1, 25);
        let _ = wire::segment_page(&bytes, 1, 25);
    }

    #[test]
    fn decoded_pages_are_clean(name in hostile_text(), content in hostile_text(), id in 0u64..5, sent in any::<i64>()) {
        let body = serde_json::json!({
            "data": [
                {"id": id, "name": name, "content": content, "is_enabled": true, "total_sent_sms": sent},
                {"id": id, "name": "second", "is_enabled": "0", "settings": []}
            ],
            "meta": {"page": "1", "total_results": 2}
        });
        let page = wire::flow_page(body.to_string().as_bytes(), 1, 25).unwrap();
        for f in &page.items {
            prop_assert!(!has_terminal_control(&f.name, false));
            prop_assert!(f.content.as_deref().is_none_or(|c| !has_terminal_control(c, true)));
            // Repeated (or zero) ids are never addressable.
            prop_assert!(f.blocked.is_some());
        }
    }

    #[test]
    fn decoding_with_shuffled_json_values_never_panics(v in arb_json()) {
        let body = serde_json::json!({"data": [v.clone()], "meta": v});
        let _ = wire::flow_page(body.to_string().as_bytes(), 1, 25);
        let body = serde_json::json!({"data": v});
        let _ = wire::single_flow(body.to_string().as_bytes());
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        hostile_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let keys = prop_oneof![
            Just("id".to_owned()),
            Just("name".to_owned()),
            Just("content".to_owned()),
            Just("is_enabled".to_owned()),
            Just("total_sent_sms".to_owned()),
            Just("datetime".to_owned()),
            Just("total".to_owned()),
            Just("total_pages".to_owned()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
