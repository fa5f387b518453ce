//! The config file and where settings come from, seen through the binary: which server it
//! talks to, what page size it asks for, and what it says on stderr.

use flowdash::sim::SimConfig;

use super::{Home, sim, sim_with};

fn profile(name: &str, url: &str, extra: &str) -> String {
    format!("[profiles.{name}]\nbase_url = \"{url}\"\napi_key = \"demo\"\n{extra}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_then_environment_then_profile_then_default_profile() {
    let a = sim().await;
    let b = sim().await;
    let c = sim().await;
    let home = Home::new();
    home.write_config(
        &format!(
            "default_profile = \"a\"\n{}{}",
            profile("a", &a.base_url(), "page_size = 10"),
            profile("b", &b.base_url(), "page_size = 50"),
        ),
        0o600,
    );
    let count = |s: &flowdash::sim::Sim| s.requests().len();

    // default_profile
    let r = home.run(&["list"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!((count(&a), count(&b)), (1, 0));
    assert!(a.requests()[0].query.contains("results_per_page=10"));

    // the environment chooses another profile; its page size comes with it
    let r = home.run_with(&[("FLOWDASH_PROFILE", "b")], &["list"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!((count(&a), count(&b)), (1, 1));
    assert!(b.requests()[0].query.contains("results_per_page=50"));

    // the flag wins over the environment
    let r = home
        .run_with(&[("FLOWDASH_PROFILE", "b")], &["--profile", "a", "list"])
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!((count(&a), count(&b)), (2, 1));

    // a flag wins over the profile's value
    let r = home.run(&["list", "--per-page", "100"]).await;
    assert!(r.ok, "{r:?}");
    assert!(a.requests()[2].query.contains("results_per_page=100"));

    // the environment's base URL wins over the profile's; the flag over both
    let cu = c.base_url();
    let r = home
        .run_with(&[("FLOWDASH_BASE_URL", &cu)], &["list"])
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!((count(&a), count(&c)), (3, 1));
    let r = home
        .run_with(
            &[("FLOWDASH_BASE_URL", &cu)],
            &["--base-url", &b.base_url(), "list"],
        )
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!((count(&b), count(&c)), (2, 1));

    // an unknown profile is an error that lists the known ones
    let r = home.run(&["--profile", "nope", "list"]).await;
    assert!(!r.ok);
    assert!(
        r.err.starts_with("error: no profile `nope` in "),
        "{}",
        r.err
    );
    assert!(r.err.contains("(profiles: a, b)"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_profiles_refuse_writes() {
    let sim = sim().await;
    let home = Home::new();
    home.write_config(
        &format!(
            "default_profile = \"ro\"\n{}",
            profile("ro", &sim.base_url(), "read_only = true")
        ),
        0o600,
    );
    let r = home.run(&["disable", "1"]).await;
    assert!(r.err.contains("read-only"), "{r:?}");
    assert!(super::writes(&sim).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_command_gives_the_key() {
    let sim = sim_with(SimConfig {
        traffic: false,
        api_key: "k-from-command".to_owned(),
        ..SimConfig::default()
    })
    .await;
    let home = Home::new();
    home.write_config(
        &format!(
            "default_profile = \"p\"\n[profiles.p]\nbase_url = \"{}\"\napi_key_command = \"printf 'k-from-command\\\\nsecond line\\\\n'\"\n",
            sim.base_url()
        ),
        0o644,
    );
    let r = home
        .run_with(&[("RUST_LOG", "debug")], &["list", "--per-page", "10"])
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out.lines().count(), 11);
    assert!(!r.err.contains("warning"), "no key in the file: {}", r.err);
    let log = std::fs::read_to_string(home.log_file()).unwrap();
    assert!(log.contains("connected"), "the log is written: {log}");
    assert!(!log.contains("k-from-command"), "the key is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_api_key_command_shows_its_stderr_not_its_stdout() {
    let home = Home::new();
    home.write_config(
        "default_profile = \"p\"\n[profiles.p]\napi_key_command = \"echo half-a-secret; echo 'sms/prod is not in the password store' >&2; exit 1\"\n",
        0o600,
    );
    let r = home.run(&["list"]).await;
    assert!(!r.ok);
    assert_eq!(
        r.err,
        "error: api_key_command of profile `p` failed (exit status 1): sms/prod is not in the password store\n"
    );
    assert!(!r.err.contains("half-a-secret"));

    // --demo needs no key, so the command is not run at all.
    let r = home.run(&["list", "--demo"]).await;
    assert!(r.ok, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_a_file_others_can_read_is_warned_about() {
    let sim = sim().await;
    let home = Home::new();
    let text = format!(
        "default_profile = \"p\"\n{}",
        profile("p", &sim.base_url(), "")
    );
    let path = home.write_config(&text, 0o644);
    let r = home.run(&["list"]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.err.starts_with(&format!(
            "warning: {} holds an API key and is readable by group or others",
            path.display()
        )),
        "{}",
        r.err
    );

    home.write_config(&text, 0o600);
    let r = home.run(&["list"]).await;
    assert!(r.ok, "{r:?}");
    assert!(!r.err.contains("warning"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_file_names_the_file_and_the_line() {
    let home = Home::new();
    let path = home.write_config(
        "default_profile = \"p\"\n\n[profiles.p]\nbudget = 30\npage_size = \n",
        0o600,
    );
    let r = home.run(&["list", "--demo"]).await;
    assert!(!r.ok);
    assert!(
        r.err
            .starts_with(&format!("error: config file {}, line 5: ", path.display())),
        "{}",
        r.err
    );
    assert_eq!(r.err.lines().count(), 1, "{}", r.err);

    home.write_config("[profiles.p]\nbudgte = 30\n", 0o600);
    let r = home.run(&["list", "--demo"]).await;
    assert!(!r.ok);
    assert!(
        r.err.contains("line 2") && r.err.contains("budgte"),
        "{}",
        r.err
    );

    home.write_config("[profiles.p]\npage_size = 30\n", 0o600);
    let r = home.run(&["--profile", "p", "list", "--demo"]).await;
    assert!(
        r.err.contains("`page_size` of profile `p` is 30"),
        "{}",
        r.err
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_path_follows_xdg_and_the_flag() {
    let home = Home::new();
    let r = home.run(&["config", "path"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.out.trim(),
        home.config_dir()
            .join("flowdash/config.toml")
            .display()
            .to_string()
    );
    let r = home
        .run_with(
            &[("FLOWDASH_CONFIG", "/tmp/elsewhere.toml")],
            &["config", "path"],
        )
        .await;
    assert_eq!(r.out.trim(), "/tmp/elsewhere.toml");
    // A config file named explicitly must exist.
    let r = home
        .run(&["--config", "/nonexistent/flowdash.toml", "list", "--demo"])
        .await;
    assert!(
        r.err
            .starts_with("error: cannot read config file /nonexistent/flowdash.toml"),
        "{}",
        r.err
    );
}
