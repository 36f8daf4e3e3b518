//! A real SMTP server on loopback for the mail tests: `tests/smtp/capture.py`, an
//! aiosmtpd server (`pip install aiosmtpd==1.4.6`) that keeps each mail as a file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mail_parser::{MessageParser, PartType};

/// How long a test waits for mail or a row to change before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl SmtpServer {
    pub fn start() -> Self {
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "appealdesk_smtp_{}_{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let mut server = Self {
            port: 0,
            dir,
            child: None,
        };
        server.launch();
        server
    }

    /// Runs the server on `self.port`; port 0 lets it choose one and report it.
    fn launch(&mut self) {
        assert!(self.child.is_none(), "the SMTP server is running already");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/capture.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg("127.0.0.1")
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        let _ = BufReader::new(stdout).read_line(&mut line);
        let Some(port) = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the test SMTP server did not start on port {} (needs `{python} -m pip install aiosmtpd==1.4.6`)",
                self.port
            );
        };
        self.port = port;
        self.child = Some(child);
    }

    /// As if the mail server went down: connections are refused until `restart`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// As if the mail server hung: connections are taken (by the system) but nothing is
    /// answered until `resume`. The process is stopped with SIGSTOP, not killed.
    pub fn pause(&self) {
        self.signal(libc::SIGSTOP);
    }

    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, signal: libc::c_int) {
        let child = self.child.as_ref().expect("the SMTP server runs");
        let pid = libc::pid_t::try_from(child.id()).expect("a pid");
        // SAFETY: signals our own child process.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "signal the SMTP server"
        );
    }

    /// Back on the same port, with the mail received so far. The port is free for a
    /// moment in between: should the system hand it to another socket meanwhile, the
    /// restart fails loudly rather than moving.
    pub fn restart(&mut self) {
        self.launch();
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Connections the system has accepted for the server, answered or not (a paused
    /// server's kernel still completes the handshake): read from `/proc/net/tcp`.
    pub fn connections(&self) -> usize {
        tcp_sockets(self.port)
            .iter()
            .filter(|s| s.state == ESTABLISHED)
            .count()
    }

    /// From now on the server accepts the recipients it used to refuse.
    pub fn accept_all(&self) {
        std::fs::write(self.dir.join("accept-all"), "").expect("flag file");
    }

    pub fn mails(&self) -> Vec<Mail> {
        read_mails(&self.dir)
    }

    /// At least `n` mails, waiting for them up to `PATIENCE`.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        eventually(&format!("{n} mail(s) at the SMTP server"), || {
            let mails = self.mails();
            (mails.len() >= n).then_some(mails)
        })
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every `.eml` file in `dir` (partly written files have another extension).
pub fn read_mails(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut mails: Vec<Mail> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| std::fs::read(p).ok())
        .map(Mail::new)
        .collect();
    mails.sort_by(|a, b| a.raw.cmp(&b.raw));
    mails
}

/// Polls `check` until it returns a value, for at most `PATIENCE`.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One received mail, as the server stored it.
pub struct Mail {
    /// The SMTP recipients (RCPT TO), whatever the headers say.
    pub envelope_to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Mail {
    fn new(stored: Vec<u8>) -> Self {
        let text = String::from_utf8_lossy(&stored);
        let (first, _) = text.split_once("\r\n").expect("the envelope line");
        let envelope_to = first
            .trim_start_matches("X-Envelope-To:")
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        let raw = stored[first.len() + 2..].to_vec();
        Self { envelope_to, raw }
    }

    fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default()
            .parse(&self.raw)
            .expect("a parseable mail")
    }

    /// The raw header section, one header per line once unfolded.
    pub fn header_lines(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.raw);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        head.replace("\r\n ", " ")
            .replace("\r\n\t", " ")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    pub fn from(&self) -> String {
        let parsed = self.parsed();
        let from = parsed.from().and_then(|a| a.first());
        from.and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn to(&self) -> Vec<String> {
        let parsed = self.parsed();
        parsed
            .to()
            .map(|to| {
                to.iter()
                    .filter_map(|a| a.address())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The text/plain alternative; panics if there is none.
    pub fn text(&self) -> String {
        let parsed = self.parsed();
        match parsed.text_part(0).map(|p| &p.body) {
            Some(PartType::Text(text)) => text.to_string(),
            _ => panic!("no text/plain part"),
        }
    }

    /// The text/html alternative; panics if there is none.
    pub fn html(&self) -> String {
        let parsed = self.parsed();
        match parsed.html_part(0).map(|p| &p.body) {
            Some(PartType::Html(html)) => html.to_string(),
            _ => panic!("no text/html part"),
        }
    }
}

/// TCP's state number for an established connection, as `/proc/net/tcp` shows it.
pub const ESTABLISHED: u8 = 0x01;

/// A loopback socket whose local port is the one asked for.
#[derive(Debug)]
pub struct TcpSocket {
    pub state: u8,
    pub remote_port: u16,
    /// Bytes received and not yet read by the process that owns the socket.
    pub unread: u64,
}

/// The IPv4 sockets listening or connected on `port` on this machine.
pub fn tcp_sockets(port: u16) -> Vec<TcpSocket> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let local_port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            let remote_port = u16::from_str_radix(fields.get(2)?.rsplit(':').next()?, 16).ok()?;
            let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
            let unread = u64::from_str_radix(fields.get(4)?.rsplit(':').next()?, 16).ok()?;
            (local_port == port).then_some(TcpSocket {
                state,
                remote_port,
                unread,
            })
        })
        .collect()
}
