//! The dashboard's rules, through the pure `update()`: keys and results in, commands and state
//! out. No terminal, no server, no clock: every time is fixed.
// The helpers below are test code too: a panic is the failure report.
#![expect(clippy::expect_used, reason = "test helpers")]

pub mod fixtures;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use fixtures::{NOW, ago, ch, ctrl, load_page, press, segments, sim};
use jiff::SignedDuration;

use flowdash::api::{
    ApiError, Conflict, DeleteOutcome, FieldChange, Page, ServerKind, ToggleOutcome, UpdateOutcome,
};
use flowdash::app::form::FormKind;
use flowdash::app::history::{
    HistoryAsk, HistoryData, HistoryError, HistoryRange, HistoryView, slot_bounds,
};
use flowdash::app::view::SortKey;
use flowdash::app::{Command, Context, Gate, Mode, Msg, ReqId, SaveResult, State, start, update};
use flowdash::budget::Priority;
use flowdash::domain::validate::Field;
use flowdash::domain::{
    Device, Flow, FlowDraft, FlowId, FlowPatch, RowBlock, SegmentRef, WaitUnit,
};
use flowdash::store::{Account, Every, FlowKey, Interval};

/// A flow with every documented field, as the documented server lists it.
fn flow(id: u64, name: &str) -> Flow {
    Flow {
        id: FlowId(id),
        user_id: Some(1),
        name: name.to_owned(),
        content: Some(format!("Hello from {name}")),
        device_id: Some(1),
        sim_subscription_id: Some(11),
        segment: Some(SegmentRef::All),
        wait_time: Some(2),
        wait_unit: Some(WaitUnit::Days),
        enabled: true,
        sent: Some(100 * id as i64),
        pending: Some(3),
        failed: Some(1),
        last_sent: Some(ago(300)),
        last_changed: Some(ago(86_400)),
        created: Some(ago(10 * 86_400)),
        blocked: None,
    }
}

fn flows(ids: &[u64]) -> Vec<Flow> {
    ids.iter()
        .map(|&id| flow(id, &format!("Flow {id}")))
        .collect()
}

fn devices() -> Vec<Device> {
    vec![Device {
        id: 1,
        name: "Front desk phone".to_owned(),
        sims: Some(vec![sim(11, 0, "Orange")]),
        model: None,
        brand: None,
    }]
}

/// The dashboard as the loop drives it, minus the terminal and the tasks.
struct App {
    state: State,
    /// What `start()` returned, until the first page is answered.
    pending: Vec<Command>,
}

impl App {
    /// Started, sized, clocked, with devices and segments loaded, and the first page (of
    /// `total` flows in pages of 25) answered with `items`.
    fn loaded(items: Vec<Flow>, total: u64) -> App {
        let mut app = App::starting(Context::default());
        app.send(Msg::DevicesLoaded(Ok(devices())));
        app.send(Msg::SegmentsLoaded(Ok(segments())));
        let cmds = app.pending.clone();
        app.answer(&cmds, items, total, ServerKind::Documented);
        app
    }

    /// Started and waiting for its first page: `pending` holds what `start()` asked for.
    fn starting(ctx: Context) -> App {
        let mut state = State::new(ctx, 25);
        update(&mut state, Msg::Resize(160, 48));
        update(
            &mut state,
            Msg::Tick {
                now: NOW,
                budget: None,
                poll_every: None,
            },
        );
        let pending = start(&mut state);
        App { state, pending }
    }

    fn send(&mut self, msg: Msg) -> Vec<Command> {
        update(&mut self.state, msg)
    }

    fn keys(&mut self, text: &str) -> Vec<Command> {
        text.chars().flat_map(|c| self.send(ch(c))).collect()
    }

    /// Answers the `LoadPage` of `cmds` with these flows.
    fn answer(
        &mut self,
        cmds: &[Command],
        items: Vec<Flow>,
        total: u64,
        kind: ServerKind,
    ) -> Vec<Command> {
        let (req, page, per_page) = load_page(cmds).expect("a LoadPage command");
        self.send(Msg::PageLoaded {
            req,
            result: Ok((
                Page {
                    items,
                    page,
                    per_page,
                    total: Some(total),
                    total_pages: None,
                },
                kind,
            )),
        })
    }

    fn ids(&self) -> Vec<u64> {
        self.state
            .view
            .iter()
            .map(|&i| self.state.flows[i].id.0)
            .collect()
    }

    fn selected(&self) -> Option<u64> {
        self.state.selected_id().map(|id| id.0)
    }

    fn row(&self, id: u64) -> &Flow {
        self.state
            .flows
            .iter()
            .find(|f| f.id.0 == id)
            .expect("the row")
    }

    fn toast(&self) -> &str {
        self.state.toast.as_ref().map_or("", |t| t.text.as_str())
    }

    fn last_error(&self) -> &str {
        self.state.errors.back().map_or("", String::as_str)
    }

    fn form(&self) -> &flowdash::app::FormState {
        match &self.state.mode {
            Mode::Form(f) => f,
            other => panic!("expected the form, got {other:?}"),
        }
    }
}

#[test]
fn start_asks_for_page_one_devices_and_segments() {
    let app = App::starting(Context::default());
    assert_eq!(
        app.pending,
        vec![
            Command::LoadPage {
                req: ReqId(1),
                page: 1,
                per_page: 25,
                priority: Priority::Operator,
            },
            Command::LoadDevices,
            Command::LoadSegments,
        ]
    );
    assert!(app.state.first_load && app.state.loading);
}

// ---- paging -------------------------------------------------------------------------------

#[test]
fn next_page_asks_for_page_two_with_a_new_request() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 60);
    let first = app.state.list_req;
    let cmds = app.send(ch(']'));
    let (req, page, per_page) = load_page(&cmds).expect("page 2 asked for");
    assert_eq!((page, per_page), (2, 25));
    assert_ne!(req, first);
    assert_eq!(app.state.list_req, req);
    app.answer(&cmds, flows(&[26, 27]), 60, ServerKind::Documented);
    assert_eq!(app.state.page, 2);
    assert_eq!(app.ids(), vec![26, 27]);
    assert_eq!(app.selected(), Some(26));
}

#[test]
fn previous_page_on_page_one_only_says_so() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 60);
    let before = app.state.list_req;
    let cmds = app.send(ch('['));
    assert!(load_page(&cmds).is_none(), "{cmds:?}");
    assert_eq!(app.toast(), "this is the first page");
    assert_eq!(app.state.list_req, before);
    assert_eq!(app.state.page, 1);
}

#[test]
fn next_page_on_the_last_page_only_says_so() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 3);
    let cmds = app.send(ch(']'));
    assert!(load_page(&cmds).is_none(), "{cmds:?}");
    assert_eq!(app.toast(), "this is the last page");
}

#[test]
fn page_sizes_reload_page_one_and_stop_at_the_ends() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 3000);
    let cmds = app.send(ch(']'));
    app.answer(&cmds, flows(&[26]), 3000, ServerKind::Documented);
    assert_eq!(app.state.page, 2);

    for size in [50, 100, 250, 500, 1000] {
        let cmds = app.send(ch('+'));
        assert_eq!(
            load_page(&cmds).map(|(_, p, n)| (p, n)),
            Some((1, size)),
            "+ towards {size}"
        );
    }
    let cmds = app.send(ch('+'));
    assert!(load_page(&cmds).is_none(), "{cmds:?}");
    assert_eq!(app.toast(), "1000 flows a page is the limit");
    assert_eq!(app.state.page_size, 1000);

    for size in [500, 250, 100, 50, 25, 10] {
        let cmds = app.send(ch('-'));
        assert_eq!(
            load_page(&cmds).map(|(_, p, n)| (p, n)),
            Some((1, size)),
            "- towards {size}"
        );
    }
    let cmds = app.send(ch('-'));
    assert!(load_page(&cmds).is_none(), "{cmds:?}");
    assert_eq!(app.toast(), "10 flows a page is the limit");
    assert_eq!(app.state.page_size, 10);
}

#[test]
fn a_stale_page_after_a_newer_request_is_ignored() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 60);
    let to_two = app.send(ch(']'));
    let back_to_one = app.send(ch('['));
    let (old, _, _) = load_page(&to_two).expect("page 2");
    let (new, page, _) = load_page(&back_to_one).expect("page 1");
    assert_eq!(page, 1);
    assert_ne!(old, new);

    // Page 2's answer comes last-but-one: it is no longer what the operator asked for.
    let cmds = app.answer(&to_two, flows(&[26, 27]), 60, ServerKind::Documented);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(app.ids(), vec![1, 2, 3]);
    assert!(app.state.loading, "the current request still runs");

    app.answer(&back_to_one, flows(&[1, 2, 4]), 60, ServerKind::Documented);
    assert_eq!(app.ids(), vec![1, 2, 4]);
    assert!(!app.state.loading);
}

#[test]
fn a_failed_refresh_keeps_the_rows_and_shows_the_error() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 3);
    let cmds = app.send(ch('r'));
    let (req, _, _) = load_page(&cmds).expect("a refresh");
    app.send(Msg::PageLoaded {
        req,
        result: Err(ApiError::Server {
            status: 502,
            html: true,
            excerpt: String::new(),
        }),
    });
    assert_eq!(app.ids(), vec![1, 2, 3]);
    assert!(
        app.last_error()
            .starts_with("loading flows: server error 502"),
        "{}",
        app.last_error()
    );
    app.send(ch('x'));
    assert!(app.state.errors.is_empty(), "x dismisses");
}

