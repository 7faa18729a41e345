//! The one data-dir lock every service (and `vigil devnet`) takes before it opens or writes
//! anything in its directory: an exclusive advisory lock (`File::try_lock`) on
//! `<data-dir>/LOCK`, held for the life of the process and released by the OS when it dies
//! (kill -9 included), so a second instance on the same directory is refused with a
//! message instead of opening the running one's database or rewriting its `listen.addr`.
//!
//! The holder writes its pid into `LOCK`, and the address it serves on once it has one,
//! so the refusal can say who holds the directory: the lock itself is the fact, the text
//! is only what the message shows.

use crate::{ADDR_FILE, IoStepError, write_addr_file};
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The lock file's name inside a data dir.
pub const LOCK_FILE: &str = "LOCK";

/// The data dir, held exclusively until this is dropped.
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    dir: PathBuf,
}

/// Who holds a data dir, as its `LOCK` file says (empty when it was not readable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    /// The address it serves on; `None` while it is still starting.
    pub serving: Option<String>,
}

impl Holder {
    fn parse(text: &str) -> Holder {
        let mut holder = Holder::default();
        for line in text.lines() {
            if let Some(pid) = line.strip_prefix("pid ") {
                holder.pid = pid.trim().parse().ok();
            } else if let Some(addr) = line.strip_prefix("serving ") {
                holder.serving = Some(addr.trim().to_string()).filter(|a| !a.is_empty());
            }
        }
        holder
    }

    fn record(&self) -> String {
        let mut text = String::new();
        if let Some(pid) = self.pid {
            text.push_str(&format!("pid {pid}\n"));
        }
        if let Some(addr) = &self.serving {
            text.push_str(&format!("serving {addr}\n"));
        }
        text
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.pid, &self.serving) {
            (Some(pid), Some(addr)) => write!(f, "pid {pid}, serving {addr}"),
            (Some(pid), None) => write!(f, "pid {pid}, still starting"),
            (None, Some(addr)) => write!(f, "serving {addr}"),
            (None, None) => write!(f, "holder unknown"),
        }
    }
}

/// Why the data dir could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "data dir {} is in use by another {service} ({holder}); stop that one or choose another --data-dir",
        dir.display()
    )]
    Locked {
        dir: PathBuf,
        service: &'static str,
        holder: Holder,
    },
    #[error("{what} {}: {source}", dir.display())]
    Io {
        what: &'static str,
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Creates `dir` if needed and takes its lock for `service` (named in the refusal). The
/// taker then removes the previous holder's `listen.addr`, so a launcher waiting for the
/// file never reads an old address. A refused caller has written nothing: it only opened
/// `LOCK` to read who holds it.
pub fn lock_data_dir(dir: &Path, service: &'static str) -> Result<DataDirLock, DataDirError> {
    let io = |what| {
        let dir = dir.to_path_buf();
        move |source| DataDirError::Io { what, dir, source }
    };
    std::fs::create_dir_all(dir).map_err(io("creating the data dir"))?;
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(io("opening the LOCK file of"))?;
    match file.try_lock() {
        Ok(()) => {
            let lock = DataDirLock {
                file,
                dir: dir.to_path_buf(),
            };
            lock.record(None).map_err(io("writing the LOCK file of"))?;
            match std::fs::remove_file(dir.join(ADDR_FILE)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(io("removing the old listen.addr of")(e))
                }
                _ => Ok(lock),
            }
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let holder = match file.read_to_string(&mut text) {
                Ok(_) => Holder::parse(&text),
                Err(_) => Holder::default(),
            };
            Err(DataDirError::Locked {
                dir: dir.to_path_buf(),
                service,
                holder,
            })
        }
        Err(TryLockError::Error(e)) => Err(io("locking the data dir")(e)),
    }
}

/// Unlocks explicitly rather than only closing the file: `flock` belongs to the open file
/// description, which a child process shares from `fork` until its `exec` closes the
/// descriptor (close-on-exec). Closing ours while another thread is spawning a process
/// would leave the directory locked for that instant, and a restart on the same directory
/// in this process would be refused naming this process itself. `LOCK_UN` releases it for
/// every copy at once.
impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Nothing to do on failure: closing the file releases the lock as the last copy goes.
        let _ = self.file.unlock();
    }
}

