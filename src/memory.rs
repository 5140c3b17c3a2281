//! Giving freed memory back to the system between the phases of a low-memory build.
//!
//! kbc's binary allocates with mimalloc (see `main.rs`), which keeps the pages a thread freed
//! for that thread to reuse: once a large book is dropped, or a search index written, hundreds
//! of MB stay resident until each thread collects them. When mimalloc is not the global
//! allocator (the library in another program, the tests), collecting sweeps only mimalloc's own
//! empty heaps.

/// Runs `tidy` (emptying a thread's caches) on every thread of rayon's pool and on the calling
/// thread, then has each of them give its freed memory back.
pub fn release(tidy: impl Fn() + Sync) {
    let here = || {
        tidy();
        collect();
    };
    rayon::broadcast(|_| here());
    here();
}

fn collect() {
    // SAFETY: `mi_collect` takes no pointer: it frees what the calling thread's heap holds
    // unused and returns free memory to the system, and mimalloc allows it from any thread at
    // any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_pool_thread_and_the_caller_tidy() {
        use std::sync::Mutex;
        let threads = Mutex::new(Vec::new());
        super::release(|| threads.lock().unwrap().push(std::thread::current().id()));
        let mut threads = threads.into_inner().unwrap();
        threads.sort_by_key(|id| format!("{id:?}"));
        threads.dedup();
        // The test thread is not one of rayon's.
        assert_eq!(threads.len(), rayon::current_num_threads() + 1);
        assert!(threads.contains(&std::thread::current().id()));
    }
}
