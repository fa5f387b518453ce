//! What the operator sees: every screen drawn on a `TestBackend` at 80×24 and 160×48, compared
//! with the snapshots in `tests/snapshots/`, plus a few direct checks of words and colours.
//! Times, the zone and the flows are fixed, so the screens are the same on every machine.
// The helpers below are test code too: a panic is the failure report.
#![expect(clippy::unwrap_used, reason = "test helpers")]

pub mod fixtures;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixtures::{
    NOW, ago, answer_history, ch, load_page, press, readings, segments, sim, store_with,
};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use flowdash::api::{
    ApiError, Conflict, FieldChange, Page, ServerKind, ToggleOutcome, UpdateOutcome,
};
use flowdash::app::{Command, Context, Mode, Msg, ReqId, SaveResult, State, start, update};
use flowdash::domain::{Device, Flow, FlowId, SegmentRef, WaitUnit};
use flowdash::store::{Account, AlertEvent, FlowKey, Store};
use flowdash::ui::theme::{THEMES, Theme};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn devices() -> Vec<Device> {
    vec![
        Device {
            id: 1,
            name: "Front desk phone".to_owned(),
            sims: Some(vec![sim(11, 0, "Orange"), sim(12, 1, "Free")]),
            model: None,
            brand: None,
        },
        Device {
            id: 2,
            name: "Warehouse phone".to_owned(),
            sims: Some(vec![sim(21, 0, "SFR")]),
            model: None,
            brand: None,
        },
    ]
}

#[expect(clippy::too_many_arguments, reason = "one row of the fixture table")]
fn flow(
    id: u64,
    name: &str,
    enabled: bool,
    wait: (i64, WaitUnit),
    sent: i64,
    pending: i64,
    failed: i64,
    last_sent: Option<i64>,
) -> Flow {
    Flow {
        id: FlowId(id),
        user_id: Some(1),
        name: name.to_owned(),
        content: Some(format!("Hello {{{{NAME}}}}, this is {name}.")),
        device_id: Some(1),
        sim_subscription_id: Some(11),
        segment: Some(SegmentRef::All),
        wait_time: Some(wait.0),
        wait_unit: Some(wait.1),
        enabled,
        sent: Some(sent),
        pending: Some(pending),
        failed: Some(failed),
        last_sent: last_sent.map(ago),
        last_changed: Some(ago(3 * 86_400 + 3600)),
        created: Some(ago(20 * 86_400)),
        blocked: None,
    }
}

/// One page of a documented server: varied states, waits, counters and name lengths.
fn page_one() -> Vec<Flow> {
    use WaitUnit::{Days, Hours, Minutes};
    let mut welcome = flow(
        12,
        "Welcome series",
        true,
        (2, Days),
        4210,
        31,
        88,
        Some(120),
    );
    welcome.segment = Some(SegmentRef::Saved(7));
    welcome.content =
        Some("Hello {{NAME}}, welcome to the club!\nReply STOP to opt out.".to_owned());
    let mut survey = flow(14, "Survey", true, (10, Minutes), 12, 2, 0, Some(30));
    survey.device_id = Some(2);
    survey.sim_subscription_id = Some(21);
    survey.content = Some("Привет! Как мы справились? Ответьте от 1 до 5.".to_owned());
    vec![
        welcome,
        flow(
            13,
            "Win-back",
            false,
            (3, Hours),
            880,
            0,
            4,
            Some(5 * 86_400),
        ),
        survey,
        flow(
            15,
            "Re-engagement for customers who have not ordered in ninety days or more",
            true,
            (90, Days),
            0,
            0,
            0,
            None,
        ),
        flow(
            16,
            "Birthday coupon",
            true,
            (1, Days),
            152_340,
            1200,
            3,
            Some(2),
        ),
        flow(
            17,
            "Abandoned cart",
            false,
            (45, Minutes),
            77,
            0,
            12,
            Some(7200),
        ),
    ]
}

fn ctx() -> Context {
    Context {
        host: "sms.sociostacks.com".to_owned(),
        profile: Some("prod".to_owned()),
        demo: false,
        production: false,
        read_only: false,
        log_path: Some(PathBuf::from("/home/op/.local/state/flowdash/flowdash.log")),
        ..Context::default()
    }
}

fn tick(now: Timestamp) -> Msg {
    Msg::Tick {
        now,
        budget: None,
        poll_every: None,
    }
}

/// The dashboard at one terminal size, driven as the loop drives it.
struct Scene {
    state: State,
    size: (u16, u16),
    pending: Vec<Command>,
}

impl Scene {
    /// Started (first page asked for) at this size; nothing answered yet.
    fn starting(ctx: Context, (w, h): (u16, u16)) -> Scene {
        let mut state = State::new(ctx, 25);
        update(&mut state, Msg::Resize(w, h));
        update(&mut state, tick(NOW));
        let pending = start(&mut state);
        Scene {
            state,
            size: (w, h),
            pending,
        }
    }

    /// Started, with devices, segments and a first page of 163 flows answered.
    fn loaded(ctx: Context, size: (u16, u16), items: Vec<Flow>, kind: ServerKind) -> Scene {
        let mut s = Scene::starting(ctx, size);
        s.send(Msg::DevicesLoaded(Ok(devices())));
        s.send(Msg::SegmentsLoaded(Ok(segments())));
        let cmds = std::mem::take(&mut s.pending);
        s.answer(&cmds, Ok((items, kind)));
        s
    }

    fn send(&mut self, msg: Msg) -> Vec<Command> {
        update(&mut self.state, msg)
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.send(ch(c));
        }
    }

    fn answer(&mut self, cmds: &[Command], result: Result<(Vec<Flow>, ServerKind), ApiError>) {
        let (req, page, per_page) = load_page(cmds).unwrap();
        let result = result.map(|(items, kind)| {
            // An empty answer is an account without flows; otherwise page 1 of 7.
            let (total, total_pages) = if items.is_empty() { (0, 0) } else { (163, 7) };
            (
                Page {
                    items,
                    page,
                    per_page,
                    total: Some(total),
                    total_pages: Some(total_pages),
                },
                kind,
            )
        });
        self.send(Msg::PageLoaded { req, result });
    }

    fn draw(&self) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(self.size.0, self.size.1)).unwrap();
        t.draw(|f| flowdash::ui::draw(f, &self.state)).unwrap();
        t
    }
}