// ---- selection ------------------------------------------------------------------------------

#[test]
fn selection_follows_the_flow_id_through_a_reordering_refresh() {
    let mut app = App::loaded(flows(&[1, 2, 3, 4]), 4);
    app.send(ch('j'));
    app.send(ch('j'));
    assert_eq!(app.selected(), Some(3));
    let cmds = app.send(ch('r'));
    app.answer(&cmds, flows(&[4, 3, 2, 1]), 4, ServerKind::Documented);
    assert_eq!(app.selected(), Some(3));
    assert_eq!(app.state.cursor, 1);
}

#[test]
fn when_the_selected_flow_leaves_the_row_at_its_position_is_selected() {
    let mut app = App::loaded(flows(&[1, 2, 3, 4, 5]), 5);
    app.send(ch('j'));
    app.send(ch('j'));
    assert_eq!(app.selected(), Some(3));
    let cmds = app.send(ch('r'));
    app.answer(&cmds, flows(&[1, 2, 4, 5]), 4, ServerKind::Documented);
    assert_eq!(app.selected(), Some(4));
    assert_eq!(app.state.cursor, 2);

    // The last row leaves while selected: the new last row takes it.
    app.send(ch('G'));
    assert_eq!(app.selected(), Some(5));
    let cmds = app.send(ch('r'));
    app.answer(&cmds, flows(&[1, 2, 4]), 3, ServerKind::Documented);
    assert_eq!(app.selected(), Some(4));
}

#[test]
fn moving_stops_at_the_ends_of_the_page() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 3);
    app.send(ch('k'));
    assert_eq!(app.selected(), Some(1));
    app.send(press(KeyCode::End));
    app.send(ch('j'));
    assert_eq!(app.selected(), Some(3));
    app.send(ch('g'));
    assert_eq!(app.selected(), Some(1));
}

#[test]
fn key_release_and_repeat_are_ignored() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 3);
    for kind in [KeyEventKind::Release, KeyEventKind::Repeat] {
        let mut key = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        key.kind = kind;
        assert!(app.send(Msg::Key(key)).is_empty());
        let mut space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        space.kind = kind;
        assert!(app.send(Msg::Key(space)).is_empty());
    }
    assert_eq!(app.selected(), Some(1));
    assert!(app.state.toggling.is_empty());
    app.send(ch('j'));
    assert_eq!(app.selected(), Some(2), "a press still moves");
}

// ---- toggle ---------------------------------------------------------------------------------

#[test]
fn space_asks_for_the_target_state_and_shows_the_change_in_flight() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    let cmds = app.send(ch(' '));
    assert_eq!(
        cmds,
        vec![Command::Toggle {
            id: FlowId(1),
            seen: Box::new(flow(1, "Flow 1")),
            target: false,
            listed: None,
        }]
    );
    assert_eq!(app.state.toggling.get(&FlowId(1)), Some(&false));
    // A second press while it runs sends nothing more.
    assert!(app.send(ch(' ')).is_empty());

    let mut off = flow(1, "Flow 1");
    off.enabled = false;
    app.send(Msg::Toggled {
        id: FlowId(1),
        target: false,
        result: Ok(ToggleOutcome::Written(off)),
    });
    assert!(app.state.toggling.is_empty());
    assert!(!app.row(1).enabled);
    assert_eq!(
        app.toast(),
        "flow 1 switched off · pending SMS still go out; contacts arriving while off never get it"
    );
}

#[test]
fn a_refused_toggle_rolls_back_with_the_reason() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(ch(' '));
    app.send(Msg::Toggled {
        id: FlowId(1),
        target: false,
        result: Err(ApiError::Server {
            status: 500,
            html: true,
            excerpt: String::new(),
        }),
    });
    assert!(app.state.toggling.is_empty());
    assert_eq!(app.row(1), &flow(1, "Flow 1"));
    assert_eq!(
        app.last_error(),
        "flow 1 not switched off: server error 500: the server answered an HTML page"
    );
}

#[test]
fn a_toggle_the_server_already_had_settles_without_a_change() {
    let mut app = App::loaded(flows(&[1]), 1);
    app.send(ch(' '));
    let mut theirs = flow(1, "Flow 1");
    theirs.enabled = false;
    app.send(Msg::Toggled {
        id: FlowId(1),
        target: false,
        result: Ok(ToggleOutcome::Unchanged(theirs)),
    });
    assert!(!app.row(1).enabled);
    assert_eq!(app.toast(), "flow 1 was already off");
}

// ---- read-only rows -------------------------------------------------------------------------

#[test]
fn the_shipped_build_refuses_toggle_edit_and_delete_with_the_reason() {
    let mut app = App::starting(Context::default());
    let cmds = app.pending.clone();
    app.answer(&cmds, flows(&[1, 2]), 2, ServerKind::Shipped);
    for key in [' ', 'e', 'd'] {
        let cmds = app.send(ch(key));
        assert!(
            cmds.iter().all(|c| matches!(c, Command::ArmToast(_))),
            "{key:?}: {cmds:?}"
        );
        assert!(matches!(app.state.mode, Mode::Browse), "{key:?}");
        assert_eq!(
            app.last_error(),
            "flow 1 cannot be changed: this server does not identify flows reliably; change flows in the web dashboard"
        );
    }
    assert!(app.state.toggling.is_empty());
    // Creating stays possible.
    app.send(ch('n'));
    assert!(matches!(app.form().kind, FormKind::New));
}

#[test]
fn a_row_with_a_repeated_id_refuses_changes_but_its_neighbours_do_not() {
    let mut rows = flows(&[1, 2]);
    rows[0].blocked = Some(RowBlock::RepeatedId);
    let mut app = App::loaded(rows, 2);
    assert!(app.send(ch(' ')).is_empty());
    assert!(
        app.last_error().ends_with(RowBlock::RepeatedId.reason()),
        "{}",
        app.last_error()
    );
    app.send(ch('j'));
    assert!(matches!(
        app.send(ch(' ')).as_slice(),
        [Command::Toggle { id: FlowId(2), .. }]
    ));
}

#[test]
fn read_only_mode_refuses_every_write() {
    let ctx = Context {
        read_only: true,
        ..Context::default()
    };
    let mut app = App::starting(ctx);
    let cmds = app.pending.clone();
    app.answer(&cmds, flows(&[1]), 1, ServerKind::Documented);
    for key in [' ', 'e', 'd', 'n'] {
        let cmds = app.send(ch(key));
        assert!(
            cmds.iter().all(|c| matches!(c, Command::ArmToast(_))),
            "{cmds:?}"
        );
        assert!(matches!(app.state.mode, Mode::Browse), "{key:?}");
        assert!(
            app.last_error().contains("read-only mode"),
            "{}",
            app.last_error()
        );
    }
}

// ---- form -----------------------------------------------------------------------------------

#[test]
fn a_new_flow_starts_from_the_defaults() {
    let mut app = App::loaded(flows(&[1]), 1);
    app.send(ch('n'));
    let f = app.form();
    assert_eq!(
        f.draft(),
        FlowDraft {
            name: String::new(),
            content: String::new(),
            device_id: Some(1),
            sim_subscription_id: Some(11),
            wait_time: 1,
            wait_unit: WaitUnit::Days,
            segment: SegmentRef::All,
            // Switched off until the operator says otherwise (DESIGN §15).
            enabled: false,
        }
    );
}

#[test]
fn saving_an_empty_new_flow_sends_nothing_and_marks_name_and_content() {
    let mut app = App::loaded(flows(&[1]), 1);
    app.send(ch('n'));
    let cmds = app.send(ctrl('s'));
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::Create { .. })),
        "{cmds:?}"
    );
    let f = app.form();
    let fields: Vec<Field> = f.problems.iter().map(|p| p.field).collect();
    assert_eq!(fields, vec![Field::Name, Field::Content]);
    assert!(f.saving.is_none());

    // The marks follow the fields as they are filled in.
    app.keys("Welcome");
    assert_eq!(
        app.form()
            .problems
            .iter()
            .map(|p| p.field)
            .collect::<Vec<_>>(),
        vec![Field::Content]
    );
}

