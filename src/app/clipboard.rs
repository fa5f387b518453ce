//! Copying through the terminal (DESIGN §16, §17): OSC 52 asks the terminal to put a text on
//! the system clipboard. Nothing answers, so the operator is told the text was sent, not that it
//! was copied; terminals that ignore OSC 52 (VTE-based ones, tmux without `set-clipboard on`)
//! leave the clipboard as it was.

use base64::Engine as _;

use super::Command;

/// What the toast says after a copy: the terminal never confirms one.
pub const SENT: &str = "sent to the terminal's clipboard";

/// The OSC 52 sequence that puts `text` on the clipboard (`c`), its bytes in base64, ended by BEL.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// The command that sends `text` to the terminal's clipboard.
pub fn copy(text: &str) -> Command {
    Command::Emit(osc52(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_travels_in_base64_so_no_byte_of_it_reaches_the_terminal_raw() {
        assert_eq!(osc52("42"), "\x1b]52;c;NDI=\x07");
        let hostile = osc52("a\x07\x1b]0;owned\x07");
        assert_eq!(hostile.matches('\x07').count(), 1, "{hostile:?}");
        assert_eq!(hostile.matches('\x1b').count(), 1, "{hostile:?}");
    }
}