/// The list as an operator sees it after a while: a refresh has moved some counters (one of
/// them within the last 3 s), the second row is selected.
fn list(size: (u16, u16)) -> Scene {
    let mut s = Scene::starting(ctx(), size);
    s.send(Msg::DevicesLoaded(Ok(devices())));
    s.send(Msg::SegmentsLoaded(Ok(segments())));
    s.send(tick(ago(10)));
    let cmds = std::mem::take(&mut s.pending);
    s.answer(&cmds, Ok((page_one(), ServerKind::Documented)));
    s.send(tick(ago(2)));
    let cmds = s.send(Msg::PollDue);
    let mut next = page_one();
    next[0].sent = Some(4222);
    next[0].pending = Some(19);
    next[4].sent = Some(152_402);
    s.answer(&cmds, Ok((next, ServerKind::Documented)));
    s.send(tick(NOW));
    s
}

/// Rows of the buffer as text.
fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// The cell where `text` starts on row `y`.
fn find(buf: &Buffer, y: u16, text: &str) -> Option<u16> {
    let row = rows(buf).swap_remove(usize::from(y));
    let at = row.find(text)?;
    // Columns, not bytes: every cell here is one column wide.
    Some(u16::try_from(row[..at].chars().count()).unwrap())
}

/// The row whose text contains `text`.
fn row_of(buf: &Buffer, text: &str) -> Option<u16> {
    rows(buf)
        .iter()
        .position(|r| r.contains(text))
        .map(|y| u16::try_from(y).unwrap())
}

fn snap(name: &str, scene: &Scene) -> Terminal<TestBackend> {
    let t = scene.draw();
    let (w, h) = scene.size;
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    t
}

/// [`snap`], and `text` is on one of its rows.
fn snap_showing(name: &str, scene: &Scene, text: &str) {
    let t = snap(name, scene);
    assert!(
        row_of(t.backend().buffer(), text).is_some(),
        "{text:?} is not on screen:\n{}",
        rows(t.backend().buffer()).join("\n")
    );
}

// ---- the list -------------------------------------------------------------------------------

#[test]
fn list_with_detail() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('j'));
        let t = snap("list", &s);
        let buf = t.backend().buffer();
        let y = row_of(buf, "13 Win-back").unwrap();
        let x = find(buf, y, "13 Win-back").unwrap();
        assert_eq!(
            buf[(x, y)].bg,
            Color::DarkGray,
            "the selected row stands out"
        );
        let other = row_of(buf, "14 Survey").unwrap();
        assert_eq!(buf[(x, other)].bg, Color::Reset);
        assert!(rows(buf)[1].contains("page 1/7 (163 flows)"));
    }
}

#[test]
fn a_counter_that_just_moved_is_highlighted() {
    let s = list((160, 48));
    let t = s.draw();
    let buf = t.backend().buffer();
    let y = row_of(buf, "Birthday coupon").unwrap();
    let x = find(buf, y, "+62").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Green);
}

#[test]
fn a_toggle_in_flight_shows_its_glyph() {
    let mut s = list((80, 24));
    s.send(ch(' '));
    let t = s.draw();
    let buf = t.backend().buffer();
    let y = row_of(buf, "Welcome series").unwrap();
    let x = find(buf, y, "◐").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Yellow);
    assert!(rows(buf).iter().any(|r| r.contains("◐ switching")));
}

/// Every glyph and mark of the selected row stands out from the row's background, whatever the
/// row: on, off (its ○ is grey, like the selection), switching, with a change no longer fresh.
#[test]
fn nothing_on_the_selected_row_is_drawn_in_its_own_background_colour() {
    let mut s = list((160, 48));
    // The changes of the last refresh are no longer fresh (drawn dim), and flow 12 is switching.
    s.send(tick(NOW + SignedDuration::from_secs(10)));
    s.send(ch(' '));
    let mut glyphs = Vec::new();
    for i in 0..page_one().len() {
        s.send(ch('g'));
        for _ in 0..i {
            s.send(ch('j'));
        }
        let t = s.draw();
        let buf = t.backend().buffer();
        let mut marked = 0;
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                if cell.bg != Color::DarkGray || cell.symbol().trim().is_empty() {
                    continue;
                }
                marked += 1;
                assert_ne!(
                    cell.fg,
                    cell.bg,
                    "{:?} at ({x}, {y}) on row {i} is drawn in its background colour",
                    cell.symbol()
                );
                if x < 3 {
                    glyphs.push(cell.symbol().to_owned());
                }
            }
        }
        assert!(marked > 10, "row {i} is selected and drawn");
    }
    for g in ["◐", "○", "●"] {
        assert!(glyphs.iter().any(|s| s == g), "{g} selected: {glyphs:?}");
    }
}

#[test]
fn empty() {
    for size in SIZES {
        let s = Scene::loaded(ctx(), size, Vec::new(), ServerKind::Documented);
        snap_showing("empty", &s, "no flows yet: n creates one");
    }
}

#[test]
fn loading() {
    for size in SIZES {
        let s = Scene::starting(ctx(), size);
        snap_showing("loading", &s, "loading flows…");
    }
}

#[test]
fn error_with_stale_data() {
    for size in SIZES {
        let mut s = list(size);
        let cmds = s.send(ch('r'));
        s.answer(
            &cmds,
            Err(ApiError::Server {
                status: 502,
                html: true,
                excerpt: "Bad Gateway".to_owned(),
            }),
        );
        let t = snap("error_stale", &s);
        let buf = t.backend().buffer();
        assert!(row_of(buf, "Welcome series").is_some(), "the rows stay");
        // On the status line, after the spinner (devices and segments are still reloading),
        // in red, and with the way to dismiss it.
        let y = size.1 - 1;
        let x = find(buf, y, "error: loading flows: server error 502").unwrap();
        assert_eq!(buf[(x, y)].fg, Color::Red);
        assert!(
            rows(buf)[usize::from(y)]
                .trim_end()
                .ends_with("· x dismisses")
        );
    }
}

// ---- form and dialogs -----------------------------------------------------------------------

