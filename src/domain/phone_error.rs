//! The error codes a phone reports when an SMS fails (CONTRACT §9: the `error` of an SMS row, at
//! most 32 characters), and what each means in words.

/// Android's `SmsManager` results as the gateway app reports them, with their meaning.
pub const PHONE_ERRORS: [(&str, &str); 6] = [
    (
        "RESULT_ERROR_GENERIC_FAILURE",
        "the phone or the carrier refused the SMS (no credit, blocked number or a full queue)",
    ),
    (
        "RESULT_ERROR_NO_SERVICE",
        "the phone had no mobile network when it tried to send",
    ),
    (
        "RESULT_ERROR_RADIO_OFF",
        "the phone's radio was off (airplane mode)",
    ),
    (
        "RESULT_ERROR_NULL_PDU",
        "the phone could not encode the message",
    ),
    (
        "RESULT_ERROR_LIMIT_EXCEEDED",
        "the phone hit Android's limit of SMS sent a period",
    ),
    (
        "RESULT_ERROR_SHORT_CODE_NOT_AL",
        "sending to this short code is not allowed on the phone",
    ),
];

/// What a known phone error code means; `None` for a code not in the table (shown as received,
/// cleaned).
pub fn explain(code: &str) -> Option<&'static str> {
    let code = code.trim();
    PHONE_ERRORS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(code))
        .map(|(_, meaning)| *meaning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_explained_and_unknown_ones_are_not() {
        assert_eq!(
            explain("RESULT_ERROR_NO_SERVICE"),
            Some("the phone had no mobile network when it tried to send")
        );
        assert_eq!(
            explain("result_error_radio_off "),
            PHONE_ERRORS.get(2).map(|e| e.1)
        );
        assert_eq!(explain("SOMETHING_ELSE"), None);
    }

    #[test]
    fn every_code_fits_the_servers_32_characters() {
        for (code, _) in PHONE_ERRORS {
            assert!(code.len() <= 32, "{code}");
        }
    }
}
