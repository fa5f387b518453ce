//! Colour (DESIGN §17): a theme gives a style to each role the screens draw, so that no screen
//! names a colour itself. Built in: `dark` (the default), `light`, `high-contrast` and `mono`;
//! the config's `[theme]` overrides single roles.
//!
//! Nothing is told by colour alone: states are glyphs and words, markers are words, the
//! selection has a background *and* bold (reverse video in `mono`). With `NO_COLOR` or
//! `--color never` the dashboard draws in `mono`, which holds no colour at all.

use std::fmt;

use ratatui::style::{Color, Modifier, Style};

/// What a style is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The header bar (a background).
    Header,
    /// The selected row (a background).
    Selection,
    /// ● and `sent` messages, resolved alerts.
    Enabled,
    /// ○.
    Disabled,
    /// ◐, a switch on its way.
    Switching,
    /// ⊘, a flow the server holds.
    Blocked,
    /// Failed counters and messages.
    Failed,
    /// A counter that just moved.
    Delta,
    /// Conflicts, drafts, warnings, pending messages.
    Warning,
    /// The `PRODUCTION` marker (a background).
    Production,
    /// The `DEMO` and `READ-ONLY` markers (a background).
    Marker,
    /// `!` beside a flow whose alert fires, and firing alerts.
    Alert,
    /// Errors: the status line's, the delete dialog's, the error log's frame.
    Error,
    /// Hints and secondary text.
    Dim,
    /// Frames of the form and the help, the focused field, the sparkline.
    Accent,
    /// The form's text fields (a background).
    Input,
}

impl Role {
    pub const ALL: [Role; 16] = [
        Role::Header,
        Role::Selection,
        Role::Enabled,
        Role::Disabled,
        Role::Switching,
        Role::Blocked,
        Role::Failed,
        Role::Delta,
        Role::Warning,
        Role::Production,
        Role::Marker,
        Role::Alert,
        Role::Error,
        Role::Dim,
        Role::Accent,
        Role::Input,
    ];

    /// The name in the config's `[theme]`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Header => "header",
            Role::Selection => "selection",
            Role::Enabled => "enabled",
            Role::Disabled => "disabled",
            Role::Switching => "switching",
            Role::Blocked => "blocked",
            Role::Failed => "failed",
            Role::Delta => "delta",
            Role::Warning => "warning",
            Role::Production => "production",
            Role::Marker => "marker",
            Role::Alert => "alert",
            Role::Error => "error",
            Role::Dim => "dim",
            Role::Accent => "accent",
            Role::Input => "input",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// A role whose colour is the background of what is drawn on it; an override sets that.
    pub fn is_background(self) -> bool {
        matches!(
            self,
            Role::Header | Role::Selection | Role::Production | Role::Marker | Role::Input
        )
    }

    fn index(self) -> usize {
        Role::ALL.iter().position(|&r| r == self).unwrap_or(0)
    }
}

/// The built-in themes, by name.
pub const THEMES: [&str; 4] = ["dark", "light", "high-contrast", "mono"];

/// The colour names a `[theme]` value may use, besides `#rrggbb`.
pub const COLOUR_NAMES: &str = "black, red, green, yellow, blue, magenta, cyan, gray, darkgray, \
    lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, white, a number 0 to \
    255, or #rrggbb";

/// A style for every role, and the terminal background the theme is made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    styles: [Style; Role::ALL.len()],
    /// The terminal background the colours are chosen against (`Reset` when unknown): an
    /// override that draws text in it is refused.
    pub base: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::dark()
    }
}

fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

fn on(bg: Color, fg: Color) -> Style {
    Style::new().bg(bg).fg(fg)
}

const BOLD: Modifier = Modifier::BOLD;

impl Theme {
    /// A built-in theme by name.
    pub fn named(name: &str) -> Option<Theme> {
        match name {
            "dark" => Some(Theme::dark()),
            "light" => Some(Theme::light()),
            "high-contrast" => Some(Theme::high_contrast()),
            "mono" => Some(Theme::mono()),
            _ => None,
        }
    }

    fn build(name: &str, base: Color, styles: &[(Role, Style); Role::ALL.len()]) -> Theme {
        let mut t = Theme {
            name: name.to_owned(),
            styles: [Style::new(); Role::ALL.len()],
            base,
        };
        for &(role, style) in styles {
            t.styles[role.index()] = style;
        }
        t
    }

