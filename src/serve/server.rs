//! The HTTP side of `kbc serve`: the build directory as static files (tower-http's `ServeDir`),
//! with a small script added to every HTML response that reloads the page when a rebuild is
//! published (server-sent events) and shows the content's errors as an overlay.
//!
//! Routes under [`PREFIX`]: `events` (the event stream: `hello`, then `reload` after each
//! rebuild, with the generation as data; `status` when only the diagnostics changed; `refreshed`
//! after the follow-up build that brings the files made from every article up to date, when a page
//! reloads only if what is served for it changed), `status` ([`super::Status`] as JSON), `live.js`.
//! kbc's own files in the build directory (the render cache, the build marker) are not served.
//!
//! A page can miss events: the follow-up build may finish while a reloaded page is still loading,
//! before its event stream connects. So each HTML response carries the generation it was served
//! at (read before the file) and a digest of the page as built; the script compares the
//! generation with the stream's `hello`, and the digest with the page served now, so a page that
//! missed an event still reloads exactly when what is served for it changed.

use super::Status;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Where kbc's own routes live; no build output starts with `__kbc`.
pub const PREFIX: &str = "/__kbc/";

/// The live reload and overlay script.
const LIVE_JS: &str = include_str!("live.js");

/// The response header with [`page_digest`] of an HTML response, for the script to compare.
const PAGE_HEADER: &str = "x-kbc-page";

/// HTML responses are read whole to add the script; larger ones are passed through untouched.
const MAX_INJECT: usize = 64 * 1024 * 1024;

/// State shared by the rebuild loop and the request handlers.
pub struct Shared {
    status: Mutex<Status>,
    /// The latest generation: set after its files are in place, so a page read after this is read
    /// is at least as new.
    generation: AtomicU64,
    /// Every generation in order, for the event streams: a rebuild publishes a preview's `reload`
    /// and its own `status` within microseconds, and a stream that saw only the latest would miss
    /// the reload.
    changes: broadcast::Sender<(u64, Change)>,
}

/// Generations an event stream may fall behind by before it is told to reload.
const BACKLOG: usize = 64;

/// What a new generation asks of open pages.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Change {
    /// Reload: the rebuild changed what they show.
    Reload,
    /// Refresh the error overlay only.
    Status,
    /// Reload if the page's own file changed (the follow-up build rewrote the whole book).
    Refreshed,
}

impl Shared {
    pub fn new(status: Status) -> Arc<Shared> {
        let generation = AtomicU64::new(status.generation);
        let (changes, _) = broadcast::channel(BACKLOG);
        Arc::new(Shared { status: Mutex::new(status), generation, changes })
    }

    /// Records a rebuild and tells every open page to reload.
    pub fn publish(&self, status: Status) {
        self.record(status, Change::Reload);
    }

    /// Records a rebuild whose pages are the ones open pages show already (a preview put them in
    /// place): pages refresh their error overlay without reloading.
    pub fn update(&self, status: Status) {
        self.record(status, Change::Status);
    }

    /// Records a follow-up build (the search index and the files made from every article, such as
    /// the home page): a page reloads only when what is served for it changed.
    pub fn refreshed(&self, status: Status) {
        self.record(status, Change::Refreshed);
    }

    /// Tells every open page to reload (after a preview), keeping the status.
    pub fn reload(&self, generation: u64) {
        let mut status = self.status();
        status.generation = generation;
        self.publish(status);
    }

