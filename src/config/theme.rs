//! The config's display settings (DESIGN §17): `theme = "light"`, or a `[theme]` table whose
//! `name` picks the built-in theme and whose other keys give single roles a colour; and
//! `columns = [...]`, the flow table's columns. Each may stand at the top of the file or in a
//! profile; the profile's wins.
//!
//! A name, role or colour flowdash does not know is an error naming the file, the line and the
//! values allowed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use super::{ConfigError, line_of};
use crate::app::columns::Column;
use crate::domain::clean;
use crate::ui::theme::{COLOUR_NAMES, Role, THEMES, Theme, parse_colour};

/// `theme` as written.
#[derive(Clone)]
pub(super) enum RawTheme {
    Name(String),
    Table(BTreeMap<String, Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawTheme {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTheme;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a theme's name or a [theme] table")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawTheme, E> {
                Ok(RawTheme::Name(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawTheme, A::Error> {
                BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawTheme::Table)
            }
        }
        d.deserialize_any(V)
    }
}

fn quoted(value: &str) -> String {
    format!("`{}`", clean::one_line(value))
}

fn built_in(name: &str) -> Result<Theme, String> {
    Theme::named(name.trim()).ok_or_else(|| {
        format!(
            "theme {} is not a theme: use {}",
            quoted(name),
            THEMES.join(", ")
        )
    })
}

/// The theme the config asks for: the built-in one named, with the table's roles over it.
pub(super) fn theme(
    path: &Path,
    text: &str,
    raw: Option<&Spanned<RawTheme>>,
) -> Result<Theme, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Theme::default());
    };
    let error = |offset: usize, detail: String| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: Some(line_of(text, offset)),
        detail,
    };
    let table = match raw.get_ref() {
        RawTheme::Name(name) => return built_in(name).map_err(|e| error(raw.span().start, e)),
        RawTheme::Table(table) => table,
    };
    let mut theme = match table.get("name") {
        Some(name) => built_in(name.get_ref()).map_err(|e| error(name.span().start, e))?,
        None => Theme::default(),
    };
    for (key, value) in table.iter().filter(|(k, _)| *k != "name") {
        let at = value.span().start;
        let role = Role::from_name(key).ok_or_else(|| {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            error(
                at,
                format!(
                    "[theme] {} is not a role: use name, {}",
                    quoted(key),
                    roles.join(", ")
                ),
            )
        })?;
        let colour = parse_colour(value.get_ref()).ok_or_else(|| {
            error(
                at,
                format!(
                    "[theme] {key} = {} is not a colour: use {COLOUR_NAMES}",
                    quoted(value.get_ref())
                ),
            )
        })?;
        theme.set(role, colour);
        if let Some(clash) = theme.clashes().into_iter().find(|c| c.role == role) {
            return Err(error(
                at,
                format!(
                    "[theme] {key} = {}: {clash} ({} theme); pick another colour",
                    quoted(value.get_ref()),
                    theme.name
                ),
            ));
        }
    }
    Ok(theme)
}

/// The columns the config picks, in its order; every unknown name is named in the error.
pub(super) fn columns(
    path: &Path,
    text: &str,
    raw: Option<&Spanned<Vec<String>>>,
) -> Result<Option<Vec<Column>>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let (known, unknown): (Vec<_>, Vec<_>) = raw
        .get_ref()
        .iter()
        .map(|n| Column::from_name(n.trim()).ok_or(n))
        .partition(Result::is_ok);
    if !unknown.is_empty() {
        let unknown: Vec<String> = unknown
            .into_iter()
            .filter_map(Result::err)
            .map(|n| quoted(n))
            .collect();
        let all: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        return Err(ConfigError::Syntax {
            path: path.to_path_buf(),
            line: Some(line_of(text, raw.span().start)),
            detail: format!(
                "columns: {} {} not a column: use {}",
                unknown.join(", "),
                if unknown.len() == 1 { "is" } else { "are" },
                all.join(" ")
            ),
        });
    }
    Ok(Some(known.into_iter().filter_map(Result::ok).collect()))
}

