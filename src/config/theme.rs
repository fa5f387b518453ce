//! The config's colour settings (DESIGN §17): `theme = "light"`, or a `[theme]` table whose
//! `name` picks the built-in theme and whose other keys give single roles a colour. Either may
//! stand at the top of the file or in a profile; the profile's wins.
//!
//! A name, role or colour flowdash does not know is an error naming the file, the line and the
//! values allowed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, line_of};
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
