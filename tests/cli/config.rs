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

/// The environment of a run that must never leave this machine: were flowdash to fall back to
/// the production URL, the request would go to a closed local port instead.
const NOWHERE: [(&str, &str); 3] = [
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
];

fn nowhere_and(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    NOWHERE.iter().chain(extra).copied().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_base_url_is_an_error_not_production() {
    let home = Home::new();
    let flag = "error: --base-url / FLOWDASH_BASE_URL is empty: give the API's URL, or leave it unset for the default\n";
    for value in ["", "   "] {
        let env = nowhere_and(&[("FLOWDASH_API_KEY", "k-from-env")]);
        let mut with_url = env.clone();
        with_url.push(("FLOWDASH_BASE_URL", value));
        let r = home.run_with(&with_url, &["list"]).await;
        assert!(!r.ok, "{value:?}: {r:?}");
        assert_eq!(r.err, flag, "FLOWDASH_BASE_URL={value:?}");
        let r = home.run_with(&env, &["--base-url", value, "list"]).await;
        assert!(!r.ok, "{value:?}: {r:?}");
        assert_eq!(r.err, flag, "--base-url {value:?}");

        home.write_config(
            &format!("default_profile = \"p\"\n{}", profile("p", value, "")),
            0o600,
        );
        let r = home.run_with(&NOWHERE, &["list"]).await;
        assert!(!r.ok, "{value:?}: {r:?}");
        assert_eq!(
            r.err,
            "error: `base_url` of profile `p` is empty: give the API's URL, or leave it unset for the default\n",
            "base_url = {value:?}"
        );
        std::fs::remove_file(home.config_dir().join("flowdash/config.toml")).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_url_with_a_password_query_or_fragment_is_refused() {
    let sim = sim().await;
    let url = sim.base_url();
    let with_password = url.replacen("http://", "http://operator:pw-Zq81xx@", 1);
    let home = Home::new();
    let setting = "error: --base-url / FLOWDASH_BASE_URL";
    for (bad, why) in [
        (
            with_password.clone(),
            " holds a user name or password (user:password@): flowdash would send those as Basic credentials instead of the key; remove them\n",
        ),
        (
            format!("{url}?account=2"),
            " has a query string (?…): give the API's base URL without one\n",
        ),
        (
            format!("{url}#flows"),
            " has a fragment (#…): give the API's base URL without one\n",
        ),
    ] {
        let r = home
            .run_with(
                &[("FLOWDASH_API_KEY", "demo")],
                &["--base-url", &bad, "list"],
            )
            .await;
        assert!(!r.ok, "{bad}: {r:?}");
        assert_eq!(r.err, format!("{setting}{why}"), "{bad}");
    }
    // In a profile, named as the profile's setting; the password is never printed.
    home.write_config(
        &format!(
            "default_profile = \"p\"\n{}",
            profile("p", &with_password, "")
        ),
        0o600,
    );
    let r = home.run(&["disable", "1"]).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.err
            .starts_with("error: `base_url` of profile `p` holds a user name or password"),
        "{}",
        r.err
    );
    assert!(!r.err.contains("pw-Zq81xx") && !r.out.contains("pw-Zq81xx"));
    assert!(sim.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_above_the_servers_limit_is_warned_about() {
    let sim = sim().await;
    let home = Home::new();
    let r = home.on(&sim, &["--budget", "61", "list"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.err.lines().next(),
        Some(
            "warning: --budget / FLOWDASH_BUDGET is 61 requests a minute, above the 60 the server allows a key: unless this key's plan has no limit, requests will be refused and the phones sharing the key held up"
        ),
        "{}",
        r.err
    );
    let r = home.on(&sim, &["--budget", "60", "list"]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        !r.err.contains("warning"),
        "60 is the server's own limit: {}",
        r.err
    );

    home.write_config(
        &format!(
            "default_profile = \"p\"\n{}",
            profile("p", &sim.base_url(), "budget = 600")
        ),
        0o600,
    );
    let r = home.run(&["list"]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.err
            .starts_with("warning: `budget` of profile `p` is 600 requests a minute, above the 60"),
        "{}",
        r.err
    );
    // A reserve that takes the whole budget stays an error, however large the budget.
    let r = home
        .run(&["--budget", "100", "--reserve", "100", "list"])
        .await;
    assert!(!r.ok);
    assert_eq!(
        r.err,
        "error: the reserve (100) must be less than the budget (100)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_command_that_prints_too_much_is_refused() {
    let sim = sim().await;
    let home = Home::new();
    for command in [
        // 100 000 bytes on one line, then the end: more than a key.
        r"head -c 100000 /dev/zero | tr '\\0' k",
        // Without end: refused as soon as 64 KB are in, well before the time limit.
        "yes k1",
    ] {
        home.write_config(
            &format!(
                "default_profile = \"p\"\n[profiles.p]\nbase_url = \"{}\"\napi_key_command = \"{command}\"\n",
                sim.base_url()
            ),
            0o600,
        );
        let r = home.run(&["list"]).await;
        assert!(!r.ok, "{command}: {r:?}");
        assert_eq!(
            r.err,
            "error: api_key_command of profile `p` printed more than 64 KB: that is not a key\n",
            "{command}"
        );
    }
    assert!(sim.requests().is_empty(), "no key was sent");
}