#[test]
fn form_with_a_validation_error() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('n'));
        s.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        let t = snap("form_invalid", &s);
        let buf = t.backend().buffer();
        let y = row_of(buf, "a name is required").unwrap();
        let x = find(buf, y, "✗").unwrap();
        assert_eq!(buf[(x, y)].fg, Color::Red);
        assert!(row_of(buf, "content is required").is_some());
    }
}

#[test]
fn form_after_a_failed_save() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('e'));
        s.keys(" (new)");
        let cmds = s.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        let Some(Command::Update { req, .. }) = cmds.first() else {
            panic!("{cmds:?}")
        };
        let req = *req;
        s.send(Msg::Saved {
            req,
            result: Err(ApiError::Refused {
                status: 400,
                title: "You must fill all the required fields.".to_owned(),
            }),
        });
        snap_showing("form_failed_save", &s, "Welcome series (new)");
    }
}

#[test]
fn delete_dialog() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('d'));
        snap_showing("delete", &s, "Delete flow 12 \"Welcome series\"? y/N");
    }
}

/// The first page on a production profile, where a delete asks for the flow's name.
fn production_list(size: (u16, u16)) -> Scene {
    let ctx = Context {
        production: true,
        ..ctx()
    };
    Scene::loaded(ctx, size, page_one(), ServerKind::Documented)
}

#[test]
fn delete_dialog_on_production() {
    for size in SIZES {
        let mut s = production_list(size);
        s.send(ch('d'));
        s.keys("Welc");
        let t = snap("delete_production", &s);
        let buf = t.backend().buffer();
        let x = find(buf, 0, "PRODUCTION").unwrap();
        assert_eq!(buf[(x, 0)].bg, Color::Red);
        assert!(row_of(buf, "type the flow's name").is_some());
        assert!(row_of(buf, "name: Welc").is_some());
    }
}

#[test]
fn a_refused_delete_answer_keeps_the_dialog_and_says_why() {
    for size in SIZES {
        let mut s = production_list(size);
        s.send(ch('d'));
        s.keys("Welcome");
        s.send(press(KeyCode::Enter));
        let t = snap("delete_production_refused", &s);
        let buf = t.backend().buffer();
        let y = row_of(buf, "the name does not match: type Welcome series exactly").unwrap();
        let x = find(buf, y, "the name does not match").unwrap();
        assert_eq!(buf[(x, y)].fg, Color::Red);
        assert!(
            row_of(buf, "name: Welcome").is_some(),
            "what was typed stays"
        );
    }
    // Without production: the y/N question says which keys answer it.
    let mut s = list((80, 24));
    s.send(ch('d'));
    s.send(ch('j'));
    let t = s.draw();
    let buf = t.backend().buffer();
    assert!(row_of(buf, "Delete flow 12 \"Welcome series\"? y/N").is_some());
    assert!(row_of(buf, "y deletes the flow; n or Esc keeps it").is_some());
}

fn change(
    field: &'static str,
    seen: impl Into<Option<String>>,
    theirs: impl Into<Option<String>>,
) -> FieldChange {
    FieldChange {
        field,
        seen: seen.into().unwrap(),
        theirs: theirs.into().unwrap(),
    }
}

#[test]
fn conflict_dialog() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('e'));
        s.keys("!");
        let cmds = s.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        let Some(Command::Update { req, seen, .. }) = cmds.first() else {
            panic!("{cmds:?}")
        };
        let req: ReqId = *req;
        let mut theirs = (**seen).clone();
        theirs.content = Some("Hi {{NAME}}! Our club has moved: see the new address.".to_owned());
        theirs.wait_time = Some(1);
        theirs.last_changed = Some(ago(40));
        // As the client reports them: every field seen that the server now has differently.
        let changes = vec![
            change("content", seen.content.clone(), theirs.content.clone()),
            change("wait time", "2".to_owned(), "1".to_owned()),
            change(
                "last edit",
                format!("{:?}", seen.last_changed.unwrap()),
                format!("{:?}", theirs.last_changed.unwrap()),
            ),
        ];
        s.send(Msg::Saved {
            req,
            result: Ok(SaveResult::Updated(UpdateOutcome::Conflict(Conflict {
                theirs,
                changes,
            }))),
        });
        snap_showing("conflict", &s, "Conflict: this flow changed on the server");
    }
}

#[test]
fn help() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('?'));
        let t = snap("help", &s);
        let buf = t.backend().buffer();
        assert!(row_of(buf, "/home/op/.local/state/flowdash/flowdash.log").is_some());
        assert!(row_of(buf, "switch the flow on / off").is_some());
        assert!(row_of(buf, "q, Esc or ? closes").is_some());
    }
}

/// The help lists the keys of the form and the dialogs too; where they do not all fit (80×24),
/// it says so at its foot and scrolls to show the rest.
#[test]
fn help_lists_the_form_and_dialog_keys_and_scrolls_to_them() {
    let mut s = list((80, 24));
    s.send(ch('?'));
    let t = s.draw();
    let buf = t.backend().buffer();
    assert!(row_of(buf, "lines 1–15 of 58: ↓ ↑ PgDn PgUp scroll").is_some());
    // The keys in force, the legend of the glyphs beside them, the form's keys after it.
    for text in ["space       switch", "Glyphs", "⊘", "Shift-Tab"] {
        assert!(row_of(buf, text).is_some(), "{text}");
    }
    let hidden = ["q Esc !", "scroll a page", "Marked flows", "count Enter"];
    for text in hidden {
        assert!(row_of(buf, text).is_none(), "{text} below the fold");
    }
    for _ in 0..10 {
        s.send(press(KeyCode::PageDown));
    }
    let t = snap("help_scrolled", &s);
    let buf = t.backend().buffer();
    for text in hidden {
        assert!(row_of(buf, text).is_some(), "{text} scrolled into view");
    }
    assert!(row_of(buf, "lines 44–58 of 58").is_some());
    // Keys past the end are not kept: one up moves up at once.
    s.send(ch('k'));
    let t = s.draw();
    assert!(row_of(t.backend().buffer(), "lines 43–57 of 58").is_some());
    // Scrolling back up, past the top, stops there; q closes.
    for _ in 0..10 {
        s.send(press(KeyCode::PageUp));
    }
    s.send(ch('k'));
    let t = s.draw();
    assert!(row_of(t.backend().buffer(), "lines 1–15 of 58").is_some());
    s.send(ch('q'));
    assert!(matches!(s.state.mode, Mode::Browse));
}

