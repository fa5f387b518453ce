//! Colour off (DESIGN §17), in the bytes the terminal receives: under `NO_COLOR` or
//! `--color never` no colour escape at all, and the selection still shown in reverse video.

pub mod support;

use support::Tui;

/// The parameters of every SGR sequence (`ESC [ … m`) in `raw`.
fn sgr_params(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(at) = rest.find("\u{1b}[") {
        rest = &rest[at + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            out.push(rest[..end].to_owned());
        }
        rest = &rest[end..];
    }
    out
}

/// The SGR sequences that set or reset a colour: 30–39, 40–49, 90–97, 100–107, 58, 59.
fn colour_escapes(raw: &str) -> Vec<String> {
    sgr_params(raw)
        .into_iter()
        .filter(|p| {
            p.split([';', ':']).any(|n| {
                matches!(
                    n.parse::<u16>(),
                    Ok(30..=49 | 58 | 59 | 90..=97 | 100..=107)
                )
            })
        })
        .collect()
}

fn reverse_video(raw: &str) -> bool {
    sgr_params(raw)
        .iter()
        .any(|p| p.split(';').any(|n| n == "7"))
}

/// The demo dashboard at 80×24 with `args` and `env`, once its flows are on screen and the
/// second row is selected.
fn demo_session(args: &[&str], env: &[(&str, &str)]) -> Tui {
    let mut all = vec!["--demo"];
    all.extend_from_slice(args);
    let mut tui = Tui::start(&all, env, 80, 24);
    tui.wait_text("page 1/");
    tui.send("j");
    tui.wait_for("the detail of the second flow", |s| {
        s.contains("● ") || s.contains("○ ")
    });
    tui
}

fn quit(mut tui: Tui) -> String {
    tui.send("q");
    assert!(tui.wait_exit().success());
    tui.raw_text()
}

#[test]
fn no_color_writes_no_colour_escape_and_shows_the_selection_in_reverse_video() {
    for (args, env) in [
        (&[][..], &[("NO_COLOR", "1")][..]),
        (&["--color", "never"][..], &[][..]),
    ] {
        let raw = quit(demo_session(args, env));
        assert_eq!(
            colour_escapes(&raw),
            Vec::<String>::new(),
            "{args:?} {env:?}"
        );
        assert!(reverse_video(&raw), "{args:?} {env:?}: no SGR 7");
    }
}

/// The check above can fail: the same session in colour writes colour escapes, and
/// `--color always` wins over `NO_COLOR`.
#[test]
fn colour_is_drawn_by_default_and_with_color_always() {
    for (args, env) in [
        (&[][..], &[][..]),
        (&["--color", "always"][..], &[("NO_COLOR", "1")][..]),
        // An empty NO_COLOR is not set (no-color.org).
        (&[][..], &[("NO_COLOR", "")][..]),
    ] {
        let raw = quit(demo_session(args, env));
        assert!(!colour_escapes(&raw).is_empty(), "{args:?} {env:?}");
    }
}
