//! The one data-dir lock every service takes before it opens its database: an exclusive
//! advisory lock (`File::try_lock`) on `<data-dir>/LOCK`, held for the life of the
//! service and released by the OS when the process dies (kill -9 included), so a second
//! instance on the same directory is refused with a message instead of corrupting it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside a data dir.
pub const LOCK_FILE: &str = "LOCK";

/// The data dir, held exclusively until this is dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Why the data dir could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "data dir {} is in use by another {service} (it holds {LOCK_FILE}); stop that one or choose another --data-dir",
        dir.display()
    )]
    Locked { dir: PathBuf, service: &'static str },
    #[error("{what} {}: {source}", dir.display())]
    Io {
        what: &'static str,
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Creates `dir` if needed and takes its lock for `service` (named in the refusal).
pub fn lock_data_dir(dir: &Path, service: &'static str) -> Result<DataDirLock, DataDirError> {
    let io = |what| {
        let dir = dir.to_path_buf();
        move |source| DataDirError::Io { what, dir, source }
    };
    std::fs::create_dir_all(dir).map_err(io("creating the data dir"))?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(io("opening the LOCK file of"))?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(DataDirError::Locked {
            dir: dir.to_path_buf(),
            service,
        }),
        Err(TryLockError::Error(e)) => Err(io("locking the data dir")(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second taker is refused, naming the service; the first one's drop frees the dir.
    #[test]
    fn a_data_dir_is_held_by_one_taker_at_a_time() {
        let dir = std::env::temp_dir().join(format!("vigil-lock-test-{}", std::process::id()));
        let held = lock_data_dir(&dir, "verifier").expect("first taker");
        let refused = lock_data_dir(&dir, "verifier").expect_err("second taker");
        assert!(matches!(refused, DataDirError::Locked { .. }), "{refused}");
        assert!(
            refused.to_string().contains("another verifier"),
            "{refused}"
        );
        drop(held);
        let again = lock_data_dir(&dir, "verifier").expect("free again");
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
