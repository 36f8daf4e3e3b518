use std::process::Command;

use crate::helpers::TestDatabase;

fn appealdesk(database: &TestDatabase, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(args)
        .env("DATABASE_URL", database.env_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run appealdesk")
}

fn due(database: &TestDatabase, from: &str, days: &str) -> String {
    let out = appealdesk(
        database,
        &["calendar", "due", "--from", from, "--working-days", days],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn calendar_due_counts_official_working_days() {
    let database = TestDatabase::fresh();
    assert_eq!(due(&database, "2026-09-30 10:00:00", "3"), "2026-10-10");
    assert_eq!(due(&database, "2026-09-30 10:00:00", "7"), "2026-10-15");
    assert_eq!(due(&database, "2026-02-13 16:20:00", "3"), "2026-02-25");
    // New Year 2026: 1–3 January off, Sunday 4 January a make-up working day.
    assert_eq!(due(&database, "2025-12-31 23:59:59", "1"), "2026-01-04");
    // A Friday evening in a plain week.
    assert_eq!(due(&database, "2026-11-27 22:00:00", "3"), "2026-12-02");
}

#[test]
fn calendar_due_counts_the_statutory_holidays_of_a_year_without_an_arrangement() {
    let database = TestDatabase::fresh();
    let out = appealdesk(
        &database,
        &[
            "calendar",
            "due",
            "--from",
            "2026-12-31 10:00:00",
            "--working-days",
            "1",
        ],
    );
    assert!(out.status.success());
    // Friday 1 January 2027 is New Year's Day by law, though 2027 is not loaded.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-04");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2027 is provisional"), "{stderr}");
    // A date within the loaded years says nothing of the kind.
    let out = appealdesk(
        &database,
        &[
            "calendar",
            "due",
            "--from",
            "2026-09-30 10:00:00",
            "--working-days",
            "3",
        ],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("provisional"));
}

#[test]
fn calendar_due_refuses_a_time_without_seconds() {
    let database = TestDatabase::fresh();
    let out = appealdesk(
        &database,
        &[
            "calendar",
            "due",
            "--from",
            "2026-09-30 10:00",
            "--working-days",
            "3",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD HH:MM:SS"));
}

#[test]
fn migrate_applies_and_an_unreadable_database_url_is_a_clear_error() {
    let database = TestDatabase::empty();
    let out = appealdesk(&database, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .arg("migrate")
        .env("DATABASE_URL", "mysql://root@localhost/cases")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

pub(crate) fn agent_cli(
    database: &TestDatabase,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .arg("agent")
        .args(args)
        .env("DATABASE_URL", database.env_url())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run appealdesk agent");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn agent_accounts_are_created_listed_and_disabled_from_the_command_line() {
    let database = TestDatabase::fresh();
    let create = [
        "create",
        "--email",
        "Wang@Example.com",
        "--name",
        "Wang Fang",
        "--role",
        "supervisor",
        "--password-stdin",
    ];
    let out = agent_cli(&database, &create, "short\n");
    assert!(!out.status.success(), "a 5-character password is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));
    for guessable in ["password", "password123", "wang@example.com"] {
        let out = agent_cli(&database, &create, &format!("{guessable}\n"));
        assert!(!out.status.success(), "{guessable:?} is refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("too easy to guess"),
            "{guessable:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let out = agent_cli(&database, &create, "a long enough passphrase\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = agent_cli(&database, &create, "a long enough passphrase\n");
    assert!(!again.status.success(), "the same email twice");

    let list = String::from_utf8(agent_cli(&database, &["list"], "").stdout).unwrap();
    assert!(
        list.contains("wang@example.com\tWang Fang\tsupervisor\tactive"),
        "{list}"
    );
    let out = agent_cli(&database, &["disable", "--email", "wang@example.com"], "");
    assert!(out.status.success());
    let list = String::from_utf8(agent_cli(&database, &["list"], "").stdout).unwrap();
    assert!(list.contains("\tdisabled"), "{list}");
    assert!(
        !agent_cli(&database, &["disable", "--email", "nobody@example.com"], "")
            .status
            .success()
    );
}

#[test]
fn agent_create_without_a_terminal_says_to_use_password_stdin() {
    use std::os::unix::process::CommandExt;
    let database = TestDatabase::fresh();
    let mut command = Command::new(env!("CARGO_BIN_EXE_appealdesk"));
    command
        .args([
            "agent",
            "create",
            "--email",
            "li@example.com",
            "--name",
            "Li",
        ])
        .args(["--role", "agent"])
        .env("DATABASE_URL", database.env_url())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    // SAFETY: setsid(2) only, between fork and exec: a new session has no terminal.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        })
    };
    let out = command.output().expect("run appealdesk agent create");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no terminal to ask for the password: pass it with --password-stdin"),
        "{stderr}"
    );
    let list = String::from_utf8(agent_cli(&database, &["list"], "").stdout).unwrap();
    assert!(!list.contains("li@example.com"), "nothing created: {list}");
}
