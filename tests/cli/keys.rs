//! `flowdash config check` and `config init` through the binary: the config's `[keys]` checked,
//! and the commented file written once, never over an existing one.

use super::Home;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_names_a_key_bound_twice_and_an_unknown_action_and_passes_the_defaults() {
    let home = Home::new();
    // No file: the defaults are in force, and they pass.
    let r = home.run(&["config", "check"]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.out.contains("the built-in defaults are in force"),
        "{r:?}"
    );

    // A file naming the defaults' own keys passes too.
    home.write_config("[keys]\ntoggle = [\"space\", \"t\"]\nquit = \"q\"\n", 0o600);
    let r = home.run(&["config", "check"]).await;
    assert!(r.ok, "{r:?}");
    assert!(r.out.ends_with("config.toml: no problems found\n"), "{r:?}");

    home.write_config(
        "[keys]\ntoggle = [\"space\", \"e\"]\nsrot = \"o\"\nrefresh = \"spcae\"\n",
        0o600,
    );
    let r = home.run(&["config", "check"]).await;
    assert!(!r.ok, "{r:?}");
    let lines: Vec<&str> = r.err.lines().collect();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert!(
        lines.contains(&"error: [keys] e is bound to both `toggle` and `edit`: it does `toggle`"),
        "{r:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("error: [keys] `srot` is no action (actions: down up")),
        "{r:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("error: [keys] refresh: `spcae` is no key")),
        "{r:?}"
    );
    assert_eq!(r.out, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_init_writes_a_private_file_once_and_never_over_it() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = Home::new();
    let path = home.config_dir().join("flowdash/config.toml");
    let r = home.run(&["config", "init"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out.trim_end(), path.display().to_string());
    let written = std::fs::read_to_string(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(written.contains("\n[keys]\n") && written.contains("\nbudget = 30\n"));
    // What it wrote is a config flowdash reads without a problem.
    let r = home.run(&["config", "check"]).await;
    assert!(r.ok, "{r:?}");

    // The operator's edits survive a second init, which says why it did nothing.
    std::fs::write(&path, "# mine\n").unwrap();
    let r = home.run(&["config", "init"]).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.err.starts_with("error: ") && r.err.contains("exists already"),
        "{r:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}
