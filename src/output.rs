//! Writing a build directory without ever losing the previous one.
//!
//! The build is written into a temporary folder beside the destination and swapped in only when
//! every renderer succeeded. kbc only deletes folders that carry its marker file, so `--dest`
//! pointed at someone's documents is refused instead of wiped.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Folders being written by [`publish`], each with the build it will replace.
static PREVIOUS: RwLock<Vec<(PathBuf, PathBuf)>> = RwLock::new(Vec::new());

/// Forgets a folder's previous build when its `publish` ends, however it ends.
struct Registered(PathBuf);

impl Registered {
    fn new(tmp: &Path, dest: &Path) -> Registered {
        PREVIOUS.write().unwrap_or_else(|e| e.into_inner()).push((tmp.to_path_buf(), dest.to_path_buf()));
        Registered(tmp.to_path_buf())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        PREVIOUS.write().unwrap_or_else(|e| e.into_inner()).retain(|(t, _)| t != &self.0);
    }
}

/// Writes `bytes` to `out/rel` by hard-linking the previous build's `rel` when that file holds
/// exactly these bytes; returns false when it did not (no previous build, different bytes, no
/// links on this file system), and the caller writes the file. Creating thousands of fresh files
/// was most of an incremental build's time; a link costs no new inode and no data write. The
/// previous build is deleted after the swap and never written in place, so sharing is safe.
pub fn link_identical(out: &Path, rel: &str, bytes: &[u8]) -> bool {
    let Some(previous) = previous_file(out, rel, bytes.len() as u64) else { return false };
    std::fs::read(&previous).is_ok_and(|old| old == bytes)
        && std::fs::hard_link(&previous, out.join(rel)).is_ok()
}

/// [`link_identical`] for the next `len` bytes of `from` (a whole-book file streamed from the
/// render cache), compared a block at a time. When it returns true `from` is past those bytes;
/// otherwise it is where it was.
pub fn link_identical_from(out: &Path, rel: &str, from: &mut (impl io::Read + io::Seek), len: u64) -> bool {
    let Some(previous) = previous_file(out, rel, len) else { return false };
    let Ok(start) = from.stream_position() else { return false };
    let same =
        std::fs::File::open(&previous).is_ok_and(|old| same_bytes(old, io::Read::take(&mut *from, len)));
    if same && std::fs::hard_link(&previous, out.join(rel)).is_ok() {
        return true;
    }
    // Where `from` was, or an error its reader will meet again.
    let _ = from.seek(io::SeekFrom::Start(start));
    false
}

/// The previous build's `rel`, when `out` is being written to replace a build and that file is
/// `len` bytes long.
fn previous_file(out: &Path, rel: &str, len: u64) -> Option<PathBuf> {
    let previous = {
        let registry = PREVIOUS.read().unwrap_or_else(|e| e.into_inner());
        registry.iter().find(|(t, _)| t == out)?.1.join(rel)
    };
    std::fs::symlink_metadata(&previous).is_ok_and(|m| m.is_file() && m.len() == len).then_some(previous)
}

/// Whether two readers yield the same bytes (a read error counts as a difference).
fn same_bytes(a: impl io::Read, b: impl io::Read) -> bool {
    const BLOCK: usize = 256 * 1024;
    let (mut a, mut b) = (io::BufReader::with_capacity(BLOCK, a), io::BufReader::with_capacity(BLOCK, b));
    loop {
        let (Ok(x), Ok(y)) = (io::BufRead::fill_buf(&mut a), io::BufRead::fill_buf(&mut b)) else {
            return false;
        };
        let n = x.len().min(y.len());
        if n == 0 {
            return x.is_empty() && y.is_empty();
        }
        if x[..n] != y[..n] {
            return false;
        }
        io::BufRead::consume(&mut a, n);
        io::BufRead::consume(&mut b, n);
    }
}

/// Marks a folder as a kbc build output that kbc may replace.
pub const MARKER: &str = ".kbc-build";

