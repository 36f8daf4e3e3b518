use actix_web::HttpMessage;
use tracing_subscriber::EnvFilter;

/// Logs to stderr; `RUST_LOG` overrides the default level. `LOG_FORMAT=json` writes one
/// JSON object a line, with the request's span fields (request id, client address,
/// route) on every event inside it, for a log shipper.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (tests) keeps the first subscriber.
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Request spans name the route template (`/track/{token}`), never the path or query:
/// tracking tokens and `next=` links stay out of the logs. They carry the client's address
/// as the limits see it.
pub struct RedactedSpans;

impl tracing_actix_web::RootSpanBuilder for RedactedSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let extensions = request.extensions();
        let route = extensions
            .get::<crate::web::client::Route>()
            .map_or("(no route)", |r| &*r.0);
        let request_id = extensions
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        // As `web::client::identify` found it: behind a trusted proxy, the real client.
        let client = extensions
            .get::<crate::web::client::ClientAddr>()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string);
        tracing::info_span!(
            "HTTP request",
            request_id = %request_id,
            client.address = %client,
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
        // A 5xx is for an operator to act on. `AppError` logs its own (an expected answer —
        // a redirect to sign in, a 404 — at DEBUG); any other error that became a 5xx here.
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        if let Some(error) = error
            && status.is_server_error()
            && error.as_error::<crate::web::errors::AppError>().is_none()
        {
            tracing::error!(error = ?error, "request failed");
        }
    }
}