#[test]
fn a_new_flow_with_name_and_content_is_created() {
    let mut app = App::loaded(flows(&[1]), 1);
    app.send(ch('n'));
    app.keys("Welcome");
    app.send(press(KeyCode::Tab));
    app.keys("Hi there");
    let cmds = app.send(ctrl('s'));
    let [Command::Create { req, draft }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(draft.name, "Welcome");
    assert_eq!(draft.content, "Hi there");
    assert_eq!(app.form().saving, Some(*req));
}

/// `n`, a name, a two-line content, a 3-hour wait, Ctrl-S: the form with its save running.
fn new_flow_saving(app: &mut App) -> ReqId {
    app.send(ch('n'));
    app.keys("Welcome");
    app.send(press(KeyCode::Tab));
    app.keys("Hi");
    app.send(press(KeyCode::Enter));
    app.keys("there");
    app.send(press(KeyCode::Tab)); // device
    app.send(press(KeyCode::Tab)); // SIM
    app.send(press(KeyCode::Tab)); // wait time
    app.send(press(KeyCode::Backspace));
    app.keys("3");
    app.send(press(KeyCode::Tab)); // unit
    app.send(press(KeyCode::Left)); // days → hours
    let cmds = app.send(ctrl('s'));
    match cmds.as_slice() {
        [Command::Create { req, .. }] => *req,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_save_keeps_the_form_open_with_every_input() {
    let mut app = App::loaded(flows(&[1]), 1);
    let req = new_flow_saving(&mut app);
    let before = app.form().draft();
    assert_eq!(before.content, "Hi\nthere");
    assert_eq!((before.wait_time, before.wait_unit), (3, WaitUnit::Hours));

    // Keys typed while it saves change nothing that was sent.
    app.keys("xyz");
    assert_eq!(app.form().draft(), before);

    app.send(Msg::Saved {
        req,
        result: Err(ApiError::Refused {
            status: 400,
            title: "You must fill all the required fields.".to_owned(),
        }),
    });
    let f = app.form();
    assert_eq!(f.draft(), before);
    assert!(f.saving.is_none());
    assert_eq!(
        f.server_error.as_deref(),
        Some("the server refused (400): You must fill all the required fields.")
    );
    assert_eq!(f.focus, Field::WaitUnit);
}

#[test]
fn a_created_flow_closes_the_form_and_reloads_the_page() {
    let mut app = App::loaded(flows(&[1]), 1);
    let req = new_flow_saving(&mut app);
    let cmds = app.send(Msg::Saved {
        req,
        result: Ok(SaveResult::Created(flowdash::api::Created {
            flow: flow(2, "Welcome"),
            device_dropped: false,
            after_timeout: false,
            off_after: None,
        })),
    });
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.toast(), "created flow 2");
    assert!(load_page(&cmds).is_some(), "{cmds:?}");
}

#[test]
fn a_new_flow_left_on_by_a_failed_switch_off_is_an_error_that_says_so() {
    let mut app = App::loaded(flows(&[1]), 1);
    let req = new_flow_saving(&mut app);
    app.send(Msg::Saved {
        req,
        result: Ok(SaveResult::Created(flowdash::api::Created {
            flow: flow(2, "Welcome"),
            device_dropped: false,
            after_timeout: false,
            off_after: Some(flowdash::api::OffAfter::Failed(
                "the server answered 500".to_owned(),
            )),
        })),
    });
    assert_eq!(app.toast(), "created flow 2");
    assert_eq!(
        app.state.errors.back().map(String::as_str),
        Some(
            "flow 2 was created switched ON (the server stores none sent off); switching it off \
             failed: the server answered 500"
        )
    );
}

#[test]
fn an_edit_sends_only_the_changed_fields() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(ch('j'));
    app.send(ch('e'));
    assert!(matches!(
        app.form().kind,
        FormKind::Edit { id: FlowId(2), .. }
    ));
    app.keys("!");
    let cmds = app.send(ctrl('s'));
    let [
        Command::Update {
            id, seen, patch, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*id, FlowId(2));
    assert_eq!(**seen, flow(2, "Flow 2"));
    assert_eq!(
        *patch,
        FlowPatch {
            name: Some("Flow 2!".to_owned()),
            ..FlowPatch::default()
        }
    );
}

#[test]
fn an_absurd_wait_shows_in_the_form_as_the_server_sent_it() {
    let mut items = flows(&[1]);
    items[0].wait_time = Some(-5);
    let mut app = App::loaded(items, 1);
    app.send(ch('e'));
    assert_eq!(app.form().wait.value(), "-5");
    assert!(!app.form().is_changed());
    // Left alone, it is not sent.
    app.keys("!");
    let cmds = app.send(ctrl('s'));
    let [Command::Update { patch, req, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        *patch,
        FlowPatch {
            name: Some("Flow 1!".to_owned()),
            ..FlowPatch::default()
        }
    );
    app.send(Msg::Saved {
        req: *req,
        result: Err(ApiError::Timeout { secs: 20 }),
    });
    // Typed over, it is a change the checks see: nothing is sent while it is not a wait.
    for _ in 0..4 {
        app.send(press(KeyCode::Tab));
    }
    assert_eq!(app.form().focus, Field::WaitTime);
    app.keys("7");
    assert_eq!(app.form().wait.value(), "-57");
    assert!(app.send(ctrl('s')).is_empty());
    assert!(
        app.form()
            .problems
            .iter()
            .any(|p| p.field == Field::WaitTime),
        "{:?}",
        app.form().problems
    );
}

#[test]
fn esc_on_a_changed_form_asks_before_discarding() {
    let mut app = App::loaded(flows(&[1]), 1);
    app.send(ch('e'));
    app.keys("!");
    app.send(press(KeyCode::Esc));
    assert!(app.form().confirm_discard);
    app.send(ch('n'));
    assert!(!app.form().confirm_discard);
    assert_eq!(app.form().name.value(), "Flow 1!");
    app.send(press(KeyCode::Esc));
    app.send(ch('y'));
    assert!(matches!(app.state.mode, Mode::Browse));

    // Unchanged: Esc closes at once.
    app.send(ch('e'));
    app.send(press(KeyCode::Esc));
    assert!(matches!(app.state.mode, Mode::Browse));
}

#[test]
fn the_discard_question_takes_only_y_n_or_esc() {
    let mut app = App::loaded(flows(&[1]), 1);
    app.send(ch('e'));
    app.keys("!");
    app.send(press(KeyCode::Esc));
    for key in [
        ch('j'),
        ch(' '),
        ch('x'),
        press(KeyCode::Enter),
        press(KeyCode::Tab),
    ] {
        nothing_acts(&app.send(key));
    }
    let f = app.form();
    assert!(f.confirm_discard, "the question stays until answered");
    assert_eq!(f.name.value(), "Flow 1!", "and nothing was typed");
    // Esc answers "no": back to the form, as it was.
    app.send(press(KeyCode::Esc));
    let f = app.form();
    assert!(!f.confirm_discard);
    assert_eq!(f.name.value(), "Flow 1!");
}

// ---- conflict -------------------------------------------------------------------------------

/// Flow 1 edited to `Flow 1 (mine)`, saved, and the save answered with a conflict: someone
/// changed its content on the server. The dialog is on screen and has settled.
fn in_conflict(app: &mut App) -> Flow {
    let theirs = conflict_opens(app);
    let cmds = app.send(Msg::Drawn {
        width: 160,
        height: 48,
    });
    let [Command::Settle(n)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert!(app.send(Msg::Settled(*n)).is_empty());
    assert_eq!(app.state.gate, Gate::Open);
    theirs
}

/// As [`in_conflict`], up to the moment the dialog opens, before the screen shows it.
fn conflict_opens(app: &mut App) -> Flow {
    app.send(ch('e'));
    app.keys(" (mine)");
    let cmds = app.send(ctrl('s'));
    let req = match cmds.as_slice() {
        [Command::Update { req, .. }] => *req,
        other => panic!("{other:?}"),
    };
    let mut theirs = flow(1, "Flow 1");
    theirs.content = Some("Changed on the server".to_owned());
    theirs.last_changed = Some(ago(60));
    app.send(Msg::Saved {
        req,
        result: Ok(SaveResult::Updated(UpdateOutcome::Conflict(Conflict {
            theirs: theirs.clone(),
            changes: vec![FieldChange {
                field: "content",
                seen: "Hello from Flow 1".to_owned(),
                theirs: "Changed on the server".to_owned(),
            }],
        }))),
    });
    assert!(matches!(app.state.mode, Mode::Conflict { .. }));
    theirs
}

#[test]
fn the_conflict_dialog_ignores_keys_typed_before_it_was_seen() {
    let mut app = App::loaded(flows(&[1]), 1);
    conflict_opens(&mut app);
    // `m` and `t`, typed for the table before the dialog appeared, neither write nor reload.
    assert!(app.send(ch('m')).is_empty(), "no write");
    assert!(app.send(ch('t')).is_empty());
    assert!(matches!(app.state.mode, Mode::Conflict { .. }));
    // A frame too small to show the dialog does not count as seeing it.
    assert!(
        app.send(Msg::Drawn {
            width: 79,
            height: 24
        })
        .is_empty()
    );
    assert!(app.send(ch('m')).is_empty());
    // Drawn: keys already on their way are still dropped until it has settled.
    let cmds = app.send(Msg::Drawn {
        width: 160,
        height: 48,
    });
    let [Command::Settle(n)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let n = *n;
    assert!(app.send(ch('m')).is_empty());
    // Another dialog's settle time is not this one's.
    app.send(Msg::Settled(n + 1));
    assert!(app.send(ch('m')).is_empty());
    assert!(matches!(app.state.mode, Mode::Conflict { .. }));

    app.send(Msg::Settled(n));
    let cmds = app.send(ch('m'));
    assert!(
        matches!(cmds.as_slice(), [Command::Update { id: FlowId(1), .. }]),
        "{cmds:?}"
    );
}

#[test]
fn conflict_keep_mine_writes_my_changes_over_theirs() {
    let mut app = App::loaded(flows(&[1]), 1);
    let theirs = in_conflict(&mut app);
    let cmds = app.send(ch('m'));
    let [
        Command::Update {
            id, seen, patch, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*id, FlowId(1));
    assert_eq!(**seen, theirs, "the write is checked against theirs now");
    assert_eq!(
        *patch,
        FlowPatch {
            name: Some("Flow 1 (mine)".to_owned()),
            ..FlowPatch::default()
        },
        "only my change; their content stays"
    );
    assert!(app.form().saving.is_some());
}

#[test]
fn conflict_take_theirs_reloads_the_form_with_theirs() {
    let mut app = App::loaded(flows(&[1]), 1);
    let theirs = in_conflict(&mut app);
    assert!(
        app.send(ch('t'))
            .iter()
            .all(|c| matches!(c, Command::ArmToast(_)))
    );
    let f = app.form();
    assert_eq!(f.name.value(), "Flow 1");
    assert_eq!(f.content_text(), "Changed on the server");
    assert!(!f.is_changed());
    assert!(matches!(&f.kind, FormKind::Edit { seen, .. } if **seen == theirs));
    assert_eq!(app.row(1), &theirs, "the row shows theirs too");
}

#[test]
fn conflict_esc_goes_back_to_the_form_with_my_inputs() {
    let mut app = App::loaded(flows(&[1]), 1);
    in_conflict(&mut app);
    assert!(app.send(press(KeyCode::Esc)).is_empty());
    let f = app.form();
    assert_eq!(f.name.value(), "Flow 1 (mine)");
    assert_eq!(f.content_text(), "Hello from Flow 1");
    assert!(f.saving.is_none());
    // Other keys leave the dialog up.
    let mut app = App::loaded(flows(&[1]), 1);
    in_conflict(&mut app);
    assert!(app.send(ch('z')).is_empty());
    assert!(matches!(app.state.mode, Mode::Conflict { .. }));
}

// ---- delete ---------------------------------------------------------------------------------

#[test]
fn delete_asks_and_y_deletes_the_flow_seen() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(ch('j'));
    assert!(app.send(ch('d')).is_empty());
    assert!(matches!(app.state.mode, Mode::ConfirmDelete { .. }));
    let cmds = app.send(ch('y'));
    assert!(
        cmds.contains(&Command::Delete {
            id: FlowId(2),
            seen: Box::new(flow(2, "Flow 2")),
        }),
        "{cmds:?}"
    );
    let cmds = app.send(Msg::Deleted {
        id: FlowId(2),
        result: Ok(DeleteOutcome::Deleted),
    });
    assert_eq!(app.ids(), vec![1]);
    assert_eq!(app.toast(), "deleted flow 2");
    assert!(load_page(&cmds).is_some(), "the page is read again");
}

#[test]
fn delete_then_n_keeps_the_flow() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(ch('d'));
    let cmds = app.send(ch('n'));
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::Delete { .. })),
        "{cmds:?}"
    );
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.toast(), "not deleted");
}

