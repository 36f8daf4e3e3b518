//! Builds the application: database ready, then a server on its listener (tests bind
//! port 0 themselves and hand the listener over), the outbox worker and the periodic
//! jobs beside it; all three stop together.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db;
use crate::email::{Wake, Worker, worker::Running};
use crate::jobs::{self, Jobs};
use crate::keys::{self, Keys};
use crate::storage::Store;
use crate::web::{self, AppState};

pub struct Application {
    port: u16,
    links_base: String,
    server: Server,
    /// `METRICS_BIND`: `/metrics` alone, on its own listener, and that listener's port.
    metrics_server: Option<(MetricsServer, u16)>,
    /// The in-process outbox worker, unless workers run apart (`MAIL_WORKER=off`).
    worker: Option<Running>,
    /// The in-process webhook worker, unless `WEBHOOK_WORKER=off`.
    hooks: Option<Running>,
    jobs: Jobs,
    /// Closed last: what the others queued is written first.
    store: Store,
}

impl Application {
    /// Listens on `settings.bind`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        Self::build_on(settings, listener).await
    }

    /// Serves on a listener the caller bound (`settings.bind` is not used): no other
    /// process can take the port between choosing it and serving on it.
    pub async fn build_on(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let local = listener.local_addr()?;
        let port = local.port();
        let links_base = settings.links_base(local);
        let store = prepare_database(&settings)?;
        let keys = server_keys(&settings, &store)?;
        let wake = Wake::default();
        // Built before serving so that a bad mail setting stops the start.
        let worker = settings
            .mail
            .run_worker
            .then(|| Worker::new(store.clone(), &settings.mail, settings.clock, wake.clone()))
            .transpose()?;
        let hooks = crate::webhooks::worker(
            store.clone(),
            &settings.webhooks,
            settings.clock,
            &links_base,
        )?;
        let jobs = jobs::spawn(
            store.clone(),
            settings.clock,
            duties(&settings, links_base.clone()),
            jobs_thread_name(port),
        )
        .context("cannot start the periodic jobs")?;
        let state = AppState {
            store: store.clone(),
            keys,
            clock: settings.clock,
            secure_cookies: settings.secure_cookies(),
            links_base: links_base.clone(),
            mail: wake,
            webhooks: settings.webhooks.clone(),
            metrics_token: settings.metrics_token.clone(),
            trusted_proxies: Arc::new(settings.edge.trusted_proxies.clone()),
            limits: web::limits::Limiters::new(&settings.edge.rate_limits),
            body_timeout: settings.edge.body_timeout,
            require_mfa: settings.require_mfa,
        };
        state.limits.keep_swept();
        let hsts = settings.secure_cookies();
        let metrics_state = settings.metrics_bind.as_ref().map(|_| state.clone());
        // Installed before the first request counts.
        crate::metrics::handle();
        let server = HttpServer::new(move || {
            let routes_state = state.clone();
            // Outermost last: the client's address is known before the log line and the
            // limits; the limits answer before a body is read.
            App::new()
                .wrap(from_fn(web::body_deadline::enforce))
                .wrap(from_fn(web::limits::check))
                .wrap(web::security_headers(hsts))
                .wrap(from_fn(web::head_as_get))
                .wrap(from_fn(web::ops::count_requests))
                .wrap(TracingLogger::<crate::telemetry::RedactedSpans>::new())
                .wrap(from_fn(web::client::identify))
                .app_data(actix_web::web::Data::new(state.clone()))
                .configure(move |cfg| web::routes(cfg, &routes_state))
        })
        // SIGTERM (a service manager, a rolling restart) stops accepting and lets the
        // requests under way finish within this grace.
        .shutdown_timeout(crate::domain::policy::SHUTDOWN_GRACE_SECS)
        .listen(listener)?
        .run();
        // After the main listener: a failed start leaves nothing running.
        let metrics_server = match (&settings.metrics_bind, metrics_state) {
            (Some(bind), Some(state)) => Some(metrics_server(bind, state)?),
            _ => None,
        };
        let worker = worker.map(Worker::spawn);
        let hooks = hooks.map(crate::webhooks::Worker::spawn);
        Ok(Self {
            port,
            links_base,
            server,
            metrics_server,
            worker,
            hooks,
            jobs,
            store,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` answers on without a token, with `METRICS_BIND`.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// Where the links this server hands out start.
    pub fn links_base(&self) -> &str {
        &self.links_base
    }

    /// Stops the server from elsewhere (tests, signals).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then stops the periodic jobs and lets the worker finish its batch.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(((handle, serving), _)) = self.metrics_server {
            handle.stop(true).await;
            let _ = serving.await;
        }
        self.jobs.stop().await;
        if let Some(worker) = self.worker {
            worker.stop().await;
        }
        if let Some(hooks) = self.hooks {
            hooks.stop().await;
        }
        let store = self.store;
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        served
    }
}

/// `/metrics` alone on `bind`, without a token: an address only the operator's scraper
/// reaches (loopback, a private network). One worker: a scrape is rare.
/// A server runs while its future is polled: spawned, with the handle that stops it.
type MetricsServer = (
    actix_web::dev::ServerHandle,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

fn metrics_server(bind: &str, state: AppState) -> anyhow::Result<(MetricsServer, u16)> {
    let listener =
        TcpListener::bind(bind).with_context(|| format!("cannot listen on METRICS_BIND {bind}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(actix_web::web::Data::new(state.clone()))
            .route(
                "/metrics",
                actix_web::web::get().to(web::ops::metrics_listener),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(((server.handle(), tokio::spawn(server)), port))
}

/// The jobs thread is named after the server's port, so that `ps -L` (and a test) can
/// tell one server's thread from another's; Linux shows 15 bytes of it.
pub fn jobs_thread_name(port: u16) -> String {
    format!("jobs-{port}")
}

/// Opens the store, runs migrations and loads the shipped calendar.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::open(&settings.database, settings.pool_size)?;
    let now = settings.clock.now().naive_utc();
    store
        .write_blocking(|conn| db::migrate(conn, now))
        .with_context(|| format!("cannot connect to the database {:?}", settings.database))??;
    Ok(store)
}

/// What the periodic jobs need of the settings, with the links' base.
pub fn duties(settings: &Settings, links_base: String) -> jobs::Duties {
    jobs::Duties {
        links_base,
        evidence_retention_days: settings.evidence_retention_days,
        outbox_retention_days: settings.outbox_retention_days,
    }
}

/// `SECRET_KEY` when set; otherwise one kept in the database, so every instance on
/// the same database agrees without configuration.
fn server_keys(settings: &Settings, store: &Store) -> anyhow::Result<Keys> {
    if let Some(secret) = &settings.secret_key {
        return Ok(Keys::new(secret.clone()));
    }
    let secret = store.write_blocking(|conn| {
        db::secrets::get_or_create(conn, "server_key", keys::random_secret)
    })??;
    Ok(Keys::new(secret.into_bytes()))
}