// ---- alerts ---------------------------------------------------------------------------------

/// An alert event of flow `id` at `secs` ago.
fn alert(id: u64, flow: &str, rule: &str, state: &str, secs: i64, text: &str) -> AlertEvent {
    AlertEvent {
        at: ago(secs),
        name: rule.to_owned(),
        rule: rule.to_owned(),
        state: state.to_owned(),
        flow: Some(FlowKey::Id(id)),
        flow_name: Some(flow.to_owned()),
        value: None,
        text: format!("flow {id} \"{flow}\": {text}"),
    }
}

/// The list while flow 12 fails (its row carries `!`, the header counts it), then `!`: the
/// alerts firing with when they started, and the events of the last day with their times.
#[test]
fn alerts() {
    for size in SIZES {
        let mut s = list(size);
        let failing = alert(
            12,
            "Welcome series",
            "failed_share",
            "firing",
            600,
            "12.5 % of the messages of the last 30 min failed (above 10.0 %)",
        );
        let off = alert(
            13,
            "Win-back",
            "switched_off",
            "firing",
            3000,
            "switched off, not by flowdash on this machine",
        );
        let on = alert(13, "Win-back", "switched_off", "resolved", 1200, "on again");
        s.send(Msg::Alerts {
            firing: vec![failing.clone()],
            recent: vec![failing, on, off],
            terminal: String::new(),
        });
        let t = snap("alerts_list", &s);
        let buf = t.backend().buffer();
        let welcome = row_of(buf, " 12 Welcome series").unwrap();
        assert!(rows(buf)[usize::from(welcome)].starts_with("│ ●!"));
        let win_back = row_of(buf, " 13 Win-back").unwrap();
        assert!(rows(buf)[usize::from(win_back)].starts_with("│ ○ "));
        assert!(row_of(buf, "alerts 1 · live").is_some());
        s.send(ch('!'));
        let t = snap("alerts_view", &s);
        assert!(row_of(t.backend().buffer(), "Alerts: 1 firing").is_some());
        s.send(press(KeyCode::Esc));
        assert!(matches!(s.state.mode, Mode::Browse));
    }
}

// ---- read-only and too small ----------------------------------------------------------------

/// The shipped build's list: no content, device or SIM, and ids that are device ids.
fn shipped_page() -> Vec<Flow> {
    page_one()
        .into_iter()
        .map(|mut f| {
            f.content = None;
            f.device_id = None;
            f.sim_subscription_id = None;
            f
        })
        .collect()
}

#[test]
fn read_only_on_the_shipped_build() {
    for size in SIZES {
        let s = Scene::loaded(ctx(), size, shipped_page(), ServerKind::Shipped);
        let t = snap("read_only", &s);
        let buf = t.backend().buffer();
        let x = find(buf, 0, " READ-ONLY ").unwrap();
        assert_eq!(buf[(x + 1, 0)].bg, Color::Yellow, "a marker, and a word");
        assert!(
            rows(buf)
                .iter()
                .any(|r| r.contains("this server does not identify flows reliably")),
            "the detail pane says why"
        );
    }
}

/// Started, with the history's snapshot of `hours_old` ago read and nothing answered yet.
fn offline(size: (u16, u16), secs_old: i64) -> Scene {
    let mut s = Scene::starting(ctx(), size);
    // The snapshot comes from the history, which is kept.
    s.state.stored.on = true;
    s.send(Msg::SnapshotRead(Box::new(flowdash::store::SavedList {
        at: ago(secs_old),
        flows: page_one(),
        devices: devices(),
        segments: segments(),
        total: Some(163),
    })));
    s
}

#[test]
fn offline_start_on_the_last_snapshot() {
    for size in SIZES {
        let s = offline(size, 3 * 3600 + 1200);
        let t = snap("offline", &s);
        let buf = t.backend().buffer();
        assert!(
            rows(buf)[0].contains("offline · data 3 h old"),
            "{}",
            rows(buf)[0]
        );
        assert!(rows(buf)[1].contains("page 1/7 (163 flows)"));
        assert!(row_of(buf, "Welcome").is_some(), "the snapshot's rows");
        assert!(
            row_of(buf, "space on/off").is_none() && row_of(buf, "n new").is_none(),
            "no write key is offered"
        );
    }
}

#[test]
fn too_small() {
    for (w, h) in [(79, 24), (120, 23)] {
        let s = list((w, h));
        let t = snap("too_small", &s);
        let buf = t.backend().buffer();
        assert!(row_of(buf, "flowdash needs at least 80×24").is_some());
        assert!(row_of(buf, "keys wait until it is larger · q quits").is_some());
    }
}

// ---- ids and waits are never cut ------------------------------------------------------------

/// Ids of six and ten digits, and waits the server should never hold.
fn long_ids_page() -> Vec<Flow> {
    use WaitUnit::{Days, Minutes};
    vec![
        flow(
            123_456,
            "Six digits",
            true,
            (4_294_967_295, Days),
            10,
            0,
            0,
            Some(60),
        ),
        flow(
            9_999_999_999,
            "Ten digits",
            false,
            (0, Minutes),
            20,
            0,
            0,
            Some(60),
        ),
        flow(77, "Negative", true, (-5, Days), 40, 0, 0, Some(60)),
        flow(
            23_456,
            "Five digits",
            true,
            (129_600, Minutes),
            30,
            0,
            0,
            Some(60),
        ),
    ]
}