fn production() -> App {
    let ctx = Context {
        production: true,
        ..Context::default()
    };
    let mut app = App::starting(ctx);
    let cmds = app.pending.clone();
    app.answer(&cmds, flows(&[1, 2]), 2, ServerKind::Documented);
    app
}

/// What the delete dialog shows under its question.
fn refusal(app: &App) -> Option<&str> {
    match &app.state.mode {
        Mode::ConfirmDelete { refusal, .. } => refusal.as_deref(),
        other => panic!("expected the delete dialog, got {other:?}"),
    }
}

fn typed(app: &App) -> &str {
    match &app.state.mode {
        Mode::ConfirmDelete { typed, .. } => typed.value(),
        other => panic!("expected the delete dialog, got {other:?}"),
    }
}

/// No command that writes or moves: what a key that must do nothing returns.
fn nothing_acts(cmds: &[Command]) {
    assert!(
        cmds.iter().all(|c| matches!(c, Command::ArmToast(_))),
        "{cmds:?}"
    );
}

#[test]
fn on_production_the_name_must_be_typed() {
    let mut app = production();
    app.send(ch('d'));
    assert!(app.send(ch('y')).is_empty(), "y alone is not enough");
    app.send(press(KeyCode::Backspace));
    app.keys("Flow 1");
    let cmds = app.send(press(KeyCode::Enter));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Delete { id: FlowId(1), .. })),
        "{cmds:?}"
    );
}

#[test]
fn on_production_a_wrong_name_keeps_the_dialog_open_with_the_reason() {
    let mut app = production();
    app.send(ch('d'));
    app.keys("Flow");
    nothing_acts(&app.send(press(KeyCode::Enter)));
    assert_eq!(
        refusal(&app),
        Some("the name does not match: type Flow 1 exactly, or Esc")
    );
    // Table keys typed on without reading land in the name, not on the table.
    for key in [ch(' '), ch('j'), ch('d'), ch('y'), press(KeyCode::Down)] {
        nothing_acts(&app.send(key));
    }
    assert_eq!(typed(&app), "Flow jdy");
    assert_eq!(refusal(&app), None, "typing clears the reason");
    assert_eq!(app.selected(), Some(1));
    assert!(app.state.toggling.is_empty());
    nothing_acts(&app.send(press(KeyCode::Enter)));
    assert!(refusal(&app).is_some());

    // Esc is the way out, and it deletes nothing.
    nothing_acts(&app.send(press(KeyCode::Esc)));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.toast(), "not deleted");
    assert_eq!(app.ids(), vec![1, 2]);
}

#[test]
fn on_production_the_name_can_be_pasted() {
    let mut app = production();
    app.send(ch('d'));
    app.send(Msg::Paste("Flow 1".to_owned()));
    let cmds = app.send(press(KeyCode::Enter));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Delete { id: FlowId(1), .. })),
        "{cmds:?}"
    );
}

#[test]
fn the_delete_question_ignores_other_keys_and_says_what_it_takes() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(ch('d'));
    for key in [ch(' '), ch('j'), ch('d'), ch('e'), press(KeyCode::Down)] {
        nothing_acts(&app.send(key));
    }
    assert_eq!(refusal(&app), Some("y deletes the flow; n or Esc keeps it"));
    assert_eq!(app.selected(), Some(1));
    assert!(app.state.toggling.is_empty());
    // Enter takes the default answer, N.
    nothing_acts(&app.send(press(KeyCode::Enter)));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.toast(), "not deleted");
    app.send(ch('d'));
    app.send(press(KeyCode::Esc));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.ids(), vec![1, 2]);
}

// ---- filter and sort ------------------------------------------------------------------------

fn named() -> Vec<Flow> {
    let mut v = vec![
        flow(1, "Welcome series"),
        flow(2, "Win-back"),
        flow(3, "Survey"),
        flow(4, "welcome back"),
    ];
    v[2].sent = Some(5000);
    v
}

#[test]
fn filter_narrows_enter_keeps_it_and_esc_clears_it() {
    let mut app = App::loaded(named(), 4);
    app.send(ch('/'));
    assert!(matches!(app.state.mode, Mode::Filter));
    app.keys("WELC");
    assert_eq!(app.ids(), vec![1, 4], "name, ignoring case");
    app.send(press(KeyCode::Enter));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.ids(), vec![1, 4]);
    // Keys act on the list again, within the filtered rows.
    app.send(ch('j'));
    assert_eq!(app.selected(), Some(4));

    // `/` shows the filter again; Esc clears it.
    app.send(ch('/'));
    assert_eq!(app.state.filter.input.value(), "welc");
    app.send(press(KeyCode::Esc));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert!(!app.state.filter.is_active());
    assert_eq!(app.ids(), vec![1, 2, 3, 4]);
    assert_eq!(app.selected(), Some(4), "the selection stays on its flow");
}

#[test]
fn the_filter_line_takes_table_keys_as_text() {
    let mut app = App::loaded(named(), 4);
    app.send(ch('/'));
    for key in [ch(' '), ch('j'), ch('d'), ch('y'), press(KeyCode::Down)] {
        nothing_acts(&app.send(key));
    }
    assert!(matches!(app.state.mode, Mode::Filter));
    assert_eq!(app.state.filter.input.value(), " jdy");
    assert_eq!(app.selected(), None, "nothing matches");
    assert!(app.state.toggling.is_empty());
}

#[test]
fn filter_matches_content_too_and_esc_while_typing_clears() {
    let mut app = App::loaded(named(), 4);
    app.send(ch('/'));
    app.keys("from surv");
    assert_eq!(app.ids(), vec![3]);
    app.send(press(KeyCode::Esc));
    assert_eq!(app.ids(), vec![1, 2, 3, 4]);
    app.send(ch('/'));
    app.keys("nothing like it");
    assert!(app.ids().is_empty());
    assert_eq!(app.selected(), None);
}

#[test]
fn s_cycles_the_sort_columns_and_capital_s_reverses() {
    let mut app = App::loaded(named(), 4);
    assert_eq!(app.toast(), "");
    app.send(ch('S'));
    assert_eq!(
        app.toast(),
        "the server's order has no reverse: choose a column with s"
    );

    app.send(ch('s'));
    assert_eq!(app.state.sort.key, Some(SortKey::Id));
    assert_eq!(app.ids(), vec![1, 2, 3, 4]);
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, Some(SortKey::Name));
    assert_eq!(app.ids(), vec![3, 4, 1, 2]);
    app.send(ch('S'));
    assert_eq!(app.ids(), vec![2, 1, 4, 3]);
    app.send(ch('s')); // wait: all equal, server order kept
    assert_eq!(app.state.sort.key, Some(SortKey::Wait));
    assert_eq!(app.ids(), vec![1, 2, 3, 4]);
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, Some(SortKey::Sent));
    assert_eq!(app.ids(), vec![3, 4, 2, 1], "counters start biggest first");
    assert_eq!(app.state.sort.label(), "sent ↓");
    assert_eq!(app.selected(), Some(1), "the selection stays on its flow");

    // At 160 columns the table also shows failed% and rate: `s` goes through those too.
    for key in [
        SortKey::Pending,
        SortKey::Failed,
        SortKey::FailedPct,
        SortKey::Rate,
        SortKey::LastSent,
    ] {
        app.send(ch('s'));
        assert_eq!(app.state.sort.key, Some(key));
    }
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, None, "back to the server's order");
    assert_eq!(app.ids(), vec![1, 2, 3, 4]);
}