#[cfg(test)]
mod tests {
    use ratatui::style::Color;

    use super::*;

    fn read(text: &str) -> Result<Theme, String> {
        let path = Path::new("c.toml");
        let file = super::super::parse(path, text).map_err(|e| e.to_string())?;
        let profile = file.profiles.get("p").and_then(|p| p.theme.as_ref());
        theme(path, text, profile.or(file.theme.as_ref())).map_err(|e| e.to_string())
    }

    #[test]
    fn a_name_a_table_and_a_profiles_own() {
        assert_eq!(read("").unwrap(), Theme::dark());
        assert_eq!(read("theme = \"light\"\n").unwrap(), Theme::light());
        let t = read("[theme]\nname = \"high-contrast\"\nfailed = \"#ff8800\"\n").unwrap();
        assert_eq!(t.name, "high-contrast");
        assert_eq!(t.style(Role::Failed).fg, Some(Color::Rgb(0xff, 0x88, 0)));
        assert_eq!(
            t.style(Role::Enabled),
            Theme::high_contrast().style(Role::Enabled)
        );
        let t = read("theme = \"light\"\n[profiles.p]\ntheme = \"mono\"\n").unwrap();
        assert_eq!(t, Theme::mono());
    }

    #[test]
    fn errors_name_the_line_and_the_values_allowed() {
        let e = read("theme = \"solarized\"\n").unwrap_err();
        assert_eq!(
            e,
            "config file c.toml, line 1: theme `solarized` is not a theme: use dark, light, high-contrast, mono"
        );
        let e = read("[theme]\nname = \"light\"\nfailde = \"red\"\n").unwrap_err();
        assert!(e.starts_with("config file c.toml, line 3: [theme] `failde` is not a role: use name, header, selection,"), "{e}");
        let e = read("[profiles.p]\n[profiles.p.theme]\n\nfailed = \"reddish\"\n").unwrap_err();
        assert!(e.starts_with("config file c.toml, line 4: [theme] failed = `reddish` is not a colour: use black, red,"), "{e}");
        assert!(e.ends_with("or #rrggbb"), "{e}");
        let e = read("[theme]\nselection = \"red\"\nheader = \"white\"\n").unwrap_err();
        assert_eq!(
            e,
            "config file c.toml, line 3: [theme] header = `white`: `header` would draw its text in its own background colour (dark theme); pick another colour"
        );
        let e = read("[theme]\nname = \"light\"\ndim = \"white\"\n").unwrap_err();
        assert!(
            e.contains("line 3") && e.contains("terminal's background"),
            "{e}"
        );
        let e = read("theme = 3\n").unwrap_err();
        assert!(
            e.contains("line 1") && e.contains("a theme's name or a [theme] table"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod column_tests {
    use super::*;

    fn read(text: &str) -> Result<Option<Vec<Column>>, String> {
        let path = Path::new("c.toml");
        let file = super::super::parse(path, text).map_err(|e| e.to_string())?;
        let profile = file.profiles.get("p").and_then(|p| p.columns.as_ref());
        columns(path, text, profile.or(file.columns.as_ref())).map_err(|e| e.to_string())
    }

    #[test]
    fn columns_in_the_file_or_a_profile_and_unknown_names_named() {
        assert_eq!(read("").unwrap(), None);
        assert_eq!(
            read("columns = [\"name\", \"failed%\", \"device\"]\n").unwrap(),
            Some(vec![Column::Name, Column::FailedPct, Column::Device])
        );
        assert_eq!(
            read("columns = [\"name\"]\n[profiles.p]\ncolumns = [\"segment\", \"today\"]\n")
                .unwrap(),
            Some(vec![Column::Segment, Column::Today])
        );
        let e = read("\ncolumns = [\"name\", \"sent\", \"fialed\", \"colour\"]\n").unwrap_err();
        assert_eq!(
            e,
            "config file c.toml, line 2: columns: `fialed`, `colour` are not a column: use status id name wait sent pending failed failed% rate today last device segment"
        );
    }
}
