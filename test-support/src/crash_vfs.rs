//! `CrashDisk`: SQLite over an in-memory VFS shim that records every write, truncation and
//! sync, so a test can ask what a power loss at any moment would have left on disk: each
//! file's content at its last sync, plus any subset of the writes made since (in any order,
//! since a disk may reorder them), with the last of them torn at a sector boundary. A
//! kill -9 keeps the OS page cache, so only this shows what `synchronous=FULL` promises.
//!
//! A database is opened through the shim with a URI, `CrashDisk::uri(dir, file)`
//! (`file:<path>?vfs=vigil-crash`), so the code under test keeps its own
//! `Connection::open(path)`. The VFS is registered once per process; each `CrashDisk` owns
//! the paths under its own prefix, so tests in one binary do not see each other's files.
//! One connection per database at a time: the WAL index is private to the connection
//! (a fresh one after a crash, as after a reboot, rebuilt by SQLite from the WAL).
//!
//! The shim is `sqlite-vfs`'s safe trait; the workspace forbids `unsafe` in our code.

use sqlite_vfs::wip::{WalIndex, WalIndexLock};
use sqlite_vfs::{DatabaseHandle, LockKind, OpenAccess, OpenOptions, Vfs};
use std::collections::BTreeMap;
use std::io::{Error, ErrorKind};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// The VFS name in the URIs.
pub const VFS_NAME: &str = "vigil-crash";
/// Torn writes keep a prefix of whole sectors of this size.
pub const SECTOR: usize = 512;

/// What happened to one file, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Write {
        file: String,
        offset: u64,
        data: Vec<u8>,
    },
    Truncate {
        file: String,
        len: u64,
    },
    Sync {
        file: String,
    },
}

impl Op {
    /// The full path of the file it happened to.
    fn file(&self) -> &str {
        match self {
            Op::Write { file, .. } | Op::Truncate { file, .. } | Op::Sync { file } => file,
        }
    }
}

/// Which of the writes not yet synced reach the disk in a simulated power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Survivors {
    /// None of them.
    None,
    /// All of them (what kill -9 leaves).
    All,
    /// All but the last, of which only the first `sectors` sectors land (a torn page).
    TornLast { sectors: usize },
    /// Each independently with this seed (the disk reordered them), the last chosen one torn.
    Random { seed: u64 },
}

/// Every file of every disk, by full path.
#[derive(Debug, Default)]
struct Files {
    contents: BTreeMap<String, Vec<u8>>,
    /// Paths whose operations are recorded, by prefix, and their logs.
    logs: BTreeMap<String, Vec<Op>>,
}

fn files() -> &'static Mutex<Files> {
    static FILES: OnceLock<Mutex<Files>> = OnceLock::new();
    FILES.get_or_init(|| {
        sqlite_vfs::register(VFS_NAME, CrashVfs, false).expect("register the crash VFS");
        Mutex::new(Files::default())
    })
}

fn lock() -> MutexGuard<'static, Files> {
    files().lock().unwrap_or_else(|p| p.into_inner())
}

impl Files {
    /// Applies a write or truncation to its file's live content, then records it.
    fn perform(&mut self, op: Op) {
        let content = self.contents.entry(op.file().to_string()).or_default();
        apply(content, &op, usize::MAX);
        self.record(op);
    }

    fn record(&mut self, op: Op) {
        let path = op.file();
        if let Some((_, log)) = self
            .logs
            .iter_mut()
            .find(|(prefix, _)| path.starts_with(*prefix))
        {
            log.push(op);
        }
    }
}

/// One simulated disk: the files under its prefix, recorded or not.
#[derive(Debug)]
pub struct CrashDisk {
    prefix: String,
}

impl CrashDisk {
    /// A new, empty disk; `recorded` disks log every operation for [`CrashDisk::ops`].
    pub fn new(recorded: bool) -> CrashDisk {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let prefix = format!("/crash-disk-{}/", NEXT.fetch_add(1, Ordering::Relaxed));
        if recorded {
            lock().logs.insert(prefix.clone(), Vec::new());
        }
        CrashDisk { prefix }
    }

    /// The URI that opens `name` on this disk through the shim.
    pub fn uri(&self, name: &str) -> String {
        format!("file:{}{name}?vfs={VFS_NAME}", self.prefix)
    }

    /// Every operation so far (recorded disks).
    pub fn ops(&self) -> Vec<Op> {
        lock().logs.get(&self.prefix).cloned().unwrap_or_default()
    }

    /// How many operations are recorded so far.
    pub fn op_count(&self) -> usize {
        lock().logs.get(&self.prefix).map_or(0, Vec::len)
    }