    /// For a dark terminal background: the look flowdash always had.
    pub fn dark() -> Theme {
        Theme::build(
            "dark",
            Color::Black,
            &[
                (Role::Header, on(Color::Blue, Color::White)),
                (
                    Role::Selection,
                    Style::new().bg(Color::DarkGray).add_modifier(BOLD),
                ),
                (Role::Enabled, fg(Color::Green)),
                (Role::Disabled, fg(Color::DarkGray)),
                (Role::Switching, fg(Color::Yellow)),
                (Role::Blocked, fg(Color::Red)),
                (Role::Failed, fg(Color::Red)),
                (Role::Delta, fg(Color::Green).add_modifier(BOLD)),
                (Role::Warning, fg(Color::Yellow)),
                (Role::Production, on(Color::Red, Color::White)),
                (Role::Marker, on(Color::Yellow, Color::Black)),
                (Role::Alert, fg(Color::Red).add_modifier(BOLD)),
                (Role::Error, fg(Color::Red).add_modifier(BOLD)),
                (Role::Dim, fg(Color::DarkGray)),
                (Role::Accent, fg(Color::Cyan)),
                (Role::Input, Style::new().bg(Color::Black)),
            ],
        )
    }

    /// For a light terminal background: no yellow text (unreadable on white), darker accents.
    pub fn light() -> Theme {
        // A dark orange of the 256-colour palette, for what is yellow on a dark background.
        let amber = Color::Indexed(130);
        Theme::build(
            "light",
            Color::White,
            &[
                (Role::Header, on(Color::Blue, Color::White)),
                (
                    Role::Selection,
                    Style::new().bg(Color::Indexed(252)).add_modifier(BOLD),
                ),
                (Role::Enabled, fg(Color::Green)),
                (Role::Disabled, fg(Color::DarkGray)),
                (Role::Switching, fg(amber)),
                (Role::Blocked, fg(Color::Red)),
                (Role::Failed, fg(Color::Red)),
                (Role::Delta, fg(Color::Green).add_modifier(BOLD)),
                (Role::Warning, fg(amber)),
                (Role::Production, on(Color::Red, Color::White)),
                (Role::Marker, on(Color::Yellow, Color::Black)),
                (Role::Alert, fg(Color::Red).add_modifier(BOLD)),
                (Role::Error, fg(Color::Red).add_modifier(BOLD)),
                (Role::Dim, fg(Color::DarkGray)),
                (Role::Accent, fg(Color::Blue)),
                (Role::Input, Style::new().bg(Color::Indexed(254))),
            ],
        )
    }

    /// Bright colours on a dark background, and the selection in reverse video, so that
    /// every glyph keeps its colour on the selected row too.
    pub fn high_contrast() -> Theme {
        let reverse = Style::new().add_modifier(Modifier::REVERSED | BOLD);
        Theme::build(
            "high-contrast",
            Color::Black,
            &[
                (
                    Role::Header,
                    on(Color::White, Color::Black).add_modifier(BOLD),
                ),
                (Role::Selection, reverse),
                (Role::Enabled, fg(Color::LightGreen)),
                (Role::Disabled, fg(Color::White)),
                (Role::Switching, fg(Color::LightYellow)),
                (Role::Blocked, fg(Color::LightRed).add_modifier(BOLD)),
                (Role::Failed, fg(Color::LightRed)),
                (Role::Delta, fg(Color::LightGreen).add_modifier(BOLD)),
                (Role::Warning, fg(Color::LightYellow)),
                (
                    Role::Production,
                    on(Color::LightRed, Color::Black).add_modifier(BOLD),
                ),
                (Role::Marker, on(Color::LightYellow, Color::Black)),
                (Role::Alert, fg(Color::LightRed).add_modifier(BOLD)),
                (Role::Error, fg(Color::LightRed).add_modifier(BOLD)),
                (Role::Dim, fg(Color::Gray)),
                (Role::Accent, fg(Color::LightCyan)),
                (Role::Input, Style::new().add_modifier(Modifier::UNDERLINED)),
            ],
        )
    }

    /// No colour at all: reverse video, bold and underline only. What `NO_COLOR` and
    /// `--color never` draw in.
    pub fn mono() -> Theme {
        let plain = Style::new();
        let reverse = Style::new().add_modifier(Modifier::REVERSED);
        // The markers sit on the header's reversed bar: they stand out by leaving it.
        let marker = Style::new()
            .remove_modifier(Modifier::REVERSED)
            .add_modifier(BOLD);
        Theme::build(
            "mono",
            Color::Reset,
            &[
                (Role::Header, reverse),
                (Role::Selection, reverse.add_modifier(BOLD)),
                (Role::Enabled, plain),
                (Role::Disabled, plain),
                (Role::Switching, plain),
                (Role::Blocked, Style::new().add_modifier(BOLD)),
                (Role::Failed, plain),
                (Role::Delta, Style::new().add_modifier(BOLD)),
                (Role::Warning, Style::new().add_modifier(BOLD)),
                (Role::Production, marker),
                (Role::Marker, marker),
                (Role::Alert, Style::new().add_modifier(BOLD)),
                (Role::Error, Style::new().add_modifier(BOLD)),
                (Role::Dim, plain),
                (Role::Accent, plain),
                (Role::Input, Style::new().add_modifier(Modifier::UNDERLINED)),
            ],
        )
    }

    /// Whether any role has a colour (`mono` has none).
    pub fn has_colour(&self) -> bool {
        self.styles.iter().any(|s| s.fg.is_some() || s.bg.is_some())
    }

