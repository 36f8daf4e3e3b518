//! A throwaway PostgreSQL cluster for a test process that is not given a server: `initdb`
//! into a temporary folder, `postgres` on a free loopback port with trust authentication
//! inside that cluster only, stopped and removed when the process exits.
//!
//! Shared with `#[path]` by the HTTP suite, `scale_out` and the load benchmark; it needs
//! `process_group` beside it. `initdb` is looked for in `PG_BIN`, then under
//! `/usr/lib/postgresql/*/bin` (Debian's postgresql packages; `.ci/setup` installs them).

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::process_group;

/// The first of `vars` that names a PostgreSQL server, else this process's own cluster
/// (started at the first call).
pub fn server_url(vars: &[&str]) -> String {
    vars.iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| u.starts_with("postgres")))
        .unwrap_or_else(own_cluster_url)
}

/// This process's own cluster, started once; stopped and removed at exit.
pub fn own_cluster_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let started = Instant::now();
        // Once more if the first start fails: its port may have been taken meanwhile.
        let cluster = Cluster::start()
            .or_else(|first| Cluster::start().map_err(|second| format!("{first}\nthen: {second}")))
            .unwrap_or_else(|e| panic!("a throwaway PostgreSQL: {e}"));
        let url = cluster.url();
        // Past the test harness's capture: the run's log says which server it used.
        let _ = writeln!(
            std::io::stderr(),
            "PostgreSQL: a throwaway cluster at {url} ({}), started in {:.1?}",
            cluster.dir.display(),
            started.elapsed()
        );
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(cluster);
        // SAFETY: registers a plain `extern "C" fn` to run at exit.
        unsafe { libc::atexit(stop_at_exit) };
        url
    })
    .clone()
}

static RUNNING: Mutex<Option<Cluster>> = Mutex::new(None);

extern "C" fn stop_at_exit() {
    let cluster = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut cluster) = cluster {
        cluster.stop();
    }
}

struct Cluster {
    postmaster: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn url(&self) -> String {
        // Loopback: no TLS or Kerberos to negotiate.
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable&gssencmode=disable",
            self.port
        )
    }

    fn start() -> Result<Cluster, String> {
        let bin = bin_dir()?;
        let dir = std::env::temp_dir().join(format!(
            "appealdesk-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // PostgreSQL refuses to run as root: as root, the cluster belongs to `postgres`.
        let owner = owner()?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
        let as_owner = |program: &str| {
            let mut command = Command::new(bin.join(program));
            if let Some((uid, gid)) = owner {
                command.uid(uid).gid(gid);
            }
            command.current_dir(&dir);
            command
        };
        let data = dir.join("data");
        let initdb = as_owner("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .output()
            .map_err(|e| format!("{}: {e}", bin.join("initdb").display()))?;
        if !initdb.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&initdb.stdout),
                String::from_utf8_lossy(&initdb.stderr)
            ));
        }
        let port = free_port();
        let log = std::fs::File::create(dir.join("postgres.log")).map_err(|e| e.to_string())?;
        let mut postgres = as_owner("postgres");
        postgres
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(&dir)
            .args(["-c", "listen_addresses=127.0.0.1"])
            // Throwaway data: durability buys nothing here.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=300"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        process_group::own_group(&mut postgres);
        let postmaster = postgres
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.join("postgres").display()))?;
        let pgid = postmaster.id();
        let mut cluster = Cluster {
            postmaster: Some(postmaster),
            dir,
            port,
        };
        // Should this process die without running its exit handlers (SIGKILL), a watcher
        // in the cluster's group stops it and removes its folder.
        let watcher = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill -INT {pgid}; \
                 while kill -0 {pgid} 2>/dev/null; do sleep 0.2; done; rm -rf '{dir}'",
                parent = std::process::id(),
                dir = cluster.dir.display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(pgid as i32)
            .spawn();
        if let Err(e) = watcher {
            cluster.stop();
            return Err(format!("sh: {e}"));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(Ok(Some(status))) = cluster.postmaster.as_mut().map(Child::try_wait) {
                let said = std::fs::read_to_string(cluster.dir.join("postgres.log"));
                cluster.stop();
                return Err(format!("postgres exited ({status}): {said:?}"));
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(cluster);
            }
            if Instant::now() > deadline {
                let said = std::fs::read_to_string(cluster.dir.join("postgres.log"));
                cluster.stop();
                return Err(format!("postgres did not get ready in 30 s: {said:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A fast shutdown (SIGINT) of the whole group, then the folder goes.
    fn stop(&mut self) {
        if let Some(mut postmaster) = self.postmaster.take() {
            process_group::stop_group(&mut postmaster, libc::SIGINT, Duration::from_secs(15));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| no_server())?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(no_server)
}

fn no_server() -> String {
    "no initdb under /usr/lib/postgresql/*/bin (run .ci/setup, or set PG_BIN, or name a \
     server in TEST_DATABASE_URL)"
        .into()
}

/// As root: the `postgres` account's ids (the server package creates it).
fn owner() -> Result<Option<(u32, u32)>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    // SAFETY: a NUL-terminated name; the returned record is read at once.
    let entry = unsafe { libc::getpwnam(c"postgres".as_ptr()) };
    if entry.is_null() {
        return Err("running as root, and there is no postgres account to run PostgreSQL".into());
    }
    // SAFETY: non-null, as getpwnam returned it.
    let entry = unsafe { &*entry };
    Ok(Some((entry.pw_uid, entry.pw_gid)))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port()
}