// ---- help and quit --------------------------------------------------------------------------

#[test]
fn help_closes_with_q_esc_or_question_mark_and_keeps_other_keys_from_the_table() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(ch('?'));
    assert!(matches!(app.state.mode, Mode::Help { .. }));
    for key in [ch('j'), ch(' '), ch('d'), press(KeyCode::Enter)] {
        nothing_acts(&app.send(key));
    }
    assert!(
        matches!(app.state.mode, Mode::Help { .. }),
        "other keys leave it up"
    );
    assert_eq!(app.selected(), Some(1));
    assert!(app.state.toggling.is_empty());
    app.send(ch('q'));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert!(!app.state.quit, "q closes the help only");
    app.send(ch('?'));
    app.send(press(KeyCode::Esc));
    assert!(matches!(app.state.mode, Mode::Browse));
    app.send(ch('?'));
    app.send(ch('?'));
    assert!(matches!(app.state.mode, Mode::Browse));
    app.send(ch('?'));
    app.send(ctrl('c'));
    assert!(app.state.quit);
}

// ---- a screen too small ---------------------------------------------------------------------

#[test]
fn a_screen_too_small_takes_no_key_but_quit() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    app.send(Msg::Resize(79, 24));
    for key in [
        ch(' '),
        ch('j'),
        ch('d'),
        ch('e'),
        ch('/'),
        press(KeyCode::Enter),
    ] {
        nothing_acts(&app.send(key));
    }
    app.send(Msg::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::ScrollDown,
        column: 10,
        row: 6,
        modifiers: KeyModifiers::NONE,
    }));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.selected(), Some(1));
    assert!(app.state.toggling.is_empty());

    // A form open when the terminal shrank takes no text it cannot show.
    app.send(Msg::Resize(160, 48));
    app.send(ch('e'));
    app.send(Msg::Resize(80, 23));
    app.keys("xyz");
    app.send(Msg::Paste("pasted".to_owned()));
    assert_eq!(app.form().name.value(), "Flow 1");
    app.send(Msg::Resize(80, 24));
    app.keys("!");
    assert_eq!(app.form().name.value(), "Flow 1!");
    app.send(press(KeyCode::Esc));
    app.send(ch('y'));

    app.send(Msg::Resize(120, 20));
    app.send(ch('q'));
    assert!(app.state.quit, "q still quits");
}

// ---- a save still running when the form closes ----------------------------------------------

#[test]
fn esc_while_saving_can_discard_and_the_result_is_still_reported() {
    let mut app = App::loaded(flows(&[1]), 1);
    let req = new_flow_saving(&mut app);
    app.send(press(KeyCode::Esc));
    assert!(app.form().confirm_discard);
    app.send(ch('y'));
    assert!(
        matches!(app.state.mode, Mode::Browse),
        "y answers the question"
    );

    // The create was sent before the form closed: its failure must not vanish.
    app.send(Msg::Saved {
        req,
        result: Err(ApiError::Timeout { secs: 20 }),
    });
    assert_eq!(
        app.last_error(),
        "not saved: no answer within 20 s (timed out)"
    );
}

#[test]
fn esc_while_saving_then_no_keeps_the_form_saving() {
    let mut app = App::loaded(flows(&[1]), 1);
    let req = new_flow_saving(&mut app);
    app.send(press(KeyCode::Esc));
    app.send(ch('n'));
    let f = app.form();
    assert!(!f.confirm_discard);
    assert_eq!(f.saving, Some(req));
    assert_eq!(
        f.name.value(),
        "Welcome",
        "n answered the question, typed nothing"
    );
}

#[test]
fn a_save_answered_after_the_form_closed_leaves_the_open_dialog_alone() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    // An unchanged edit closes on Esc even while its save runs.
    app.send(ch('e'));
    let cmds = app.send(ctrl('s'));
    let [Command::Update { req, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let req = *req;
    app.send(press(KeyCode::Esc));
    assert!(matches!(app.state.mode, Mode::Browse));
    app.send(ch('d'));
    assert!(matches!(app.state.mode, Mode::ConfirmDelete { .. }));

    let mut theirs = flow(1, "Renamed elsewhere");
    theirs.last_changed = Some(ago(5));
    app.send(Msg::Saved {
        req,
        result: Ok(SaveResult::Updated(UpdateOutcome::Conflict(Conflict {
            theirs,
            changes: Vec::new(),
        }))),
    });
    assert!(
        matches!(app.state.mode, Mode::ConfirmDelete { .. }),
        "the delete question is still up"
    );
    assert_eq!(
        app.last_error(),
        "flow 1 not saved: it changed on the server (now \"Renamed elsewhere\")"
    );
}

#[test]
fn a_discarded_save_is_reported_even_after_a_newer_save_started() {
    let mut app = App::loaded(flows(&[1]), 1);
    let first = new_flow_saving(&mut app);
    app.send(press(KeyCode::Esc));
    app.send(ch('y'));
    let second = new_flow_saving(&mut app);
    assert_ne!(first, second);

    let cmds = app.send(Msg::Saved {
        req: first,
        result: Ok(SaveResult::Created(flowdash::api::Created {
            flow: flow(2, "Welcome"),
            device_dropped: false,
            after_timeout: false,
            off_after: None,
        })),
    });
    assert_eq!(app.toast(), "created flow 2");
    assert!(load_page(&cmds).is_some(), "the list shows the new flow");
    assert_eq!(
        app.form().saving,
        Some(second),
        "the newer form still waits"
    );
}

fn load_all(cmds: &[Command]) -> Option<(ReqId, Priority)> {
    cmds.iter().find_map(|c| match c {
        Command::LoadAll { req, priority } => Some((*req, *priority)),
        _ => None,
    })
}

#[test]
fn every_flow_loaded_stays_live_when_one_request_holds_them() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 40);
    let cmds = app.keys("A");
    let (req, priority) = load_all(&cmds).expect("A asks for every page");
    assert_eq!(priority, Priority::Operator);
    let cmds = app.send(Msg::AllLoaded {
        req,
        result: Ok((flows(&(1..=40).collect::<Vec<_>>()), ServerKind::Documented)),
        steady: true,
    });
    assert!(app.state.all_loaded);
    assert_eq!(app.toast(), "loaded all 40 flows");
    assert!(cmds.contains(&Command::SchedulePoll), "{cmds:?}");

    // The live refresh reloads them all, as a poll, and says nothing when it lands.
    let cmds = app.send(Msg::PollDue);
    let (req, priority) = load_all(&cmds).expect("a poll of every flow");
    assert_eq!(priority, Priority::Poll);
    assert!(load_page(&cmds).is_none());
    app.send(Msg::ToastExpired(
        app.state.toast.as_ref().map_or(0, |t| t.seq),
    ));
    let cmds = app.send(Msg::AllLoaded {
        req,
        result: Ok((flows(&(1..=41).collect::<Vec<_>>()), ServerKind::Documented)),
        steady: true,
    });
    assert_eq!(app.toast(), "", "a poll is silent");
    assert_eq!(app.state.flows.len(), 41);
    assert!(cmds.contains(&Command::SchedulePoll));
}

#[test]
fn every_flow_loaded_from_a_list_that_kept_changing_does_not_claim_all() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 40);
    let cmds = app.keys("A");
    let (req, _) = load_all(&cmds).expect("A asks for every page");
    app.send(Msg::AllLoaded {
        req,
        result: Ok((flows(&(1..=38).collect::<Vec<_>>()), ServerKind::Documented)),
        steady: false,
    });
    assert_eq!(app.state.flows.len(), 38);
    assert_ne!(app.toast(), "loaded all 38 flows");
    assert_eq!(
        app.last_error(),
        "the list changed while it was read: 38 flows loaded, some may be missing"
    );
}