/// The words of the table row that holds `name`, without the borders.
fn cells(buf: &Buffer, name: &str) -> Vec<String> {
    let table = rows(buf)
        .iter()
        .filter_map(|l| l.split('│').nth(1).map(str::to_owned))
        .find(|t| t.contains(name))
        .unwrap();
    table.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn ids_and_waits_are_shown_whole() {
    for size in SIZES {
        let s = Scene::loaded(ctx(), size, long_ids_page(), ServerKind::Documented);
        let t = snap("long_ids", &s);
        let buf = t.backend().buffer();
        let six = cells(buf, "Six digits");
        assert_eq!(six[..2], ["●", "123456"], "{six:?}");
        assert!(six.contains(&"4294967295d".to_owned()), "{six:?}");
        let ten = cells(buf, "Ten digits");
        assert_eq!(ten[..2], ["○", "9999999999"], "{ten:?}");
        assert!(ten.contains(&"0m".to_owned()), "{ten:?}");
        let five = cells(buf, "Five digits");
        assert_eq!(five[..2], ["●", "23456"], "{five:?}");
        assert!(five.contains(&"129600m".to_owned()), "{five:?}");
        assert!(cells(buf, "Negative").contains(&"-5d".to_owned()));
        // The detail pane names the wait in words, and says it is not one the server allows.
        assert!(
            row_of(buf, "wait 4294967295 days (outside 1 to 90 days)").is_some(),
            "{:#?}",
            rows(buf)
        );
    }
}

// ---- what the header says is true ------------------------------------------------------------

fn header(s: &Scene) -> String {
    rows(s.draw().backend().buffer()).swap_remove(0)
}

fn snapshot_budget(
    left: u32,
    cooldown: Option<std::time::Duration>,
    held: bool,
) -> flowdash::budget::BudgetSnapshot {
    flowdash::budget::BudgetSnapshot {
        left,
        share: 30,
        cooldown,
        server_remaining: None,
        polling_held: held,
    }
}

#[test]
fn the_live_state_names_what_is_happening() {
    for size in SIZES {
        let mut s = list(size);
        let every = Some(std::time::Duration::from_secs(3));
        s.send(Msg::Tick {
            now: NOW,
            budget: Some(snapshot_budget(20, None, false)),
            poll_every: every,
        });
        assert!(
            header(&s).contains("budget 20/30 · live 3s · 2s old"),
            "{}",
            header(&s)
        );

        // Held at the reserve: nothing live arrives, and the header says why.
        s.send(Msg::Tick {
            now: NOW,
            budget: Some(snapshot_budget(9, None, true)),
            poll_every: every,
        });
        let h = header(&s);
        assert!(h.contains("held: budget"), "{h}");
        assert!(!h.contains("live"), "{h}");

        // A 429 that keeps coming back.
        s.send(Msg::Tick {
            now: NOW,
            budget: Some(snapshot_budget(
                0,
                Some(std::time::Duration::from_secs(8)),
                true,
            )),
            poll_every: every,
        });
        assert!(header(&s).contains("rate limited · 8s"), "{}", header(&s));

        // The server cannot be reached: offline, not live.
        s.send(Msg::Tick {
            now: NOW,
            budget: Some(snapshot_budget(20, None, false)),
            poll_every: every,
        });
        let cmds = s.send(Msg::PollDue);
        s.answer(
            &cmds,
            Err(ApiError::Network {
                detail: "connection refused".to_owned(),
            }),
        );
        let h = header(&s);
        assert!(h.contains("offline · retrying"), "{h}");
        assert!(!h.contains("live"), "{h}");

        // It answers again: live.
        let cmds = s.send(Msg::PollDue);
        s.answer(&cmds, Ok((page_one(), ServerKind::Documented)));
        assert!(header(&s).contains("live 3s"), "{}", header(&s));
    }
}

#[test]
fn at_80_columns_the_header_keeps_markers_live_state_and_age_first() {
    let mut c = ctx();
    c.host = "a-very-long-host-name.sms.sociostacks.example.com:8443".to_owned();
    c.profile = Some("production-eu-west".to_owned());
    c.production = true;
    c.read_only = true;
    let mut s = Scene::loaded(c, (80, 24), page_one(), ServerKind::Documented);
    s.send(Msg::Tick {
        now: NOW,
        budget: Some(snapshot_budget(
            0,
            Some(std::time::Duration::from_secs(42)),
            true,
        )),
        poll_every: None,
    });
    let h = header(&s);
    for word in ["READ-ONLY", "PRODUCTION", "rate limited · 42s", "0s old"] {
        assert!(h.contains(word), "{word} missing: {h}");
    }
    // The host gave way first, and nothing was cut in the middle of a word.
    assert!(!h.contains("a-very-long"), "{h}");
    assert!(!h.contains('…'), "{h}");
}

#[test]
fn the_host_keeps_its_port_and_demo_wins_over_production() {
    let mut c = ctx();
    c.host = "127.0.0.1:8787".to_owned();
    c.profile = None;
    c.demo = true;
    c.production = true;
    let s = Scene::loaded(c, (120, 40), page_one(), ServerKind::Documented);
    let h = header(&s);
    assert!(h.contains("127.0.0.1:8787"), "{h}");
    assert!(h.contains(" DEMO "), "{h}");
    assert!(!h.contains("PRODUCTION"), "{h}");
}

#[test]
fn sort_and_filter_say_they_cover_this_page() {
    for size in SIZES {
        let mut s = list(size);
        s.keys("ss");
        let t = s.draw();
        let info = rows(t.backend().buffer()).swap_remove(1);
        assert!(info.contains("(this page) · A loads all"), "{info}");
        s.keys("/welc");
        s.send(press(KeyCode::Enter));
        let info = rows(s.draw().backend().buffer()).swap_remove(1);
        assert!(info.contains("1 of 6 on this page"), "{info}");
        assert!(info.contains("(this page)"), "{info}");
    }
}

#[test]
fn the_newest_error_shows_and_e_lists_them_all() {
    for size in SIZES {
        let mut s = list(size);
        let cmds = s.send(ch('r'));
        s.answer(
            &cmds,
            Err(ApiError::Server {
                status: 502,
                html: true,
                excerpt: String::new(),
            }),
        );
        let cmds = s.send(ch('r'));
        s.answer(&cmds, Err(ApiError::Timeout { secs: 20 }));
        let t = s.draw();
        let status = rows(t.backend().buffer()).swap_remove(usize::from(size.1 - 1));
        assert!(status.contains("no answer within 20"), "{status}");
        assert!(status.contains("(+1 older"), "{status}");

        s.send(ch('E'));
        let t = snap("errors", &s);
        let screen = rows(t.backend().buffer()).join("\n");
        let newest = screen.find("no answer within 20 s").unwrap();
        let oldest = screen.find("server error 502").unwrap();
        assert!(newest < oldest, "newest first:\n{screen}");
        // Keys of the table do nothing here; q closes the view.
        let cmds = s.send(ch(' '));
        assert!(cmds.is_empty(), "{cmds:?}");
        assert!(matches!(s.state.mode, Mode::Errors { .. }));
        s.send(ch('q'));
        assert!(matches!(s.state.mode, Mode::Browse));

        // x dismisses the newest: the older one shows again.
        s.send(ch('x'));
        let t = s.draw();
        let status = rows(t.backend().buffer()).swap_remove(usize::from(size.1 - 1));
        assert!(status.contains("server error 502"), "{status}");
    }
}

#[test]
fn wide_characters_never_straddle_a_popups_border() {
    let size = (160, 48);
    // Names of two-column characters at both parities, so some straddle each edge.
    let mut items: Vec<Flow> = (0..5).flat_map(|_| page_one()).collect();
    for (i, f) in items.iter_mut().enumerate() {
        f.id = FlowId(i as u64 + 1);
        f.name = format!("{}{}", "x".repeat(i % 2), "漢字🎂".repeat(12));
    }
    let mut s = Scene::loaded(ctx(), size, items, ServerKind::Documented);
    s.send(ch('?'));
    let t = s.draw();
    let buf = t.backend().buffer();
    let screen = rows(buf);
    let top = row_of(buf, "┌ Help").unwrap();
    let left = find(buf, top, "┌ Help").unwrap();
    let bottom = (top..size.1)
        .find(|&y| buf[(left, y)].symbol() == "└")
        .unwrap();
    let right = find(buf, top, "┐").unwrap();
    for y in top + 1..bottom {
        for x in [left, right] {
            assert_eq!(
                buf[(x, y)].symbol(),
                "│",
                "the border at column {x} is gone on row {y}:\n{}",
                screen.join("\n")
            );
        }
    }
}

#[test]
fn the_content_field_wraps_and_names_what_made_it_ucs2() {
    for size in SIZES {
        let mut s = list(size);
        s.send(ch('n'));
        s.send(press(KeyCode::Tab));
        let words = "Dear customer, our spring sale starts on Monday and runs all week long – \
                     bring a friend";
        for c in words.chars() {
            s.send(ch(c));
        }
        let t = s.draw();
        let screen = rows(t.backend().buffer()).join("\n");
        // Both ends of the one long line are on screen: it wraps instead of scrolling sideways.
        assert!(screen.contains("Dear customer"), "{screen}");
        assert!(screen.contains("bring a friend"), "{screen}");
        assert!(screen.contains("(UCS-2: “–”)"), "{screen}");
    }
}

#[test]
fn with_more_than_a_thousand_flows_the_header_gives_the_oldest_rows_age() {
    let mut s = list((120, 40));
    let cmds = s.send(ch('A'));
    let req = cmds
        .iter()
        .find_map(|c| match c {
            Command::LoadAll { req, .. } => Some(*req),
            _ => None,
        })
        .unwrap();
    let mut all: Vec<Flow> = (0..1200).map(|_| page_one()[0].clone()).collect();
    for (i, f) in all.iter_mut().enumerate() {
        f.id = FlowId(i as u64 + 1);
    }
    s.send(Msg::AllLoaded {
        req,
        result: Ok((all, ServerKind::Documented)),
        steady: true,
    });
    s.send(Msg::Tick {
        now: NOW + SignedDuration::from_secs(7),
        budget: None,
        poll_every: Some(std::time::Duration::from_secs(3)),
    });
    let h = header(&s);
    assert!(h.contains("live 3s · rows up to 7s old"), "{h}");
    assert!(!h.contains("live off"), "{h}");
    let screen = rows(s.draw().backend().buffer()).join("\n");
    assert!(screen.contains("counters read 7 s ago"), "{screen}");
}

#[test]
fn the_offline_header_says_how_old_the_snapshot_is_until_the_server_answers() {
    for (secs, words) in [
        (42, "offline · data 42 s old"),
        (3 * 60 + 59, "offline · data 3 min old"),
        (5 * 3600, "offline · data 5 h old"),
        (2 * 86_400 + 7200, "offline · data 2 d old"),
    ] {
        let s = offline((160, 48), secs);
        assert!(header(&s).contains(words), "{secs}: {}", header(&s));
    }
    let mut s = offline((160, 48), 600);
    let cmds = std::mem::take(&mut s.pending);
    s.answer(
        &cmds,
        Err(ApiError::Server {
            status: 502,
            html: true,
            excerpt: String::new(),
        }),
    );
    let h = header(&s);
    assert!(h.contains("server failing · data 10 min old"), "{h}");
    let cmds = s.send(Msg::PollDue);
    s.answer(&cmds, Ok((page_one(), ServerKind::Documented)));
    let h = header(&s);
    assert!(h.contains("0s old") && !h.contains("offline"), "{h}");
}

// ---- the spinner -----------------------------------------------------------------------------

/// A thousand and two hundred flows, as `A` loads them.
fn twelve_hundred() -> Vec<Flow> {
    (1..=1200)
        .map(|i| {
            let mut f = page_one()[0].clone();
            f.id = FlowId(i);
            f
        })
        .collect()
}

/// The answer to every command that has one: pages and lists load, detail reads fail, toggles
/// settle without a write, saves are refused and deletes fail.
fn answers(cmds: Vec<Command>) -> Vec<Msg> {
    let page = |page, per_page| Page {
        items: page_one(),
        page,
        per_page,
        total: Some(1200),
        total_pages: Some(2),
    };
    let refused = || ApiError::Refused {
        status: 400,
        title: "You must fill all the required fields.".to_owned(),
    };
    cmds.into_iter()
        .filter_map(|c| {
            Some(match c {
                Command::LoadPage {
                    req,
                    page: n,
                    per_page,
                    ..
                } => Msg::PageLoaded {
                    req,
                    result: Ok((page(n, per_page), ServerKind::Documented)),
                },
                Command::LoadAll { req, .. } => Msg::AllLoaded {
                    req,
                    result: Ok((twelve_hundred(), ServerKind::Documented)),
                    steady: false,
                },
                Command::LoadChunk { req, page: n } => Msg::ChunkLoaded {
                    req,
                    page: n,
                    result: Ok(page(n, 1000)),
                },
                Command::LoadDevices => Msg::DevicesLoaded(Ok(devices())),
                Command::LoadSegments => Msg::SegmentsLoaded(Ok(segments())),
                Command::LoadDetail { req, id } => Msg::DetailLoaded {
                    req,
                    id,
                    result: Err(ApiError::Timeout { secs: 20 }),
                },
                Command::Toggle {
                    id, seen, target, ..
                } => Msg::Toggled {
                    id,
                    target,
                    result: Ok(ToggleOutcome::Unchanged(*seen)),
                },
                Command::Create { req, .. } | Command::Update { req, .. } => Msg::Saved {
                    req,
                    result: Err(refused()),
                },
                Command::Delete { id, .. } => Msg::Deleted {
                    id,
                    result: Err(refused()),
                },
                _ => return None,
            })
        })
        .collect()
}

/// After keys and results of every kind — stale pages, a toggle settled without a write, `A`
/// over a list that changed, the 1000-pages it polls, a refused save and delete — nothing runs
/// any more: the spinner is gone.
#[test]
fn the_spinner_stops_once_every_request_has_answered() {
    let mut s = list((80, 24));
    let mut seen: Vec<String> = Vec::new();
    let mut answer = |s: &mut Scene, cmds: Vec<Command>, reversed: bool| {
        seen.extend(cmds.iter().map(|c| format!("{c:?}")));
        let mut msgs = answers(cmds);
        if reversed {
            msgs.reverse();
        }
        for msg in msgs {
            s.send(msg);
        }
    };
    let mut waiting = Vec::new();
    // Two refreshes (the first one's page is stale when it lands) and a switch.
    for key in [' ', 'r', 'r'] {
        waiting.extend(s.send(ch(key)));
    }
    assert!(s.state.is_busy());
    answer(&mut s, waiting, true);
    // A: 1200 flows; then a live poll reads the 1000-page of the rows on screen.
    let cmds = s.send(ch('A'));
    answer(&mut s, cmds, false);
    let cmds = s.send(Msg::PollDue);
    assert!(
        cmds.iter().any(|c| matches!(c, Command::LoadChunk { .. })),
        "{cmds:?}"
    );
    answer(&mut s, cmds, false);
    // A save the server refuses, the form left; a delete that fails.
    let mut cmds = s.send(ch('n'));
    s.keys("Welcome");
    s.send(press(KeyCode::Tab));
    s.keys("Hi");
    cmds.extend(s.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    ))));
    cmds.extend(s.send(press(KeyCode::Esc)));
    cmds.extend(s.send(ch('y')));
    cmds.extend(s.send(ch('d')));
    cmds.extend(s.send(ch('y')));
    answer(&mut s, cmds, false);
    for kind in [
        "Toggle",
        "LoadPage",
        "LoadAll",
        "LoadChunk",
        "Create",
        "Delete",
    ] {
        assert!(
            seen.iter().any(|c| c.starts_with(kind)),
            "no {kind}: {seen:?}"
        );
    }
    assert_eq!(s.state.busy, 0);
    let t = s.draw();
    let screen = rows(t.backend().buffer()).join("\n");
    assert!(!screen.contains("working…"), "{screen}");
    for c in ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧'] {
        assert!(!screen.contains(c), "a spinner is drawn:\n{screen}");
    }
}

