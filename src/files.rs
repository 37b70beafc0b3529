//! Files that several cio processes may touch at once: atomic replacement,
//! private directories, and lock files; and which file a path names, to tell
//! when two names are one file.
//!
//! Locks are the operating system's advisory file locks (`flock` on Unix): the
//! kernel drops them when the holder exits, however it exits, so a lock held
//! by a process killed with `kill -9` never blocks the next run. Lock files
//! are left in place: removing one while another process waits on it would
//! let two processes hold "the" lock at once.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Replaces `path` with `contents` so that a reader (or a crash) sees the old
/// file or the new one, never a mix: a temporary file in the same directory,
/// created with mode 0600 (owner only, whatever the umask), written, synced,
/// renamed over `path`, then the directory synced so the rename itself survives
/// a power cut. The directory is created (0700) when missing.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    create_private_dir(dir)?;
    #[cfg(unix)]
    let private = {
        use std::os::unix::fs::PermissionsExt;
        Some(fs::Permissions::from_mode(0o600))
    };
    #[cfg(not(unix))]
    let private = None;
    let mut tmp = temp_beside(path, private)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// A new temporary file in `path`'s directory (`.NAME.XXXXXX.tmp`), with
/// `permissions` if given, to be renamed over `path` (`persist`).
pub fn temp_beside(
    path: &Path,
    permissions: Option<fs::Permissions>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    if let Some(permissions) = permissions {
        builder.permissions(permissions);
    }
    builder.tempfile_in(parent_dir(path))
}

/// Which file a path names, to tell when two names are one file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileId {
    /// A regular file, whatever it is called (another path, a hard link):
    /// its device and inode on Unix, its canonical path elsewhere.
    Regular(RegularId),
    /// Anything else (not there yet, a device, a pipe): the path made absolute.
    Other(PathBuf),
}

#[cfg(unix)]
type RegularId = (u64, u64);
#[cfg(not(unix))]
type RegularId = PathBuf;

impl FileId {
    /// What `path` names now: one look at the file system.
    pub fn of(path: &Path) -> FileId {
        Self::regular(path).unwrap_or_else(|| {
            FileId::Other(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
        })
    }

    fn regular(path: &Path) -> Option<FileId> {
        let meta = fs::metadata(path).ok().filter(|m| m.is_file())?;
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let id = {
            drop(meta);
            fs::canonicalize(path).ok()?
        };
        Some(FileId::Regular(id))
    }

    pub fn is_regular(&self) -> bool {
        matches!(self, FileId::Regular(_))
    }
}

/// Whether two paths name one file, there already or not yet.
pub fn same_file(a: &Path, b: &Path) -> bool {
    FileId::of(a) == FileId::of(b)
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename or a file creation in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates `dir` and its parents, the last one readable by the owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
}

/// Opens (creating, 0600) a file for appending or locking, never through a
/// symbolic link (see [`open_no_follow`]).
pub fn open_private(path: &Path, append: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).create(true);
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    open_no_follow(&mut options, path)
}

/// Why a file is not opened: cio's files in a shared directory (`/tmp`, a
/// team's export directory) are opened only as themselves, as a link planted
/// at their name by another user would have cio empty or write to the file
/// it points at.
pub const SYMLINK_REFUSED: &str = "is a symbolic link, and cio does not open its files through one";

/// Opens `path` with `options`, failing (with [`SYMLINK_REFUSED`]) when its
/// last component is a symbolic link: `O_NOFOLLOW`, so no link can be put in
/// place between a check and the open. The directories on the way may be
/// links: they are the user's own layout.
pub fn open_no_follow(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| {
        // ELOOP is also a loop of links among the directories: say "a link" only of a link.
        if is_symlink(path) {
            std::io::Error::other(SYMLINK_REFUSED)
        } else {
            e
        }
    })
}

/// Whether `path` itself (not what it points at) is a symbolic link.
pub fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// An exclusive lock on a lock file, held until dropped (or the process ends).
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Waits for the lock.
    pub fn acquire(path: &Path) -> Result<Lock> {
        let file = Self::open(path)?;
        file.lock()
            .map_err(|e| Error::io(format!("cannot lock {}", path.display()), &e))?;
        Ok(Lock::held(file, path))
    }

    /// Takes the lock if it is free; otherwise says which process holds it
    /// (`Err(Some(pid))`, or `Err(None)` when the holder has not written its pid yet).
    pub fn try_acquire(path: &Path) -> Result<std::result::Result<Lock, Option<u32>>> {
        let mut file = Self::open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Ok(Lock::held(file, path))),
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Ok(Err(text.trim().parse().ok()))
            }
            Err(TryLockError::Error(e)) => {
                Err(Error::io(format!("cannot lock {}", path.display()), &e))
            }
        }
    }

    fn open(path: &Path) -> Result<File> {
        create_private_dir(parent_dir(path))
            .and_then(|_| open_private(path, false))
            .map_err(|e| Error::io(format!("cannot open lock file {}", path.display()), &e))
    }

    /// Records the holder's pid in the file, for the message another process shows.
    fn held(mut file: File, path: &Path) -> Lock {
        let pid = std::process::id().to_string();
        let _ = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(pid.as_bytes()));
        Lock {
            file,
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_under_any_name_is_the_same_file() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let a_again = tmp.path().join(".").join("a");
        assert!(same_file(&a, &a_again), "not there yet, one path");
        assert!(!same_file(&a, &b));
        fs::write(&a, "").unwrap();
        assert!(same_file(&a, &a_again));
        assert!(!same_file(&a, &b), "one there, one not");
        fs::hard_link(&a, &b).unwrap();
        assert!(same_file(&a, &b), "a hard link");
        let c = tmp.path().join("c");
        fs::write(&c, "").unwrap();
        assert!(!same_file(&a, &c));
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_is_private_and_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temporary file left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn a_held_lock_names_its_holder_and_is_free_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = Lock::acquire(&path).unwrap();
        // A second open file description conflicts even within one process.
        let other = Lock::try_acquire(&path).unwrap();
        assert_eq!(other.unwrap_err(), Some(std::process::id()));
        drop(held);
        assert!(Lock::try_acquire(&path).unwrap().is_ok());
    }
}
