use anyhow::Context;
use chrono::NaiveDateTime;
use clap::{Parser, Subcommand};

use appealdesk::config::Settings;
use appealdesk::domain::cst;
use appealdesk::email::{Wake, Worker};
use appealdesk::startup::{Application, prepare_database};
use appealdesk::workflows::working_days;

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
    /// Deliver the outbox's mail, apart from the web servers (set MAIL_WORKER=off there).
    Worker {
        /// Deliver what is due now, then exit (for a scheduler).
        #[arg(long)]
        once: bool,
    },
    /// Run pending database migrations and load the shipped calendar, then exit.
    Migrate,
    /// China's official working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
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
        Command::Calendar {
            command: CalendarCommand::Due { from, working_days },
        } => {
            let from = parse_local(&from)?;
            let pool = prepare_database(&settings)?;
            let mut conn = pool.get()?;
            let due = working_days::due_date(&mut conn, cst::local_date(from), working_days)?;
            println!("{}", due.format("%Y-%m-%d"));
            Ok(())
        }
    }
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
    let pool = prepare_database(&settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Inside the runtime: the SMTP pool starts a task of its own.
        let worker = Worker::new(pool, &settings.mail, settings.clock, Wake::default())?;
        if once {
            let handled = worker.drain().await?;
            tracing::info!(handled, "outbox drained");
            return Ok(());
        }
        tracing::info!(mail = ?settings.mail, "outbox worker running");
        let running = worker.spawn();
        stop_signal().await?;
        running.stop().await;
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