#[derive(Debug)]
pub enum OutputError {
    /// The destination exists, is not empty, and was not made by kbc.
    NotOurs(PathBuf),
    Io {
        path: PathBuf,
        error: io::Error,
    },
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::NotOurs(p) => write!(
                f,
                "refusing to replace `{}`: it is not empty and was not created by kbc (no `{MARKER}` file); choose another --dest or remove it yourself",
                p.display()
            ),
            OutputError::Io { path, error } => write!(f, "cannot write `{}`: {error}", path.display()),
        }
    }
}

impl std::error::Error for OutputError {}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |error| OutputError::Io { path: path.to_path_buf(), error }
}

/// Runs `write` into a fresh temporary folder, then atomically replaces `dest` with it. On any
/// error the temporary folder is removed and `dest` is left exactly as it was.
pub fn publish<E>(
    dest: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<Result<(), E>, OutputError> {
    publish_with(dest, write, &|trash| {
        let _ = std::fs::remove_dir_all(trash);
    })
}

/// [`publish`], handing each folder to delete (the replaced build, or the temporary folder of a
/// build that failed) to `discard` under a name of its own beside `dest`: a watch loop deletes
/// them on another thread, since removing a build of 10,000 articles (80,000 files) takes over
/// half a second. Such folders left by an earlier process (stopped while deleting) are handed
/// over too.
pub fn publish_with<E>(
    dest: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
    discard: &dyn Fn(PathBuf),
) -> Result<Result<(), E>, OutputError> {
    let owned = match std::fs::read_dir(dest) {
        Ok(mut entries) => entries.next().is_none() || dest.join(MARKER).is_file(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(error) => return Err(OutputError::Io { path: dest.to_path_buf(), error }),
    };
    if !owned {
        return Err(OutputError::NotOurs(dest.to_path_buf()));
    }
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let name = dest.file_name().map_or_else(|| "book".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.kbc-tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.kbc-old-{}", std::process::id()));
    let trash_prefix = format!(".{name}.kbc-trash-");
    let throw_away = |folder: &Path| {
        // A fresh name, so the next build's temporary folder can be made at once.
        let trash = (0u32..)
            .map(|i| parent.join(format!("{trash_prefix}{}-{i}", std::process::id())))
            .find(|t| !t.exists())
            .unwrap_or_else(|| parent.join(&trash_prefix));
        match std::fs::rename(folder, &trash) {
            Ok(()) => discard(trash),
            Err(_) => discard(folder.to_path_buf()),
        }
    };
    if let Ok(entries) = std::fs::read_dir(parent) {
        for entry in entries.flatten() {
            let pid_and_number =
                entry.file_name().to_string_lossy().strip_prefix(&trash_prefix).map(str::to_string);
            // Not this process's own: those are being deleted already.
            if pid_and_number.is_some_and(|p| !p.starts_with(&format!("{}-", std::process::id()))) {
                discard(entry.path());
            }
        }
    }
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    std::fs::write(tmp.join(MARKER), "kbc build output; kbc may delete this folder\n")
        .map_err(io_err(&tmp))?;
    let registered = Registered::new(&tmp, dest);
    let written = write(&tmp);
    drop(registered);
    if let Err(e) = written {
        throw_away(&tmp);
        return Ok(Err(e));
    }
    let had_old = dest.exists();
    if had_old && let Err(error) = std::fs::rename(dest, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(OutputError::Io { path: dest.to_path_buf(), error });
    }
    if let Err(error) = std::fs::rename(&tmp, dest) {
        // Put the previous build back.
        if had_old {
            let _ = std::fs::rename(&old, dest);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(OutputError::Io { path: dest.to_path_buf(), error });
    }
    if had_old {
        throw_away(&old);
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_to_delete_are_handed_over_under_names_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("book");
        let handed = std::cell::RefCell::new(Vec::new());
        let discard = |p: PathBuf| handed.borrow_mut().push(p);
        publish_with(&dest, |p| std::fs::write(p.join("a.txt"), "1"), &discard).unwrap().unwrap();
        assert!(handed.borrow().is_empty());
        // The replaced build is handed over, renamed, whole.
        publish_with(&dest, |p| std::fs::write(p.join("a.txt"), "2"), &discard).unwrap().unwrap();
        let old = handed.borrow_mut().pop().expect("the replaced build");
        assert!(old.file_name().unwrap().to_string_lossy().starts_with(".book.kbc-trash-"), "{old:?}");
        assert_eq!(std::fs::read_to_string(old.join("a.txt")).unwrap(), "1");
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "2");
        // A failed build's folder is handed over; the published one stays. So is a folder another
        // process left (stopped while deleting); this process's own are not handed over twice.
        let stale = dir.path().join(".book.kbc-trash-0-0");
        std::fs::create_dir(&stale).unwrap();
        let r = publish_with(
            &dest,
            |p| std::fs::write(p.join("a.txt"), "3").and(Err(io::Error::other("boom"))),
            &discard,
        );
        assert!(r.unwrap().is_err());
        let handed = handed.into_inner();
        assert_eq!(handed.len(), 2, "{handed:?}");
        assert_eq!(handed[0], stale);
        assert_eq!(std::fs::read_to_string(handed[1].join("a.txt")).unwrap(), "3");
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "2");
    }

    #[test]
    fn replaces_only_its_own_output_and_keeps_it_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("book");
        publish(&dest, |p| std::fs::write(p.join("a.txt"), "1")).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "1");
        // A failing build leaves the previous output untouched.
        let r = publish(&dest, |p| {
            std::fs::write(p.join("a.txt"), "2")?;
            Err::<(), io::Error>(io::Error::other("boom"))
        });
        assert!(r.unwrap().is_err());
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "1");
        // A folder kbc did not make is refused.
        let foreign = dir.path().join("docs");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("precious.txt"), "x").unwrap();
        assert!(matches!(publish(&foreign, |_| Ok::<(), io::Error>(())), Err(OutputError::NotOurs(_))));
        assert!(foreign.join("precious.txt").exists());
    }

    #[cfg(unix)]
    #[test]
    fn identical_files_are_linked_from_the_previous_build_and_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("book");
        let write = |p: &Path, text: &str| crate::render::write_file(p, "a.txt", text);
        publish(&dest, |p| write(p, "same")).unwrap().unwrap();
        let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
        let before = inode(&dest.join("a.txt"));
        publish(&dest, |p| write(p, "same")).unwrap().unwrap();
        assert_eq!(inode(&dest.join("a.txt")), before, "linked, not written again");
        // Linked, then written again with other bytes, then the build fails: the previous build
        // (still the published one) keeps its bytes.
        let r = publish(&dest, |p| {
            write(p, "same")?;
            write(p, "changed")?;
            Err::<(), _>(crate::render::RenderError::io(p, io::Error::other("boom")))
        });
        assert!(r.unwrap().is_err());
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "same");
        publish(&dest, |p| write(p, "new")).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "new");
        assert!(!link_identical(&dest, "a.txt", b"new"), "only folders being published link");
    }

    #[test]
    fn a_failed_swap_keeps_the_previous_output_and_leaves_no_temporary_folder() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("book");
        publish(&dest, |p| std::fs::write(p.join("a.txt"), "1")).unwrap().unwrap();
        // Moving the previous build aside fails when its parking place is taken by a non-empty folder.
        let parking = dir.path().join(format!(".book.kbc-old-{}", std::process::id()));
        std::fs::create_dir(&parking).unwrap();
        std::fs::write(parking.join("x"), "taken").unwrap();
        let r = publish(&dest, |p| std::fs::write(p.join("a.txt"), "2"));
        assert!(matches!(r, Err(OutputError::Io { .. })), "{r:?}");
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "1");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [parking.file_name().unwrap().to_string_lossy().into_owned(), "book".to_string()]);
    }
}
