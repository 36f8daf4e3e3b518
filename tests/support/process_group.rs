//! Helper processes (chromedriver with its Chromium, nginx with its workers, a throwaway
//! PostgreSQL) run in a process group of their own, so that ending one ends everything it
//! started, and a test can check that nothing of it survives.
//!
//! Shared by the test binaries and the load benchmark with `#[path]`.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Makes the command's process the leader of a new process group (its id is the child's id).
pub fn own_group(command: &mut Command) -> &mut Command {
    command.process_group(0)
}

/// The processes of group `pgid` that still run (zombies, already dead, are not counted).
pub fn members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut fields = rest.split_whitespace();
            let state = fields.next();
            let pgrp = fields.nth(1).and_then(|p| p.parse::<u32>().ok());
            state != Some("Z") && state != Some("X") && pgrp == Some(pgid)
        })
        .collect()
}

/// Sends `signal` to the whole group, waits for the leader, then for every other member;
/// what still runs after `patience` is killed. Returns what had to be killed.
pub fn stop_group(leader: &mut Child, signal: i32, patience: Duration) -> Vec<u32> {
    let pgid = leader.id();
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe { libc::kill(-(pgid as i32), signal) };
    let deadline = Instant::now() + patience;
    loop {
        let leader_done = matches!(leader.try_wait(), Ok(Some(_)) | Err(_));
        if leader_done && members(pgid).is_empty() {
            return Vec::new();
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stubborn = members(pgid);
    // SAFETY: as above.
    unsafe { libc::kill(-(pgid as i32), libc::SIGKILL) };
    let _ = leader.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !members(pgid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    stubborn
}

/// Processes whose command line names `needle` (a run's own folder or port), this one aside.
pub fn processes_naming(needle: &str) -> Vec<(u32, String)> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            line.contains(needle).then_some((pid, line))
        })
        .collect()
}
