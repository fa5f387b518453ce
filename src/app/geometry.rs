//! Where things sit on the screen: the numbers both the drawing side and the key handling
//! (mouse clicks, the rows a page of the table holds) need, kept in one place; and where the
//! moving keys take the scroll of a text view or the cursor of a list.

/// Below this size only the size warning is drawn.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Rows above the table's first row: the header line, the info line, the table's top border and
/// its column titles.
pub const TABLE_TOP: u16 = 4;
/// Lines below the table: its bottom border, the key line, the status line.
pub const BELOW_TABLE: u16 = 3;
/// From this width on, the detail pane sits beside the table; below it, under the table.
pub const SIDE_BY_SIDE: u16 = 120;
/// The height of the detail pane when it sits under the table.
pub const DETAIL_BELOW: u16 = 9;

/// A terminal of this size shows the dashboard, not the size warning.
pub fn fits(width: u16, height: u16) -> bool {
    width >= MIN_WIDTH && height >= MIN_HEIGHT
}

/// The detail pane's width when it sits beside the table: it reads well from 44 columns, and every
/// column beyond 60 goes to the names.
pub fn detail_width(width: u16) -> u16 {
    (width * 36 / 100).clamp(44, 60)
}

/// The columns the flow table takes, border included.
pub fn table_width(width: u16) -> u16 {
    if width >= SIDE_BY_SIDE {
        width.saturating_sub(detail_width(width))
    } else {
        width
    }
}

/// How many table rows fit in a terminal of this size.
pub fn table_rows(width: u16, height: u16) -> usize {
    let mut h = height.saturating_sub(TABLE_TOP + BELOW_TABLE);
    if width < SIDE_BY_SIDE {
        h = h.saturating_sub(DETAIL_BELOW);
    }
    usize::from(h).max(1)
}

/// The scroll of a text view (the help, a copied text, the errors) after the key `code`, where
/// the screen shows `visible_rows` rows of the table: j/k and the arrows a line, PgDn/PgUp a
/// screen, g or Home the top; any other key leaves it.
pub fn scrolled(code: crossterm::event::KeyCode, scroll: u16, visible_rows: usize) -> u16 {
    use crossterm::event::KeyCode;
    let page = u16::try_from(visible_rows).unwrap_or(10).max(1);
    match code {
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown => scroll.saturating_add(page),
        KeyCode::PageUp => scroll.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => 0,
        _ => scroll,
    }
}

/// The cursor of a list (the ledger, the messages) of `last + 1` rows after the key `code`:
/// j/k and the arrows a row, PgDn/PgUp ten, g or Home the first, G or End the last; any other
/// key leaves it.
pub fn cursor_after(code: crossterm::event::KeyCode, cursor: usize, last: usize) -> usize {
    use crossterm::event::KeyCode;
    match code {
        KeyCode::Down | KeyCode::Char('j') => (cursor + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => cursor.saturating_sub(1),
        KeyCode::PageDown => (cursor + 10).min(last),
        KeyCode::PageUp => cursor.saturating_sub(10),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => last,
        _ => cursor,
    }
}