// ---- history --------------------------------------------------------------------------------

/// The account the list's flows belong to (they carry user 1).
fn account() -> Account {
    Account::parse("https://sms.sociostacks.com/api", Some(1)).unwrap()
}

/// The list with history kept: Win-back (13) selected, its 31 days recorded, and the detail
/// pane's chart answered from that store.
fn with_history(size: (u16, u16)) -> (Scene, Store) {
    let store = store_with(&account(), 13, "Win-back", NOW, 31);
    let mut s = list(size);
    s.state.stored.on = true;
    let cmds = s.send(ch('j'));
    let answer = answer_history(&store, &account(), &cmds).unwrap();
    s.send(answer);
    (s, store)
}

#[test]
fn the_detail_pane_charts_the_last_24_hours() {
    for size in SIZES {
        let (s, _store) = with_history(size);
        let t = snap("detail_history", &s);
        let screen = rows(t.backend().buffer()).join("\n");
        // Today (from midnight UTC to 22:40) against yesterday to 22:40.
        assert!(screen.contains("today 598 sent"), "{screen}");
        assert!(screen.contains("yesterday by now 526"), "{screen}");
        assert!(screen.contains("failed / hour") || screen.contains("failed per hour"));
    }
}

#[test]
fn the_detail_pane_says_since_when_history_is_recorded() {
    let mut s = list((160, 48));
    s.state.stored.on = true;
    let cmds = s.send(ch('j'));
    // Another flow was recorded, from an hour ago: none of this one.
    let mut store = Store::open_in_memory().unwrap();
    for (at, r) in readings(12, "Welcome series", NOW, 1)
        .into_iter()
        .filter(|(at, _)| *at >= ago(3600))
    {
        store.write_readings(&account(), at, &[r]).unwrap();
    }
    s.send(answer_history(&store, &account(), &cmds).unwrap());
    let screen = rows(s.draw().backend().buffer()).join("\n");
    assert!(
        screen.contains("no history of this flow yet · recording since 21:40"),
        "{screen}"
    );
}