    /// [`CrashDisk::op_count`] as a function another thread can call (a commit callback).
    pub fn op_counter(&self) -> impl Fn() -> usize + Send + 'static {
        let prefix = self.prefix.clone();
        move || lock().logs.get(&prefix).map_or(0, Vec::len)
    }

    /// A new disk holding `files` (name → content), e.g. a crash image.
    pub fn with_files(files: &BTreeMap<String, Vec<u8>>) -> CrashDisk {
        let disk = CrashDisk::new(false);
        let mut all = lock();
        for (name, content) in files {
            all.contents
                .insert(format!("{}{name}", disk.prefix), content.clone());
        }
        disk
    }

    /// `uri` for code that joins its own file name to a data dir: the name lands in the
    /// query (`…?vfs=vigil-crash&/store.db`, an ignored parameter), so every such file is
    /// the one database `store` on this disk.
    pub fn dir_uri(&self) -> String {
        format!("{}&", self.uri("store"))
    }

    /// The power-loss check of a recorded run: at every sync (just before it), the image
    /// with every unsynced write dropped, and every `variant_every`-th sync also with all of
    /// them kept, the last one torn, and a random subset, each put on a fresh disk and
    /// handed to `check` with how many acknowledgements came before that point
    /// (`acked_at[i]` is the op count when acknowledgement `i` was given) and a name for
    /// failure messages. Returns (syncs, images checked).
    pub fn every_crash_point(
        &self,
        acked_at: &[usize],
        variant_every: usize,
        mut check: impl FnMut(&CrashDisk, usize, &str),
    ) -> (usize, usize) {
        let ops = self.ops();
        let points = Timeline::sync_points(&ops);
        let mut timeline = self.timeline(&ops);
        let (mut due, mut images) = (0, 0);
        for (i, &at) in points.iter().enumerate() {
            timeline.advance(at);
            while due < acked_at.len() && acked_at[due] <= at {
                due += 1;
            }
            let mut variants = vec![Survivors::None];
            if i % variant_every.max(1) == 0 {
                variants.extend([
                    Survivors::All,
                    Survivors::TornLast { sectors: 1 + i % 7 },
                    Survivors::Random { seed: i as u64 },
                ]);
            }
            for survivors in variants {
                let disk = CrashDisk::with_files(&timeline.image(survivors));
                check(
                    &disk,
                    due,
                    &format!("power loss before sync {i} ({survivors:?})"),
                );
                images += 1;
            }
        }
        (points.len(), images)
    }

    /// Walks this disk's recorded `ops` from the start (see [`Timeline`]).
    pub fn timeline<'a>(&self, ops: &'a [Op]) -> Timeline<'a> {
        Timeline {
            ops,
            at: 0,
            prefix: self.prefix.clone(),
            synced: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }
}

/// A recorded log walked once, forward: each file as of its last sync, and the writes
/// made to it since, so the image of a power loss at any point costs one copy.
#[derive(Debug)]
pub struct Timeline<'a> {
    ops: &'a [Op],
    at: usize,
    prefix: String,
    synced: BTreeMap<String, Vec<u8>>,
    pending: BTreeMap<String, Vec<&'a Op>>,
}

impl<'a> Timeline<'a> {
    /// The crash points worth trying: just before every sync.
    pub fn sync_points(ops: &[Op]) -> Vec<usize> {
        (0..ops.len())
            .filter(|&i| matches!(ops[i], Op::Sync { .. }))
            .collect()
    }

    /// Moves to just after the first `to` operations (never backwards).
    pub fn advance(&mut self, to: usize) {
        for op in &self.ops[self.at..to.max(self.at)] {
            match op {
                Op::Sync { file } => {
                    let content = self.synced.entry(file.clone()).or_default();
                    for op in self.pending.remove(file).unwrap_or_default() {
                        apply(content, op, usize::MAX);
                    }
                }
                Op::Write { file, .. } | Op::Truncate { file, .. } => {
                    self.synced.entry(file.clone()).or_default();
                    self.pending.entry(file.clone()).or_default().push(op);
                }
            }
        }
        self.at = self.at.max(to);
    }

    /// What a power loss here leaves: every file as of its last sync, plus the unsynced
    /// writes `survivors` picks. Names are relative to the disk.
    pub fn image(&self, survivors: Survivors) -> BTreeMap<String, Vec<u8>> {
        let mut rng = match survivors {
            Survivors::Random { seed } => Some(seed),
            _ => None,
        };
        let mut chosen: Vec<(&str, &Op)> = Vec::new();
        for (file, ops) in &self.pending {
            for op in ops {
                let keep = match (&mut rng, survivors) {
                    (Some(state), _) => splitmix(state).is_multiple_of(2),
                    (None, Survivors::None) => false,
                    (None, _) => true,
                };
                if keep {
                    chosen.push((file, op));
                }
            }
        }
        let torn = match survivors {
            Survivors::TornLast { sectors } => Some(sectors),
            Survivors::Random { seed } => Some((seed % 8) as usize),
            Survivors::None | Survivors::All => None,
        };
        let mut image = self.synced.clone();
        let last = chosen.len().checked_sub(1);
        for (i, (file, op)) in chosen.into_iter().enumerate() {
            let limit = match torn {
                Some(sectors) if Some(i) == last => sectors * SECTOR,
                _ => usize::MAX,
            };
            apply(
                image
                    .get_mut(file)
                    .expect("every pending file has an entry"),
                op,
                limit,
            );
        }
        image
            .into_iter()
            .map(|(file, content)| (file.trim_start_matches(&self.prefix).to_string(), content))
            .collect()
    }
}