#[test]
fn more_than_a_thousand_flows_loaded_poll_the_pages_of_the_rows_on_screen_in_turn() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 2500);
    let cmds = app.keys("A");
    let (req, _) = load_all(&cmds).expect("A asks for every page");
    let cmds = app.send(Msg::AllLoaded {
        req,
        result: Ok((
            flows(&(1..=2500).collect::<Vec<_>>()),
            ServerKind::Documented,
        )),
        steady: true,
    });
    assert!(cmds.contains(&Command::SchedulePoll), "live updates go on");

    // The top rows are in the first 1000: that page, and only it, is read.
    let chunk = |cmds: &[Command]| {
        cmds.iter().find_map(|c| match c {
            Command::LoadChunk { req, page } => Some((*req, *page)),
            _ => None,
        })
    };
    let cmds = app.send(Msg::PollDue);
    let (req, page) = chunk(&cmds).expect("a poll of one 1000-page");
    assert_eq!(page, 1);
    assert!(load_all(&cmds).is_none() && load_page(&cmds).is_none());
    let mut fresh = flows(&(1..=1000).collect::<Vec<_>>());
    fresh[0].sent = Some(150);
    let later = NOW + SignedDuration::from_secs(5);
    app.send(Msg::Tick {
        now: later,
        budget: None,
        poll_every: None,
    });
    let cmds = app.send(Msg::ChunkLoaded {
        req,
        page,
        result: Ok(Page {
            items: fresh,
            page: 1,
            per_page: 1000,
            total: Some(2500),
            total_pages: Some(3),
        }),
    });
    assert!(cmds.contains(&Command::SchedulePoll));
    assert_eq!(app.row(1).sent, Some(150), "the row took the new reading");
    assert_eq!(app.state.deltas[&app.row(1).row_key()].amount, 50);
    assert_eq!(app.state.flows.len(), 2500, "the other rows stay");
    assert_eq!(app.state.row_read_at(0), Some(later));
    assert_eq!(app.state.row_read_at(2400), Some(NOW));

    // At the end of the list, rows 2500 and before: the third 1000-page, then the third again.
    app.send(ch('G'));
    let (_, page) = chunk(&app.send(Msg::PollDue)).expect("a poll");
    assert_eq!(page, 3);
}

/// The shipped build: three flows on two devices, listed with their device ids.
fn shipped_rows(sent: [i64; 3]) -> Vec<Flow> {
    let mut rows = vec![flow(3, "Welcome"), flow(3, "Win-back"), flow(7, "Survey")];
    for (f, s) in rows.iter_mut().zip(sent) {
        f.content = None;
        f.device_id = None;
        f.sent = Some(s);
    }
    rows[0].blocked = Some(RowBlock::RepeatedId);
    rows[1].blocked = Some(RowBlock::RepeatedId);
    rows[1].created = Some(ago(5 * 86_400));
    rows
}

#[test]
fn rows_sharing_an_id_keep_their_own_selection_and_counters() {
    let mut app = App::starting(Context::default());
    let cmds = app.pending.clone();
    app.answer(&cmds, shipped_rows([100, 500, 7]), 3, ServerKind::Shipped);
    app.keys("j");
    assert_eq!(app.state.selected_flow().unwrap().name, "Win-back");

    // A refresh in the same order: the selection stays on the second row, not the first of id 3.
    let cmds = app.send(Msg::PollDue);
    app.answer(&cmds, shipped_rows([104, 530, 7]), 3, ServerKind::Shipped);
    assert_eq!(app.state.selected_flow().unwrap().name, "Win-back");
    assert_eq!(app.state.cursor, 1);

    // Each row's change is its own, not computed against its namesake.
    let amounts: Vec<Option<i64>> = app
        .state
        .flows
        .iter()
        .map(|f| app.state.deltas.get(&f.row_key()).map(|d| d.amount))
        .collect();
    assert_eq!(amounts, vec![Some(4), Some(30), None]);
}

// ---- the screen tells the truth ----------------------------------------------------------------

#[test]
fn a_page_change_selects_the_first_row_of_the_new_page() {
    let mut app = App::loaded(flows(&[1, 2, 3]), 60);
    app.keys("jj");
    assert_eq!(app.selected(), Some(3));
    for key in [']', '[', '+'] {
        let cmds = app.send(ch(key));
        app.keys("");
        let base = if key == ']' { 26 } else { 1 };
        app.answer(
            &cmds,
            flows(&[base, base + 1, base + 2]),
            60,
            ServerKind::Documented,
        );
        assert_eq!(app.state.cursor, 0, "after {key}");
        assert_eq!(app.selected(), Some(base), "after {key}");
        app.keys("jj");
    }
    // A refresh of the same page keeps the selection on its flow.
    let cmds = app.send(ch('r'));
    app.answer(&cmds, flows(&[1, 2, 3]), 60, ServerKind::Documented);
    assert_eq!(app.selected(), Some(3));
}

#[test]
fn the_first_load_of_a_sparse_list_reads_the_selected_flows_detail() {
    let mut app = App::starting(Context::default());
    let cmds = app.pending.clone();
    let mut items = flows(&[1, 2]);
    for f in &mut items {
        f.content = None;
        f.device_id = None;
    }
    let out = app.answer(&cmds, items, 2, ServerKind::SparseList);
    assert!(
        out.contains(&Command::ArmDetail(FlowId(1))),
        "the detail of flow 1 is asked for: {out:?}"
    );
    // Once it rests, flow 1 is read.
    let out = app.send(Msg::DetailDue(FlowId(1)));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::LoadDetail { id, .. } if *id == FlowId(1))),
        "{out:?}"
    );
}

#[test]
fn h_and_l_page_and_ctrl_d_u_move_half_a_screen() {
    let mut app = App::loaded(flows(&(1..=25).collect::<Vec<_>>()), 60);
    let rows = app.state.visible_rows;
    assert!(rows >= 10, "{rows}");
    app.send(ctrl('d'));
    assert_eq!(app.state.cursor, rows / 2);
    app.send(ctrl('d'));
    assert_eq!(app.state.cursor, (2 * (rows / 2)).min(24));
    app.send(ctrl('u'));
    app.send(ctrl('u'));
    assert_eq!(app.state.cursor, 0);

    let cmds = app.send(ch('l'));
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(2));
    app.answer(&cmds, flows(&[26, 27]), 60, ServerKind::Documented);
    let cmds = app.send(ch('h'));
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(1));
}

#[test]
fn a_click_in_the_detail_pane_selects_no_row() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = App::loaded(flows(&[1, 2, 3, 4, 5]), 5);
    app.keys("M");
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // At 160 columns the detail pane takes the right 57; row 6 is the table's third row.
    app.send(click(150, 6));
    assert_eq!(app.selected(), Some(1));
    app.send(click(20, 6));
    assert_eq!(app.selected(), Some(3));
}

/// `s` goes through the columns the profile chose, in its order, and sorts by each: here by
/// the device's name.
#[test]
fn s_sorts_by_each_chosen_column() {
    use flowdash::app::columns::Column;
    let mut v = named();
    v[0].device_id = Some(0); // none
    v[1].device_id = Some(9); // #9, unknown to the account
    let mut app = App::loaded(v, 4);
    app.state.columns = Some(vec![Column::Device, Column::Name]);
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, Some(SortKey::Id), "id is always shown");
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, Some(SortKey::Device));
    assert_eq!(app.state.sort.label(), "device ↑");
    assert_eq!(
        app.ids(),
        vec![2, 3, 4, 1],
        "#9, Front desk phone (twice), none"
    );
    app.send(ch('S'));
    assert_eq!(app.ids(), vec![1, 3, 4, 2]);
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, Some(SortKey::Name));
    app.send(ch('s'));
    assert_eq!(app.state.sort.key, None, "wait, sent, ... are not shown");
}

fn created(app: &mut App, id: u64) -> Vec<Command> {
    let req = new_flow_saving(app);
    app.send(Msg::Saved {
        req,
        result: Ok(SaveResult::Created(flowdash::api::Created {
            flow: flow(id, "New"),
            device_dropped: false,
            after_timeout: false,
            off_after: None,
        })),
    })
}

#[test]
fn a_created_flow_is_selected_on_the_last_page_when_ids_rise() {
    // Page 1 of 2 (40 flows), oldest first: the new flow 41 is on page 2.
    let mut app = App::loaded(flows(&(1..=25).collect::<Vec<_>>()), 40);
    let cmds = created(&mut app, 41);
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(2));
    app.answer(
        &cmds,
        flows(&(26..=41).collect::<Vec<_>>()),
        41,
        ServerKind::Documented,
    );
    assert_eq!(app.state.page, 2);
    assert_eq!(app.selected(), Some(41));
    assert_eq!(app.state.view[app.state.cursor], 15);
}

#[test]
fn a_created_flow_is_selected_on_page_one_when_ids_fall() {
    let mut app = App::loaded(flows(&(16..=40).rev().collect::<Vec<_>>()), 40);
    let cmds = app.send(ch(']'));
    app.answer(
        &cmds,
        flows(&(1..=15).rev().collect::<Vec<_>>()),
        40,
        ServerKind::Documented,
    );
    let cmds = created(&mut app, 41);
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(1));
    app.answer(
        &cmds,
        flows(&(17..=41).rev().collect::<Vec<_>>()),
        41,
        ServerKind::Documented,
    );
    assert_eq!((app.state.page, app.selected()), (1, Some(41)));
}

#[test]
fn a_created_flow_in_no_known_order_is_looked_for_on_the_first_and_last_pages() {
    let mut names: Vec<Flow> = flows(&[5, 2, 9, 1]);
    names.sort_by(|a, b| a.name.cmp(&b.name));
    let mut app = App::loaded(names, 60);
    let cmds = app.send(ch(']'));
    app.answer(&cmds, flows(&[7, 3, 8]), 60, ServerKind::Documented);
    let cmds = created(&mut app, 61);
    // The page on screen first, then page 1, then the last.
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(2));
    let cmds = app.answer(&cmds, flows(&[7, 3, 8]), 61, ServerKind::Documented);
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(1));
    let cmds = app.answer(&cmds, flows(&[5, 2]), 61, ServerKind::Documented);
    assert_eq!(load_page(&cmds).map(|(_, page, _)| page), Some(3));
    let cmds = app.answer(&cmds, flows(&[10, 61, 4]), 61, ServerKind::Documented);
    assert!(load_page(&cmds).is_none());
    assert_eq!((app.state.page, app.selected()), (3, Some(61)));
}