#[test]
fn h_shows_the_flows_history_full_screen() {
    for size in SIZES {
        let (mut s, store) = with_history(size);
        let cmds = s.send(ch('H'));
        s.send(answer_history(&store, &account(), &cmds).unwrap());
        // The cursor, three bars back from now.
        s.keys("hhh");
        let t = snap("history_24h", &s);
        let screen = rows(t.backend().buffer()).join("\n");
        assert!(screen.contains("History · flow 13 · Win-back"), "{screen}");
        assert!(
            screen.contains("Mon 20 Oct 21:00–21:30 · sent 1 · failed 0 · pending 26"),
            "{screen}"
        );
        let cmds = s.send(ch('4'));
        s.send(answer_history(&store, &account(), &cmds).unwrap());
        let t = snap("history_30d", &s);
        let buf = t.backend().buffer();
        let screen = rows(buf).join("\n");
        assert!(
            screen.contains("last 30 d to 22:40 · a bar is 12 h"),
            "{screen}"
        );
        // The range shown is in brackets and reversed, so it reads without colour.
        let y = row_of(buf, "[30 d]").unwrap();
        let x = find(buf, y, "[30 d]").unwrap();
        assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    }
}

#[test]
fn on_the_shipped_build_the_history_view_says_how_it_tells_flows_apart() {
    let mut s = Scene::loaded(ctx(), (80, 24), shipped_page(), ServerKind::Shipped);
    s.state.stored.on = true;
    let cmds = s.send(ch('H'));
    let ask = cmds
        .iter()
        .find_map(|c| match c {
            Command::LoadHistory { ask, .. } => Some(ask.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        matches!(&ask.flow, FlowKey::Created { name, .. } if name == "Welcome series"),
        "{:?}",
        ask.flow
    );
    let store = Store::open_in_memory().unwrap();
    s.send(answer_history(&store, &account(), &cmds).unwrap());
    let screen = rows(s.draw().backend().buffer()).join("\n");
    assert!(screen.contains("History · Welcome series"), "{screen}");
    assert!(
        screen.contains("this server gives no usable flow ids: the history follows this flow"),
        "{screen}"
    );
    assert!(
        screen.contains("creation time (2025-09-30 22:40)"),
        "{screen}"
    );
    assert!(
        screen.contains("no readings of this flow in the last 24 h"),
        "{screen}"
    );
}

// ---- marks and bulk actions (DESIGN §15) ------------------------------------------------------

/// The list with the first and third rows marked, the budget read.
fn marked(size: (u16, u16)) -> Scene {
    let mut s = list(size);
    s.send(Msg::Tick {
        now: NOW,
        budget: Some(snapshot_budget(23, None, false)),
        poll_every: None,
    });
    s.keys("gvjjv");
    s
}

// ---- colour (DESIGN §17) ----------------------------------------------------------------------

/// The list of [`list`] in a built-in theme, on a production profile (its marker shown), with
/// flow 12 switching and the second row selected.
fn themed(name: &str, size: (u16, u16)) -> Scene {
    let mut s = list(size);
    s.state.ctx.production = true;
    s.state.theme = Theme::named(name).unwrap();
    s.send(ch(' '));
    s.send(ch('j'));
    s
}

#[test]
fn marked_rows_carry_a_bar_and_the_header_counts_them() {
    for size in SIZES {
        let s = marked(size);
        snap_showing("marked", &s, "2 marked");
        let t = s.draw();
        let buf = t.backend().buffer();
        let first = &page_one()[0].name;
        let y = row_of(buf, first).unwrap();
        assert_eq!(buf[(1, y)].symbol(), "▌", "the bar is in the first column");
    }
}

#[test]
fn a_bulk_switch_shows_its_cost_before_anything_is_sent() {
    for size in SIZES {
        let mut s = marked(size);
        let cmds = s.send(ch(' '));
        assert!(cmds.iter().all(|c| !matches!(c, Command::Toggle { .. })));
        snap_showing("bulk_choose", &s, "Switch 2 flows: o on · f off");
        // A key it cannot take keeps it open, and says why.
        s.send(ch('j'));
        assert!(matches!(s.state.mode, Mode::Bulk(_)));
        let cmds = s.send(ch('f'));
        assert!(cmds.iter().all(|c| !matches!(c, Command::Toggle { .. })));
        snap_showing("bulk_preview", &s, "Switch off 2 flows:");
    }
}

#[test]
fn the_main_screen_in_each_built_in_theme() {
    for name in THEMES {
        let s = themed(name, (80, 24));
        let t = s.draw();
        let buf = t.backend().buffer();
        insta::assert_snapshot!(format!("theme_{name}_80x24"), fixtures::styled(buf));
        // The selection stands out in every theme, colour or none.
        let y = row_of(buf, "13 Win-back").unwrap();
        let x = find(buf, y, "13 Win-back").unwrap();
        let cell = &buf[(x, y)];
        assert!(
            cell.bg != Color::Reset || cell.modifier.contains(Modifier::REVERSED),
            "{name}: {cell:?}"
        );
    }
}

/// The cells whose glyph is drawn in the colour behind it, as the terminal shows them (reverse
/// video swaps the two; an unset background is the one the theme is made for).
fn drawn_in_own_background(buf: &Buffer, theme: &Theme) -> Vec<String> {
    let mut out = Vec::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            if cell.symbol().trim().is_empty() {
                continue;
            }
            let (mut fg, mut bg) = (cell.fg, cell.bg);
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            if bg == Color::Reset {
                bg = theme.base;
            }
            if fg != Color::Reset && fg == bg {
                out.push(format!("{:?} at ({x}, {y}) in {fg:?}", cell.symbol()));
            }
        }
    }
    out
}