    /// The style of a role.
    pub fn style(&self, role: Role) -> Style {
        self.styles[role.index()]
    }

    /// The colour a role is known by: its background for a background role, else its text.
    pub fn colour(&self, role: Role) -> Option<Color> {
        let s = self.style(role);
        if role.is_background() { s.bg } else { s.fg }
    }

    /// `role` in `colour`, the rest of its style kept.
    pub fn set(&mut self, role: Role, colour: Color) {
        let s = &mut self.styles[role.index()];
        *s = if role.is_background() {
            s.bg(colour)
        } else {
            s.fg(colour)
        };
    }

    /// A style drawn on the selected row, readable there: text in the selection's own
    /// background colour takes the selection's text colour (the terminal's, by default).
    pub fn on_selection(&self, style: Style) -> Style {
        let bg = self.style(Role::Selection).bg;
        if bg.is_some() && style.fg == bg {
            let text = self.style(Role::Selection).fg.unwrap_or(Color::Reset);
            style.fg(text)
        } else {
            style
        }
    }

    /// Text drawn in its own background: a role's text colour that is the terminal's
    /// background, or a background role whose text is its background. Each as `(role, why)`.
    pub fn clashes(&self) -> Vec<Clash> {
        let mut out = Vec::new();
        for role in Role::ALL {
            let s = self.style(role);
            let Some(fg) = s.fg.filter(|&c| c != Color::Reset) else {
                continue;
            };
            if s.bg == Some(fg) {
                out.push(Clash { role, on: role });
            } else if !role.is_background() && fg == self.base {
                out.push(Clash {
                    role,
                    on: Role::Input,
                });
            }
        }
        out
    }
}

/// A role drawn in the background it sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clash {
    pub role: Role,
    /// The role of the background: the role itself, or (as a stand-in for the terminal's
    /// background) `Input`.
    pub on: Role,
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.on == self.role {
            write!(
                f,
                "`{}` would draw its text in its own background colour",
                self.role.name()
            )
        } else {
            write!(
                f,
                "`{}` would draw its text in the terminal's background colour",
                self.role.name()
            )
        }
    }
}

/// The theme drawn: the config's, or `mono` when colour is off (`--color never`, or `NO_COLOR`
/// set and not `--color always`).
pub fn in_force(theme: &Theme, choice: ColorChoice) -> Theme {
    if choice.colour(std::env::var("NO_COLOR").ok().as_deref()) {
        theme.clone()
    } else {
        Theme::mono()
    }
}

/// A colour as the config writes it: a name, a 256-colour number or `#rrggbb`.
pub fn parse_colour(text: &str) -> Option<Color> {
    text.trim()
        .parse::<Color>()
        .ok()
        .filter(|&c| c != Color::Reset)
}

/// `--color`: whether to draw colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour unless `NO_COLOR` is set (to anything but the empty string).
    #[default]
    Auto,
    /// Colour, even with `NO_COLOR`.
    Always,
    /// No colour: reverse video, bold and glyphs only.
    Never,
}

impl ColorChoice {
    /// Whether colour is drawn, given the value of `NO_COLOR`.
    pub fn colour(self, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => no_color.is_none_or(str::is_empty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_built_in_theme_draws_a_role_in_its_own_background() {
        for name in THEMES {
            let t = Theme::named(name).unwrap();
            assert_eq!(t.clashes(), [], "{name}");
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn mono_holds_no_colour() {
        let t = Theme::mono();
        for role in Role::ALL {
            let s = t.style(role);
            assert!(s.fg.is_none() && s.bg.is_none(), "{role:?}: {s:?}");
        }
        assert!(!t.has_colour());
        assert!(Theme::light().has_colour());
        assert!(
            t.style(Role::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn an_override_sets_a_roles_colour_and_a_clash_is_found() {
        let mut t = Theme::dark();
        t.set(Role::Failed, parse_colour("#ff8800").unwrap());
        assert_eq!(t.style(Role::Failed).fg, Some(Color::Rgb(0xff, 0x88, 0)));
        t.set(Role::Header, Color::White);
        assert_eq!(
            t.clashes(),
            [Clash {
                role: Role::Header,
                on: Role::Header
            }]
        );
        let mut t = Theme::light();
        t.set(Role::Enabled, Color::White);
        assert_eq!(t.clashes().len(), 1);
    }

    #[test]
    fn no_color_is_honoured_unless_empty_or_overridden() {
        assert!(ColorChoice::Auto.colour(None));
        assert!(ColorChoice::Auto.colour(Some("")));
        assert!(!ColorChoice::Auto.colour(Some("1")));
        assert!(ColorChoice::Always.colour(Some("1")));
        assert!(!ColorChoice::Never.colour(None));
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
        }
        assert_eq!(parse_colour("reset"), None);
        assert_eq!(parse_colour("nope"), None);
    }
}
