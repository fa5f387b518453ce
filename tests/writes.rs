//! The dashboard's writes in a pseudo-terminal against a demo server that misbehaves after
//! storing: what the operator reads about a write whose answer was lost or that the server stored
//! otherwise, and what the server ends up with.

pub mod support;

use flowdash::sim::{Fault, Sim};
use support::{Tui, eventually};

async fn demo_server() -> Sim {
    support::still_sim("writes-key").await
}

fn start_dashboard(sim: &Sim) -> Tui {
    support::dashboard_on(sim, "writes-key", &[])
}

fn posts(sim: &Sim) -> usize {
    sim.requests().iter().filter(|r| r.method == "POST").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_answered_with_a_500_after_storing_says_it_landed() {
    let sim = demo_server().await;
    assert!(sim.flow(1).unwrap().is_enabled);
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2 (40 flows)");
    sim.push_write_fault(Fault::StoredThen500, 1);
    tui.send(" ");
    tui.wait_text("flow 1 switched off (the answer was a server error 500; it landed)");
    assert!(!sim.flow(1).unwrap().is_enabled);
    assert_eq!(posts(&sim), 1, "the switch was sent once");

    // A 500 before storing: the re-read says it did not land.
    sim.push_write_fault(Fault::Html500, 1);
    tui.send(" ");
    tui.wait_text("did not land: flow 1 is still off");
    assert!(!sim.flow(1).unwrap().is_enabled);
    assert_eq!(posts(&sim), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_the_server_stored_otherwise_is_shown_as_an_error() {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2 (40 flows)");
    // The server answers with the flow still on: no "switched off" toast, an error that says so.
    sim.push_write_fault(Fault::Substitute, 1);
    tui.send(" ");
    let screen = tui.wait_text("the server stored switched on, not switched off");
    assert!(!screen.contains("flow 1 switched off"), "{screen}");
    eventually("the row read again", || {
        (sim.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == "/api/flows")
            .count()
            >= 2)
            .then_some(())
    });
    assert!(sim.flow(1).unwrap().is_enabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_answered_late_says_it_landed() {
    let sim = demo_server().await;
    let mut tui = Tui::start(
        &["--timeout", "1"],
        &[
            ("FLOWDASH_BASE_URL", &sim.base_url()),
            ("FLOWDASH_API_KEY", "writes-key"),
        ],
        120,
        40,
    );
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("e");
    tui.wait_text("Edit flow 1");
    tui.send("\x1b[F"); // End
    tui.type_text(" v2");
    sim.push_write_fault(Fault::LateAnswer(std::time::Duration::from_millis(2500)), 1);
    tui.send("\x13"); // Ctrl-S
    tui.wait_text("saved flow 1 (the answer was late; it landed)");
    let name = sim.flow(1).unwrap().name;
    assert!(name.ends_with(" v2"), "{name}");
    assert_eq!(posts(&sim), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_flow_the_server_stored_otherwise_is_reported_and_the_form_closed() {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2 (40 flows)");
    // The devices are in (the detail names the phone): a form opened before has no device,
    // and → would pick the first one.
    tui.wait_text("device Front desk phone");
    tui.send("n");
    tui.wait_text("New flow");
    tui.type_text("Starts off");
    tui.send("\t");
    tui.type_text("Hello");
    // The next device, the Warehouse Pixel (7), with its SIM (5).
    tui.send("\t");
    tui.send("\x1b[C"); // →
    tui.wait_text("Warehouse Pixel");
    // This server stores its first device and SIM instead.
    sim.push_write_fault(Fault::Substitute, 1);
    tui.send("\x13"); // Ctrl-S
    let screen = tui.wait_text("the server stored device 3, not device 7; SIM 1, not SIM 5");
    assert!(screen.contains("flow 41 was created"), "{screen}");
    assert!(
        !screen.contains("New flow"),
        "the form is closed:\n{screen}"
    );
    assert_eq!(posts(&sim), 1);
    assert_eq!(sim.flow(41).unwrap().name, "Starts off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_the_server_stored_otherwise_says_what_it_stored() {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("e");
    tui.wait_text("Edit flow 1");
    // Back from the name past "enabled" to the segment; the next one is VIP customers (4).
    tui.send("\x1b[Z");
    tui.send("\x1b[Z");
    tui.send("\x1b[C"); // →
    tui.wait_text("VIP customers");
    let lists = |sim: &Sim| {
        sim.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == "/api/flows")
            .count()
    };
    let before = lists(&sim);
    sim.push_write_fault(Fault::Substitute, 1);
    tui.send("\x13"); // Ctrl-S
    // The edit landed: the form closes, and the error says what the server stored instead.
    let screen = tui.wait_text("the server stored segment all, not segment 4");
    assert!(!screen.contains("Edit flow 1"), "{screen}");
    assert!(!screen.contains("not saved"), "{screen}");
    eventually("the rows read again", || {
        (lists(&sim) > before).then_some(())
    });
    assert_eq!(sim.flow(1).unwrap().segment, "all");
    assert_eq!(posts(&sim), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_answered_with_a_500_after_storing_says_it_landed() {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2 (40 flows)");
    sim.push_write_fault(Fault::StoredThen500, 1);
    tui.send("d");
    tui.wait_text("Delete flow 1");
    tui.send("y");
    tui.wait_text("deleted flow 1 (the answer was a server error 500; it landed)");
    assert!(sim.flow(1).is_none());
    let deletes = sim
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1);
}