#[test]
fn no_theme_draws_a_glyph_in_its_own_background_colour() {
    for name in THEMES {
        let mut s = themed(name, (160, 48));
        // The changes of the last refresh are no longer fresh (drawn dim).
        s.send(tick(NOW + SignedDuration::from_secs(10)));
        for i in 0..page_one().len() {
            s.send(ch('g'));
            for _ in 0..i {
                s.send(ch('j'));
            }
            let t = s.draw();
            let bad = drawn_in_own_background(t.backend().buffer(), &s.state.theme);
            assert_eq!(bad, Vec::<String>::new(), "{name}, row {i} selected");
        }
        // The form, the help and the filter line.
        for (open, close) in [
            ("e", KeyCode::Esc),
            ("?", KeyCode::Esc),
            ("/x", KeyCode::Esc),
        ] {
            s.keys(open);
            let t = s.draw();
            let bad = drawn_in_own_background(t.backend().buffer(), &s.state.theme);
            assert_eq!(bad, Vec::<String>::new(), "{name}, after {open:?}");
            s.send(press(close));
        }
    }
}

// ---- columns (DESIGN §17) ---------------------------------------------------------------------

#[test]
fn the_columns_a_profile_picks() {
    use flowdash::app::columns::Column;
    for size in SIZES {
        let mut s = list(size);
        s.state.columns = Some(vec![
            Column::Name,
            Column::FailedPct,
            Column::Device,
            Column::Segment,
            Column::Today,
        ]);
        s.send(ch('j'));
        let t = snap("profile_columns", &s);
        let header = rows(t.backend().buffer())[3].clone();
        let at: Vec<usize> = ["id", "name", "failed%", "device", "segment", "today"]
            .iter()
            .map(|w| {
                header
                    .find(w)
                    .unwrap_or_else(|| panic!("{w} missing: {header}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{header}");
        assert!(
            !header.contains("pending") && !header.contains("wait"),
            "{header}"
        );
    }
}