    fn record(&self, status: Status, change: Change) {
        let generation = status.generation;
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
        self.generation.store(generation, Ordering::Release);
        // No stream open is no error.
        let _ = self.changes.send((generation, change));
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn status(&self) -> Status {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The application: kbc's routes, then the build directory.
pub fn app(shared: Arc<Shared>, build_dir: PathBuf) -> Router {
    let files = tower_http::services::ServeDir::new(build_dir).append_index_html_on_directories(true);
    Router::new()
        .route("/__kbc/events", get(events))
        .route("/__kbc/status", get(status))
        .route("/__kbc/live.js", get(live_js))
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(shared.clone(), live_reload))
        .with_state(shared)
}

/// Serves `app` on `listener` until the process ends.
pub fn run(listener: std::net::TcpListener, app: Router) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, app).await
    })
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::StreamExt::map(announcements(shared), |(name, generation)| {
        Ok(Event::default().event(name).data(generation.to_string()))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// What an event stream announces, as (event name, generation): `hello` with the current
/// generation, then every change in order.
fn announcements(shared: Arc<Shared>) -> impl futures_util::Stream<Item = (&'static str, u64)> {
    // Subscribed before the current generation is read, so no change falls between the two.
    let rx = shared.changes.subscribe();
    let hello = ("hello", shared.generation());
    let changes = futures_util::stream::unfold((rx, shared), |(mut rx, shared)| async move {
        let announced = match rx.recv().await {
            Ok((generation, change)) => (
                match change {
                    Change::Reload => "reload",
                    Change::Status => "status",
                    Change::Refreshed => "refreshed",
                },
                generation,
            ),
            // Fell behind: whatever was missed, a reload shows the latest.
            Err(broadcast::error::RecvError::Lagged(_)) => ("reload", shared.generation()),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((announced, (rx, shared)))
    });
    futures_util::StreamExt::chain(futures_util::stream::iter([hello]), changes)
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let body = serde_json::to_string(&shared.status()).unwrap_or_else(|_| "{}".into());
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn live_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], LIVE_JS)
        .into_response()
}

/// Refuses kbc's own files, adds the live reload script to HTML, answers a missing page with a small
/// page that still carries the script (so the overlay shows before the first good build), and
/// turns off caching: every response must reflect the latest build.
async fn live_reload(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    // kbc's own files only: content may have dot-folders of its own (`.attachments/`).
    let hidden = path.split('/').any(|s| s.to_ascii_lowercase().replace("%2e", ".").starts_with(".kbc-"));
    // Read before the file: the page is then at least as new as this generation's build.
    let generation = shared.generation();
    if hidden {
        return not_found(&path, generation);
    }
    let response = next.run(request).await;
    if path.starts_with(PREFIX) {
        return response;
    }
    if response.status() == StatusCode::NOT_FOUND {
        return not_found(&path, generation);
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    if !is_html || parts.status != StatusCode::OK {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_INJECT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let digest = page_digest(&bytes);
    if let Ok(value) = header::HeaderValue::from_str(&digest) {
        parts.headers.insert(PAGE_HEADER, value);
    }
    Response::from_parts(parts, Body::from(inject(&bytes, generation, &digest)))
}

fn not_found(path: &str, generation: u64) -> Response {
    let escaped = crate::render::html::sanitize::escape(path);
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Not found</title></head><body><h1>Not found</h1><p><code>{escaped}</code> is not in the build. <a href=\"/\">Home</a></p></body></html>"
    );
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(inject(page.as_bytes(), generation, &page_digest(page.as_bytes()))),
    )
        .into_response()
}

/// What tells one version of a page from another: the SHA-256 of its bytes as built, in hex.
fn page_digest(html: &[u8]) -> String {
    use sha2::Digest;
    crate::render::hex(&sha2::Sha256::digest(html))
}

/// The tag that loads the script, with the generation the page was served at and its digest.
fn script_tag(generation: u64, digest: &str) -> String {
    format!(
        "<script src=\"/__kbc/live.js\" data-generation=\"{generation}\" data-page=\"{digest}\"></script>"
    )
}

/// The page with the script before its last `</body>` (or at the end).
fn inject(html: &[u8], generation: u64, digest: &str) -> Vec<u8> {
    let tag = script_tag(generation, digest);
    let at = html.windows(7).rposition(|w| w.eq_ignore_ascii_case(b"</body>")).unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(generation: u64) -> Status {
        Status::new(generation, std::path::Path::new("content"), &crate::serve::Outcome::default())
    }

    /// Polls `stream` until it has nothing ready.
    fn ready<S: futures_util::Stream + Unpin>(stream: &mut S) -> Vec<S::Item> {
        let mut out = Vec::new();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        while let std::task::Poll::Ready(Some(item)) = std::pin::Pin::new(&mut *stream).poll_next(&mut cx) {
            out.push(item);
        }
        out
    }

    #[test]
    fn a_stream_announces_every_change_in_order_even_when_they_come_at_once() {
        let shared = Shared::new(status(1));
        let mut stream = Box::pin(announcements(shared.clone()));
        // A preview's reload and its rebuild's status, published before the stream is polled.
        shared.reload(2);
        shared.update(status(3));
        shared.refreshed(status(4));
        assert_eq!(ready(&mut stream), [("hello", 1), ("reload", 2), ("status", 3), ("refreshed", 4)]);
        // A stream that falls too far behind is told to reload, at the latest generation.
        for g in 5..5 + BACKLOG as u64 + 1 {
            shared.update(status(g));
        }
        let last = 5 + BACKLOG as u64;
        assert_eq!(ready(&mut stream).first(), Some(&("reload", last)));
        // A new stream starts from the current generation.
        let mut late = Box::pin(announcements(shared.clone()));
        assert_eq!(ready(&mut late), [("hello", last)]);
    }

    #[test]
    fn the_script_goes_before_the_last_body_end_tag() {
        let tag = script_tag(7, "d1");
        assert_eq!(tag, "<script src=\"/__kbc/live.js\" data-generation=\"7\" data-page=\"d1\"></script>");
        assert_eq!(
            String::from_utf8(inject(b"<p>x</p></BODY></html>", 7, "d1")).unwrap(),
            format!("<p>x</p>{tag}</BODY></html>")
        );
        assert_eq!(String::from_utf8(inject(b"<p>x", 7, "d1")).unwrap(), format!("<p>x{tag}"));
    }
}