impl DataDirLock {
    /// The directory this lock holds.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records in `LOCK` that this process serves on `addr` (how a refused second instance
    /// names it). For a holder that has no `listen.addr` of its own, such as `vigil devnet`.
    pub fn record_serving(&self, addr: &str) -> Result<(), IoStepError> {
        let what = format!("writing {}", self.dir.join(LOCK_FILE).display());
        self.record(Some(addr)).map_err(IoStepError::during(&what))
    }

    /// Writes `<data-dir>/listen.addr` (atomically) and records the address in `LOCK`:
    /// only the holder of the lock can publish, so a second instance never rewrites the
    /// running one's address.
    pub fn publish_addr(&self, addr: SocketAddr) -> Result<(), IoStepError> {
        let what = format!("writing {}", self.dir.join(ADDR_FILE).display());
        write_addr_file(&self.dir, &addr.to_string()).map_err(IoStepError::during(&what))?;
        self.record_serving(&addr.to_string())
    }

    /// Rewrites `LOCK` with this process's pid and what it serves: the new text first, then
    /// the length cut to it, so a reader never sees the file empty.
    fn record(&self, serving: Option<&str>) -> std::io::Result<()> {
        let text = Holder {
            pid: Some(std::process::id()),
            serving: serving.map(str::to_string),
        }
        .record();
        let mut file = &self.file;
        file.seek(std::io::SeekFrom::Start(0))?;
        file.write_all(text.as_bytes())?;
        file.set_len(text.len() as u64)?;
        file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second taker is refused, naming the service, the dir and the holder (pid, then
    /// address once published); the first one's drop frees the dir.
    #[test]
    fn a_data_dir_is_held_by_one_taker_at_a_time() {
        let dir = std::env::temp_dir().join(format!("vigil-lock-test-{}", std::process::id()));
        let held = lock_data_dir(&dir, "verifier").expect("first taker");
        let refused = lock_data_dir(&dir, "verifier").expect_err("second taker");
        let pid = std::process::id();
        match &refused {
            DataDirError::Locked { holder, .. } => {
                assert_eq!(holder.pid, Some(pid), "{refused}");
                assert_eq!(holder.serving, None, "{refused}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        let message = refused.to_string();
        assert!(message.contains("another verifier"), "{message}");
        assert!(message.contains(&dir.display().to_string()), "{message}");
        assert!(message.contains(&format!("pid {pid}")), "{message}");

        let addr: SocketAddr = "127.0.0.1:4242".parse().expect("an address");
        held.publish_addr(addr).expect("publish");
        let refused = lock_data_dir(&dir, "verifier").expect_err("still held");
        let message = refused.to_string();
        assert!(
            message.contains(&format!("(pid {pid}, serving 127.0.0.1:4242)")),
            "{message}"
        );
        let published = std::fs::read_to_string(dir.join(ADDR_FILE)).expect("listen.addr");
        assert_eq!(published, "127.0.0.1:4242");

        drop(held);
        let again = lock_data_dir(&dir, "verifier").expect("free again");
        assert!(!dir.join(ADDR_FILE).exists(), "the old address is gone");
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A copy of the lock's descriptor (what a child process holds between `fork` and
    /// `exec`) does not keep the directory locked once the holder lets go.
    #[test]
    fn a_dropped_lock_frees_the_dir_even_while_a_copy_of_its_descriptor_lives() {
        let dir = std::env::temp_dir().join(format!("vigil-lock-copy-{}", std::process::id()));
        let held = lock_data_dir(&dir, "sequencer").expect("first taker");
        let copy = held.file.try_clone().expect("a second descriptor");
        drop(held);
        let again = lock_data_dir(&dir, "sequencer").expect("free while the copy lives");
        drop(again);
        drop(copy);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// What a holder writes is what a refused taker reads back; text that is not a record
    /// (an older LOCK file, empty or garbled) reads as an unknown holder.
    #[test]
    fn the_holder_record_reads_back() {
        let cases = [
            (Some(7), Some("127.0.0.1:9")),
            (Some(7), None),
            (None, Some("[::1]:80")),
            (None, None),
        ];
        for (pid, serving) in cases {
            let holder = Holder {
                pid,
                serving: serving.map(str::to_string),
            };
            assert_eq!(Holder::parse(&holder.record()), holder);
        }
        for junk in ["", "pid x\n", "\0\0\0", "serving \n"] {
            assert_eq!(Holder::parse(junk), Holder::default(), "{junk:?}");
            assert_eq!(Holder::parse(junk).to_string(), "holder unknown");
        }
    }
}