impl Drop for CrashDisk {
    fn drop(&mut self) {
        let mut all = lock();
        all.logs.remove(&self.prefix);
        all.contents
            .retain(|path, _| !path.starts_with(&self.prefix));
    }
}

/// Applies a write (its first `limit` bytes) or a truncation to `content`.
fn apply(content: &mut Vec<u8>, op: &Op, limit: usize) {
    match op {
        Op::Write { offset, data, .. } => {
            let data = &data[..data.len().min(limit)];
            let start = usize::try_from(*offset).expect("offsets fit in memory");
            if content.len() < start + data.len() {
                content.resize(start + data.len(), 0);
            }
            content[start..start + data.len()].copy_from_slice(data);
        }
        Op::Truncate { len, .. } if limit == usize::MAX => {
            content.resize(usize::try_from(*len).expect("lengths fit in memory"), 0);
        }
        Op::Truncate { .. } | Op::Sync { .. } => {}
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The VFS: files live in [`files`]; one connection per database, so locks always succeed.
struct CrashVfs;

/// An open file: its path and the lock SQLite believes it holds.
struct CrashFile {
    path: String,
    lock: LockKind,
}

/// The connection's own WAL index (not shared: one connection per database).
struct PrivateWalIndex;

impl WalIndex for PrivateWalIndex {
    fn map(&mut self, _region: u32) -> Result<[u8; 32768], Error> {
        Ok([0; 32768])
    }

    fn lock(&mut self, _locks: Range<u8>, _lock: WalIndexLock) -> Result<bool, Error> {
        Ok(true)
    }

    fn delete(self) -> Result<(), Error> {
        Ok(())
    }
}

impl Vfs for CrashVfs {
    type Handle = CrashFile;

    fn open(&self, db: &str, opts: OpenOptions) -> Result<CrashFile, Error> {
        let mut all = lock();
        let exists = all.contents.contains_key(db);
        match opts.access {
            OpenAccess::Read | OpenAccess::Write if !exists => {
                return Err(Error::new(ErrorKind::NotFound, db.to_string()));
            }
            OpenAccess::CreateNew if exists => {
                return Err(Error::new(ErrorKind::AlreadyExists, db.to_string()));
            }
            _ => {}
        }
        all.contents.entry(db.to_string()).or_default();
        Ok(CrashFile {
            path: db.to_string(),
            lock: LockKind::None,
        })
    }

    fn delete(&self, db: &str) -> Result<(), Error> {
        let mut all = lock();
        all.contents.remove(db);
        // A deleted file is empty after a crash too (SQLite syncs the directory).
        all.record(Op::Truncate {
            file: db.to_string(),
            len: 0,
        });
        all.record(Op::Sync {
            file: db.to_string(),
        });
        Ok(())
    }

    fn exists(&self, db: &str) -> Result<bool, Error> {
        Ok(lock().contents.contains_key(db))
    }

    fn temporary_name(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        format!("/crash-temp/{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }

    fn random(&self, buffer: &mut [i8]) {
        let mut state = 0x5eed;
        for byte in buffer {
            *byte = splitmix(&mut state) as i8;
        }
    }

    fn sleep(&self, duration: Duration) -> Duration {
        std::thread::sleep(duration);
        duration
    }
}

impl DatabaseHandle for CrashFile {
    type WalIndex = PrivateWalIndex;

    fn size(&self) -> Result<u64, Error> {
        Ok(lock()
            .contents
            .get(&self.path)
            .map_or(0, |c| c.len() as u64))
    }

    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> Result<(), Error> {
        let all = lock();
        let content = all.contents.get(&self.path).map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(offset).map_err(|e| Error::new(ErrorKind::InvalidInput, e))?;
        if start + buf.len() > content.len() {
            return Err(Error::new(ErrorKind::UnexpectedEof, "short read"));
        }
        buf.copy_from_slice(&content[start..start + buf.len()]);
        Ok(())
    }

    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> Result<(), Error> {
        lock().perform(Op::Write {
            file: self.path.clone(),
            offset,
            data: buf.to_vec(),
        });
        Ok(())
    }

    fn sync(&mut self, _data_only: bool) -> Result<(), Error> {
        lock().record(Op::Sync {
            file: self.path.clone(),
        });
        Ok(())
    }

    fn set_len(&mut self, size: u64) -> Result<(), Error> {
        lock().perform(Op::Truncate {
            file: self.path.clone(),
            len: size,
        });
        Ok(())
    }

    fn lock(&mut self, lock: LockKind) -> Result<bool, Error> {
        self.lock = lock;
        Ok(true)
    }

    fn reserved(&mut self) -> Result<bool, Error> {
        Ok(false)
    }

    fn current_lock(&self) -> Result<LockKind, Error> {
        Ok(self.lock)
    }

    fn wal_index(&self, _readonly: bool) -> Result<PrivateWalIndex, Error> {
        Ok(PrivateWalIndex)
    }
}
