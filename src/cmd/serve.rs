//! `kbc serve`: build, serve the build directory on 127.0.0.1 with live reload, rebuild on changes.

use super::{Exit, Ui, watch};
use kbc::serve::Status;
use kbc::serve::server::{self, Shared};
use std::path::Path;

pub fn run(ui: &Ui, dir: &Path, dest: Option<&Path>, port: u16, open: bool) -> Exit {
    let Some((mut session, watcher)) = watch::start(dir, dest) else { return Exit::Failure };
    let outcome = session.rebuild(false);
    let mut printed = watch::Printed::default();
    watch::report(ui, &outcome, &mut printed);
    let mut generation = 1;
    let shared = Shared::new(Status::new(generation, &session.dir, &outcome));
    session.keep(outcome);
    let build_dir = session.build_dir();
    let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return Exit::Failure;
        }
    };
    let url = match listener.local_addr() {
        Ok(a) => format!("http://127.0.0.1:{}/", a.port()),
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return Exit::Failure;
        }
    };
    let app = server::app(shared.clone(), build_dir.clone());
    std::thread::spawn(move || {
        if let Err(e) = server::run(listener, app) {
            eprintln!("error: the server stopped: {e}");
            std::process::exit(Exit::Failure as i32);
        }
    });
    // Tests and scripts read the URL from this line.
    eprintln!("serving `{}` at {url} (Ctrl-C to stop)", build_dir.display());
    if open && let Err(e) = opener::open_browser(&url) {
        eprintln!("warning: cannot open a browser: {e}");
    }
    let error = watcher.run(&mut session, |s, changed| {
        if changed.is_empty() {
            // The writer paused: bring the files made from every article up to date. Open pages
            // reload only if theirs changed (the home page and indexes list every article).
            let outcome = s.rebuild(false);
            watch::search_note(ui, &outcome);
            if outcome.published {
                generation += 1;
                shared.refreshed(Status::new(generation, &s.dir, &outcome));
            }
            let again = outcome.pending;
            s.keep(outcome);
            return again;
        }
        watch::changed_note(ui, changed);
        let preview = s.preview(changed);
        if let Some(p) = &preview {
            watch::preview_note(ui, p);
            generation += 1;
            shared.reload(generation);
        }
        let outcome = s.rebuild(true);
        watch::report(ui, &outcome, &mut printed);
        generation += 1;
        let status = Status::new(generation, &s.dir, &outcome);
        // After a preview, pages reload again only when the rebuild changed what they show.
        let shown = preview.is_some_and(|p| {
            outcome.published && outcome.rendered <= p.pages.len() && p.holds(&s.build_dir())
        });
        if shown {
            shared.update(status)
        } else {
            shared.publish(status)
        }
        let stale = outcome.pending;
        s.keep(outcome);
        stale
    });
    eprintln!("error: {error}");
    Exit::Failure
}