// ---- history (H) and the detail pane's chart -------------------------------------------------

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a time")
}

/// The `LoadHistory` questions among `cmds`.
fn history_asks(cmds: &[Command]) -> Vec<(ReqId, HistoryAsk)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::LoadHistory { req, ask } => Some((*req, (**ask).clone())),
            _ => None,
        })
        .collect()
}

fn view(app: &App) -> &HistoryView {
    match &app.state.mode {
        Mode::History(v) => v,
        other => panic!("expected the history view, got {other:?}"),
    }
}

/// Three flows loaded, history kept.
fn with_history() -> App {
    let mut app = App::loaded(flows(&[1, 2, 3]), 3);
    app.state.stored.on = true;
    app
}

/// An answer with one interval in each of the last `n` slots of the 24-hour range.
fn answer_day(app: &mut App, req: ReqId, n: usize) {
    let tz = jiff::tz::TimeZone::UTC;
    let bounds = slot_bounds(Every::Minutes(30), 48, NOW, &tz);
    let intervals = bounds[48 - n..]
        .iter()
        .enumerate()
        .map(|(i, (start, _))| Interval {
            start: *start,
            sent: 10 + i as i64,
            failed: 1,
            pending: Some(3),
            readings: 3,
        })
        .collect();
    app.send(Msg::HistoryLoaded {
        req,
        result: Ok(HistoryData {
            intervals,
            comparison: None,
            recording_since: Some(ago(86_400 * 5)),
        }),
    });
}

#[test]
fn h_opens_the_flows_history_on_24_hours_and_1_to_4_choose_the_range() {
    let mut app = with_history();
    app.send(ch('j'));
    let asks = history_asks(&app.send(ch('H')));
    assert_eq!(asks.len(), 1, "{asks:?}");
    let (_, ask) = &asks[0];
    assert_eq!(ask.flow, FlowKey::Id(2), "the selected flow, by id");
    assert_eq!(ask.user_id, Some(1));
    assert_eq!(
        (ask.every, ask.to, ask.compare),
        (Every::Minutes(30), NOW, false)
    );
    // 48 half hours up to now (22:40): from 23:00 the day before.
    assert_eq!(ask.from, at("2025-10-19T23:00:00Z"));
    assert_eq!(view(&app).range, HistoryRange::Day);
    for (key, range, every, from) in [
        (
            '1',
            HistoryRange::Hour,
            Every::Minutes(1),
            "2025-10-20T21:41:00Z",
        ),
        (
            '3',
            HistoryRange::Week,
            Every::Hours(3),
            "2025-10-14T00:00:00Z",
        ),
        (
            '4',
            HistoryRange::Month,
            Every::Hours(12),
            "2025-09-21T00:00:00Z",
        ),
        (
            '2',
            HistoryRange::Day,
            Every::Minutes(30),
            "2025-10-19T23:00:00Z",
        ),
    ] {
        let asks = history_asks(&app.send(ch(key)));
        assert_eq!(asks.len(), 1, "{key}: {asks:?}");
        assert_eq!(
            (asks[0].1.every, asks[0].1.from),
            (every, at(from)),
            "{key}"
        );
        assert_eq!(asks[0].1.flow, FlowKey::Id(2));
        assert_eq!(view(&app).range, range);
    }
    // The range shown already: nothing to read.
    assert!(app.send(ch('2')).is_empty());
}

#[test]
fn an_answer_for_a_range_no_longer_shown_is_dropped() {
    let mut app = with_history();
    let (day, _) = history_asks(&app.send(ch('H')))[0].clone();
    let asks = history_asks(&app.send(ch('4')));
    assert_ne!(asks[0].0, day);
    // The 24 h answer, late: the view waits for the month's.
    answer_day(&mut app, day, 5);
    assert!(view(&app).chart.is_none());
    assert_eq!(view(&app).range, HistoryRange::Month);
}

#[test]
fn the_cursor_moves_over_the_slots_and_reads_the_one_under_it() {
    let mut app = with_history();
    let (req, _) = history_asks(&app.send(ch('H')))[0].clone();
    answer_day(&mut app, req, 4);
    // It starts on the newest slot, which holds the latest interval.
    assert_eq!(view(&app).cursor_slot(), Some(47));
    app.send(ch('h'));
    app.send(press(KeyCode::Left));
    assert_eq!(view(&app).cursor_slot(), Some(45));
    let slot = |app: &App| {
        let v = view(app);
        let chart = v
            .chart
            .as_ref()
            .expect("answered")
            .as_ref()
            .expect("a chart");
        chart.slots[v.cursor_slot().expect("slots")].clone()
    };
    assert_eq!(slot(&app).start, at("2025-10-20T21:30:00Z"));
    assert_eq!(slot(&app).interval.map(|i| i.sent), Some(11));
    for _ in 0..100 {
        app.send(ch('h'));
    }
    assert_eq!(view(&app).cursor_slot(), Some(0), "it stops at the oldest");
    assert_eq!(slot(&app).interval, None, "no reading that far back");
    app.send(ch('l'));
    assert_eq!(view(&app).cursor_slot(), Some(1));
    app.send(press(KeyCode::End));
    assert_eq!(view(&app).cursor_slot(), Some(47));
    app.send(press(KeyCode::Right));
    assert_eq!(view(&app).cursor_slot(), Some(47), "it stops at the newest");
}

#[test]
fn an_open_view_is_read_again_each_minute_and_the_cursor_keeps_its_time() {
    let mut app = with_history();
    let (req, _) = history_asks(&app.send(ch('H')))[0].clone();
    answer_day(&mut app, req, 4);
    app.send(ch('h'));
    let tick = |now| Msg::Tick {
        now,
        budget: None,
        poll_every: None,
    };
    assert!(history_asks(&app.send(tick(NOW + SignedDuration::from_secs(59)))).is_empty());
    // 22:41 → 23:01: the half hours move on by one.
    let later = NOW + SignedDuration::from_mins(21);
    let asks = history_asks(&app.send(tick(later)));
    assert_eq!(asks.len(), 1, "{asks:?}");
    assert_eq!(asks[0].1.to, later);
    app.send(Msg::HistoryLoaded {
        req: asks[0].0,
        result: Ok(HistoryData {
            intervals: Vec::new(),
            comparison: None,
            recording_since: None,
        }),
    });
    let v = view(&app);
    let chart = v
        .chart
        .as_ref()
        .expect("answered")
        .as_ref()
        .expect("a chart");
    assert_eq!(
        chart.slots[v.cursor_slot().expect("slots")].start,
        at("2025-10-20T22:00:00Z"),
        "still on the slot the operator chose"
    );
}

#[test]
fn keys_typed_while_the_view_loads_go_to_the_view_never_the_table() {
    let mut app = with_history();
    app.send(ch('H'));
    for c in ['j', ' ', 'd', 'e', 'n', 'x', 'r', 'p', 'G', 'A', '/'] {
        let out = app.send(ch(c));
        assert!(
            out.iter().all(|c| !matches!(
                c,
                Command::Toggle { .. }
                    | Command::Delete { .. }
                    | Command::LoadPage { .. }
                    | Command::LoadAll { .. }
            )),
            "{c}: {out:?}"
        );
        assert!(matches!(app.state.mode, Mode::History(_)), "{c}");
    }
    assert_eq!(app.selected(), Some(1));
    assert!(app.state.toggling.is_empty());
    assert!(!app.state.paused);
}

#[test]
fn esc_closes_the_view_and_only_the_view() {
    let mut app = with_history();
    app.send(ch('/'));
    app.keys("Flow 2");
    app.send(press(KeyCode::Enter));
    assert_eq!(app.ids(), vec![2]);
    app.send(ch('H'));
    app.send(press(KeyCode::Esc));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert_eq!(app.ids(), vec![2], "the filter is the next layer");
    app.send(press(KeyCode::Esc));
    assert_eq!(app.ids(), vec![1, 2, 3]);
    // q closes the view, not flowdash; Ctrl-C still quits from it.
    app.send(ch('H'));
    app.send(ch('q'));
    assert!(matches!(app.state.mode, Mode::Browse));
    assert!(!app.state.quit);
    app.send(ch('H'));
    app.send(ctrl('c'));
    assert!(app.state.quit);
}

#[test]
fn with_history_off_the_view_says_so_and_nothing_is_read() {
    let mut app = App::loaded(flows(&[1, 2]), 2);
    let out = app.send(ch('H'));
    assert!(history_asks(&out).is_empty(), "{out:?}");
    assert_eq!(
        view(&app).chart.as_ref().map(|c| c.as_ref().err().cloned()),
        Some(Some(HistoryError::Off))
    );
    assert!(history_asks(&app.send(ch('4'))).is_empty());
    assert_eq!(
        HistoryError::Off.to_string(),
        "history is off (--no-history)"
    );
}

