use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDateTime;
use clap::{Parser, Subcommand};
use diesel::Connection;
use diesel::connection::SimpleConnection;

use appealdesk::config::{DatabaseUrl, Settings};
use appealdesk::domain::agent::Role;
use appealdesk::domain::cst;
use appealdesk::domain::stored::Stored;
use appealdesk::email::{Wake, Worker};
use appealdesk::startup::{Application, prepare_database};
use appealdesk::workflows::{agents, working_days};

#[derive(Parser)]
#[command(
    version,
    about = "AppealDesk: appeals for WeChat Pay payments sent by mistake"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve {
        /// Address to listen on [env: BIND, default 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<String>,
    },
    /// Deliver the outbox's mail and the webhooks, apart from the web servers (set
    /// MAIL_WORKER=off and WEBHOOK_WORKER=off there).
    Worker {
        /// Deliver what is due now, then exit (for a scheduler).
        #[arg(long)]
        once: bool,
    },
    /// Run pending database migrations and load the shipped calendar, then exit.
    Migrate,
    /// Write a consistent copy of the embedded SQLite database to PATH, while servers
    /// keep serving (PostgreSQL: use pg_dump).
    Backup { path: PathBuf },
    /// Replace the embedded SQLite database with the backup at PATH; refused while a
    /// server, worker or command uses the database.
    Restore { path: PathBuf },
    /// Customer-service accounts.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// China's official working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Keys of the back office's API (`/api/v1`).
    #[command(name = "api-key")]
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it once (only its digest is kept).
    Create {
        #[arg(long)]
        name: String,
        /// cases:read, cases:outcome, or both comma-separated.
        #[arg(long)]
        scope: String,
    },
    /// Revoke a key: it stops working at once, on every instance.
    Revoke {
        #[arg(long)]
        name: String,
    },
    /// List the keys (name, scopes, created by, created at, last used, revoked).
    List,
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Create an account; prompts for the password (at least 8 characters, not easy to
    /// guess) unless --password-stdin.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["agent", "supervisor"])]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Clear an account's second factor (a lost phone): its sessions end, the audit
    /// records it, and the owner is mailed.
    ResetMfa {
        #[arg(long)]
        email: String,
    },
    /// List the accounts.
    List,
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print the local date (YYYY-MM-DD) N working days after a filing time.
    Due {
        /// Filing time in China Standard Time: "YYYY-MM-DD HH:MM:SS".
        #[arg(long)]
        from: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=3650))]
        working_days: u32,
    },
}

fn main() -> anyhow::Result<()> {
    appealdesk::telemetry::init();
    let cli = Cli::parse();
    let mut settings = Settings::from_env()?;
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    if !matches!(command, Command::Serve { .. }) {
        // One connection, so no pool thread is still connecting to PostgreSQL when the
        // command exits: libpq's Kerberos teardown crashes under one (exit 134/139).
        settings.pool_size = 1;
    }
    match command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            serve(settings)
        }
        Command::Worker { once } => worker(settings, once),
        Command::Migrate => {
            prepare_database(&settings)?;
            println!("migrations applied to {:?}", settings.database);
            Ok(())
        }
        Command::Backup { path } => {
            let db = embedded(&settings.database, "pg_dump")?;
            anyhow::ensure!(db.exists(), "there is no database at {}", db.display());
            let mut conn = diesel::SqliteConnection::establish(&db.to_string_lossy())?;
            conn.batch_execute("PRAGMA busy_timeout = 10000")?;
            appealdesk::storage::sqlite_file::backup(&mut conn, &path)?;
            println!("backed up {} to {}", db.display(), path.display());
            Ok(())
        }
        Command::Restore { path } => {
            let db = embedded(&settings.database, "pg_restore")?;
            appealdesk::storage::sqlite_file::restore(&path, db)?;
            println!("restored {} from {}", db.display(), path.display());
            Ok(())
        }
        Command::Agent { command } => agent(&settings, command),
        Command::ApiKey { command } => api_key(&settings, command),
        Command::Calendar {
            command: CalendarCommand::Due { from, working_days },
        } => {
            let from = parse_local(&from)?;
            let store = prepare_database(&settings)?;
            let due = store.run_here(|s| {
                working_days::due_date(s.conn(), cst::local_date(from), working_days)
            })??;
            println!("{}", due.date.format("%Y-%m-%d"));
            for year in due.provisional_years {
                eprintln!(
                    "{year} is provisional: its official arrangement is not loaded, so only the \
                     statutory holidays were counted (make-up working days unknown)"
                );
            }
            Ok(())
        }
    }
}

/// The SQLite file, or a pointer to PostgreSQL's own tool.
fn embedded<'a>(database: &'a DatabaseUrl, tool: &str) -> anyhow::Result<&'a std::path::Path> {
    match database {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => {
            anyhow::bail!("DATABASE_URL is PostgreSQL: use {tool} (see README, Backups)")
        }
    }
}

fn api_key(settings: &Settings, command: ApiKeyCommand) -> anyhow::Result<()> {
    use appealdesk::domain::Refusal;
    use appealdesk::domain::api::{KeyName, Scopes};
    use appealdesk::workflows::api_keys;
    let en = appealdesk::domain::Lang::En;
    let store = prepare_database(settings)?;
    let now = settings.clock.now();
    let local = |t: chrono::DateTime<chrono::Utc>| cst::format_local(t);
    match command {
        ApiKeyCommand::Create { name, scope } => {
            let name = KeyName::parse(&name).map_err(|e| anyhow::anyhow!(e.message(en)))?;
            let scopes = Scopes::parse(&scope).map_err(|e| anyhow::anyhow!(e.message(en)))?;
            let created = store
                .write_blocking(|conn| api_keys::create(conn, &name, &scopes, "cli", now))?
                .map_err(|e| anyhow::anyhow!(e.message(en)))?;
            eprintln!(
                "created API key {:?} ({}); it is shown only this once:",
                created.name,
                scopes.stored()
            );
            println!("{}", created.key);
        }
        ApiKeyCommand::Revoke { name } => {
            store
                .write_blocking(|conn| api_keys::revoke(conn, &name, now))?
                .map_err(|e| anyhow::anyhow!(e.message(en)))?;
            println!("revoked {name}");
        }
        ApiKeyCommand::List => {
            for k in store.run_here(|s| api_keys::list(s.conn()))?? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    k.name,
                    k.scopes.stored(),
                    k.created_by,
                    local(k.created_at),
                    k.last_used_at.map_or("never".to_owned(), local),
                    k.revoked_at
                        .map_or("active".to_owned(), |t| format!("revoked {}", local(t)))
                );
            }
        }
    }
    Ok(())
}

fn agent(settings: &Settings, command: AgentCommand) -> anyhow::Result<()> {
    let store = prepare_database(settings)?;
    let now = settings.clock.now();
    match command {
        AgentCommand::Create {
            email,
            name,
            role,
            password_stdin,
        } => {
            let role = Role::from_stored(&role).context("--role is agent or supervisor")?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                // rpassword asks on /dev/tty; without one it would fail with a bare ENXIO.
                if std::fs::File::open("/dev/tty").is_err() {
                    eprintln!("no terminal to ask for the password: pass it with --password-stdin");
                    std::process::exit(2);
                }
                let first = rpassword::prompt_password("Password: ")?;
                let again = rpassword::prompt_password("Again: ")?;
                anyhow::ensure!(first == again, "the two passwords differ");
                first
            };
            store
                .write_blocking(|conn| {
                    agents::create_agent(conn, &email, &name, role, &password, now)
                })?
                .map_err(|e| anyhow::anyhow!("cannot create {email}: {e}"))?;
            println!("created {} {email}", role.as_str());
        }
        AgentCommand::Disable { email } => {
            let found = store.write_blocking(|conn| {
                appealdesk::db::agents::disable(conn, &email.trim().to_lowercase(), now.naive_utc())
            })??;
            anyhow::ensure!(found, "no account {email}");
            println!("disabled {email}; its sessions are ended");
        }
        AgentCommand::ResetMfa { email } => {
            let links_base = settings
                .public_base_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", settings.bind));
            store.write_blocking(|conn| {
                appealdesk::workflows::second_factor::reset(conn, &email, &links_base, now)
            })??;
            println!(
                "reset the second factor of {email}; its sessions are ended and the owner is mailed"
            );
        }
        AgentCommand::List => {
            for a in store.run_here(|s| appealdesk::db::agents::all(s.conn()))?? {
                let state = if a.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                let second_factor = if a.totp_enabled_at.is_some() {
                    "second factor on"
                } else {
                    "password only"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    a.email,
                    a.name,
                    a.role.as_str(),
                    state,
                    second_factor
                );
            }
        }
    }
    Ok(())
}

fn parse_local(raw: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let raw = raw.trim().replacen('T', " ", 1);
    let naive = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%d %H:%M:%S").with_context(|| {
        format!("--from must be \"YYYY-MM-DD HH:MM:SS\" (China time), not {raw:?}")
    })?;
    Ok(cst::from_local(naive))
}

#[actix_web::main]
async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings.clone()).await?;
    tracing::info!(
        database = ?settings.database,
        bind = %settings.bind,
        port = app.port(),
        "AppealDesk is listening"
    );
    app.run_until_stopped().await?;
    Ok(())
}

fn worker(settings: Settings, once: bool) -> anyhow::Result<()> {
    let store = prepare_database(&settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Inside the runtime: the SMTP pool starts a task of its own.
        let worker = Worker::new(store.clone(), &settings.mail, settings.clock, Wake::default())?;
        // Webhooks too, unless WEBHOOK_WORKER=off; its mail links start at PUBLIC_BASE_URL.
        let base = settings.public_base_url.clone().unwrap_or_default();
        let hooks = appealdesk::webhooks::worker(store, &settings.webhooks, settings.clock, &base)?;
        if once {
            let handled = worker.drain().await?;
            tracing::info!(handled, "outbox drained");
            if let Some(hooks) = hooks {
                let handled = hooks.drain().await?;
                tracing::info!(handled, "webhooks drained");
            }
            return Ok(());
        }
        tracing::info!(mail = ?settings.mail, webhooks = ?settings.webhooks, "delivery workers running");
        let running = worker.spawn();
        let hooks = hooks.map(appealdesk::webhooks::Worker::spawn);
        stop_signal().await?;
        running.stop().await;
        if let Some(hooks) = hooks {
            hooks.stop().await;
        }
        Ok(())
    })
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::signal::ctrl_c().await?)
    }
}