#[test]
fn the_detail_pane_asks_one_question_at_a_time_and_again_after_a_minute() {
    let mut app = with_history();
    let tick = |secs| Msg::Tick {
        now: NOW + SignedDuration::from_secs(secs),
        budget: None,
        poll_every: None,
    };
    let asks = history_asks(&app.send(tick(0)));
    assert_eq!(asks.len(), 1, "{asks:?}");
    let (first, ask) = asks[0].clone();
    assert_eq!(ask.flow, FlowKey::Id(1));
    assert_eq!((ask.every, ask.compare), (Every::Hours(1), true));
    assert_eq!(
        ask.from,
        at("2025-10-19T23:00:00Z"),
        "24 hours, this one last"
    );
    // The selection runs on while the store answers: no question a row.
    let moved: Vec<_> = "jj".chars().flat_map(|c| app.send(ch(c))).collect();
    assert!(history_asks(&moved).is_empty(), "{moved:?}");
    let asks = history_asks(&app.send(Msg::HistoryLoaded {
        req: first,
        result: Err(HistoryError::Unavailable),
    }));
    assert_eq!(asks.len(), 1, "then one for the flow selected now");
    assert_eq!(asks[0].1.flow, FlowKey::Id(3));
    app.send(Msg::HistoryLoaded {
        req: asks[0].0,
        result: Ok(HistoryData {
            intervals: Vec::new(),
            comparison: None,
            recording_since: None,
        }),
    });
    assert!(history_asks(&app.send(tick(59))).is_empty());
    let asks = history_asks(&app.send(tick(60)));
    assert_eq!(asks.len(), 1, "a minute on, read again");
    assert_eq!(asks[0].1.flow, FlowKey::Id(3));
}

#[test]
fn on_the_shipped_build_history_tells_flows_apart_by_creation_time_and_name() {
    let mut app = App::starting(Context::default());
    let cmds = app.pending.clone();
    app.answer(&cmds, flows(&[7, 7]), 2, ServerKind::Shipped);
    app.state.stored.on = true;
    let asks = history_asks(&app.send(ch('H')));
    assert_eq!(
        asks[0].1.flow,
        FlowKey::Created {
            created: Some(ago(10 * 86_400)),
            name: "Flow 7".to_owned()
        }
    );
}

#[test]
fn counters_that_fall_start_a_new_base_and_no_bar_goes_below_zero() {
    let account = Account::parse("https://sms.example.com/api", Some(1)).expect("a URL");
    let store = fixtures::store_with(&account, 1, "Flow 1", NOW, 8);
    let mut app = with_history();
    app.send(ch('H'));
    let cmds = app.send(ch('3'));
    let answer = fixtures::answer_history(&store, &account, &cmds).expect("a question");
    app.send(answer);
    let v = view(&app);
    let chart = v
        .chart
        .as_ref()
        .expect("answered")
        .as_ref()
        .expect("a chart");
    // What the chart shows is every rise of the counters, a fall counting as none and the
    // counting going on from the lower value.
    let readings = fixtures::readings(1, "Flow 1", NOW, 8);
    let from = chart.slots[0].start;
    let rises = |f: fn(&flowdash::store::Reading) -> Option<i64>| -> i64 {
        readings
            .windows(2)
            .filter(|w| w[1].0 > from)
            .map(|w| (f(&w[1].1).unwrap_or(0) - f(&w[0].1).unwrap_or(0)).max(0))
            .sum()
    };
    assert_eq!(chart.totals(), (rises(|r| r.sent), rises(|r| r.failed)));
    let fell = chart
        .slots
        .iter()
        .find(|s| s.start <= ago(72 * 3600) && ago(72 * 3600) < s.end)
        .and_then(|s| s.interval.clone())
        .expect("the slot where the counters fell");
    assert!(fell.sent >= 0 && fell.failed >= 0, "{fell:?}");
    assert!(
        chart
            .slots
            .iter()
            .filter_map(|s| s.interval.as_ref())
            .all(|i| i.sent >= 0 && i.failed >= 0)
    );
}

// ---- offline start (the history's snapshot) -------------------------------------------------

fn saved(ids: &[u64], hours_old: i64) -> Msg {
    Msg::SnapshotRead(Box::new(flowdash::store::SavedList {
        at: ago(hours_old * 3600),
        flows: flows(ids),
        devices: devices(),
        segments: segments(),
        total: Some(60),
    }))
}

fn is_write(c: &Command) -> bool {
    matches!(
        c,
        Command::Toggle { .. }
            | Command::Update { .. }
            | Command::Create { .. }
            | Command::Delete { .. }
    )
}

#[test]
fn an_offline_start_shows_the_snapshot_read_only_until_the_first_answer() {
    let mut app = App::starting(Context::default());
    let first = app.pending.clone();
    app.send(saved(&[1, 2, 3], 3));
    assert_eq!(app.ids(), vec![1, 2, 3]);
    assert_eq!(app.state.total, Some(60));
    assert_eq!(app.state.devices, devices());
    // Browsing works: the selection moves, a filter narrows the rows.
    app.send(ch('j'));
    assert_eq!(app.selected(), Some(2));
    // Every write is refused before the server has answered, and says why.
    for key in [' ', 'e', 'd', 'n'] {
        let cmds = app.send(ch(key));
        assert!(!cmds.iter().any(is_write), "{key}: {cmds:?}");
        assert!(matches!(app.state.mode, Mode::Browse), "{key}");
        assert!(
            app.toast().starts_with("not connected yet"),
            "{}",
            app.toast()
        );
    }
    // The first answer replaces the rows; its counters are not changes seen live.
    let mut live = flows(&[1, 2, 3]);
    live[0].sent = Some(9999);
    app.answer(&first, live, 60, ServerKind::Documented);
    assert_eq!(app.state.snapshot_at, None);
    assert!(app.state.deltas.is_empty(), "{:?}", app.state.deltas);
    assert_eq!(app.row(1).sent, Some(9999));
    let cmds = app.send(ch(' '));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Toggle { id, .. } if id.0 == 2)),
        "{cmds:?}"
    );
}

#[test]
fn with_the_server_unreachable_every_write_is_refused_with_not_connected() {
    let mut app = App::starting(Context::default());
    let first = app.pending.clone();
    app.send(saved(&[1, 2], 26));
    let (req, _, _) = load_page(&first).expect("a LoadPage");
    app.send(Msg::PageLoaded {
        req,
        result: Err(ApiError::Network {
            detail: "connection refused".to_owned(),
        }),
    });
    assert_eq!(app.ids(), vec![1, 2], "the snapshot stays on screen");
    for key in [' ', 'e', 'd', 'n'] {
        let cmds = app.send(ch(key));
        assert!(!cmds.iter().any(is_write), "{key}: {cmds:?}");
        assert!(
            app.last_error()
                .starts_with("not connected: the server cannot be reached"),
            "{}",
            app.last_error()
        );
    }
}

#[test]
fn a_snapshot_read_after_the_first_answer_is_not_shown() {
    let mut app = App::loaded(flows(&[7, 8]), 2);
    app.send(saved(&[1, 2, 3], 3));
    assert_eq!(app.ids(), vec![7, 8]);
    assert_eq!(app.state.snapshot_at, None);
}

#[test]
fn y_sends_the_selected_flows_id_through_osc52_and_says_it_was_sent() {
    let mut app = App::loaded(flows(&[7, 42]), 2);
    app.keys("j");
    let cmds = app.keys("y");
    let osc = "\x1b]52;c;NDI=\x07"; // base64 of "42"
    assert!(cmds.contains(&Command::Emit(osc.to_owned())), "{cmds:?}");
    assert_eq!(app.toast(), "id 42: sent to the terminal's clipboard");
    assert!(matches!(app.state.mode, Mode::Browse));
}

#[test]
#[expect(non_snake_case, reason = "the key is a capital Y")]
fn Y_copies_the_flow_as_the_apis_json_with_cleaned_text_and_shows_it_to_select() {
    use base64::Engine as _;
    let mut hostile = flow(42, "Promo\u{1b}]0;owned\u{7}");
    hostile.content = Some("Hi\u{1b}[2J there".to_owned());
    let mut app = App::loaded(vec![flow(7, "Flow 7"), hostile], 2);
    app.keys("j");
    let cmds = app.keys("Y");
    let Some(Command::Emit(osc)) = cmds.iter().find(|c| matches!(c, Command::Emit(_))) else {
        panic!("no copy: {cmds:?}");
    };
    let b64 = osc
        .strip_prefix("\x1b]52;c;")
        .and_then(|s| s.strip_suffix('\x07'))
        .expect("an OSC 52 sequence");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(json["id"], 42);
    assert_eq!(json["is_enabled"], 1);
    assert_eq!(json["total_sent_sms"], 4200);
    assert_eq!(json["wait_time_type"], "days");
    let name = json["name"].as_str().expect("a name");
    let content = json["content"].as_str().expect("a content");
    assert!(
        name.starts_with("Promo") && content.ends_with("there"),
        "{json}"
    );
    for text in [name, content] {
        assert!(!text.contains(['\u{1b}', '\u{7}']), "{json}");
    }
    let text = String::from_utf8(bytes).expect("text");
    assert_eq!(
        app.toast(),
        "flow 42 as JSON: sent to the terminal's clipboard"
    );
    let Mode::Copied { text: shown, .. } = &app.state.mode else {
        panic!("the text is shown to select by hand: {:?}", app.state.mode);
    };
    assert_eq!(shown, &text);
    // q closes it and nothing reached the table.
    let cmds = app.keys("q");
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(matches!(app.state.mode, Mode::Browse));
}
