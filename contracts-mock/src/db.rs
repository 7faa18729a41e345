//! The database thread: one OS thread owns the SQLite connection and runs jobs sent to it
//! one at a time, so blocking SQLite work (and every fsync) stays off the async workers,
//! and every state change is serialized without locks.
//!
//! Durability: WAL journal with `synchronous=FULL`, so a committed transaction is on disk
//! (the WAL fsynced) before `commit` returns, and a handler answers 2xx only after that.

use rusqlite::Connection;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

enum Message {
    Run(Job),
    Stop,
}

/// A handle for sending jobs to the database thread. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    jobs: mpsc::Sender<Message>,
}

/// Owns the database thread; `stop` finishes the queued jobs, closes the connection and
/// joins the thread.
#[derive(Debug)]
pub struct DbThread {
    jobs: mpsc::Sender<Message>,
    handle: JoinHandle<()>,
}

/// The database thread is gone (shutting down, or a job panicked and took it down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the database thread is not running")]
pub struct DbClosed;

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Run(_) => "Run",
            Message::Stop => "Stop",
        })
    }
}

/// Opens (creating if needed) the database at `path` with the durability pragmas.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // WAL + FULL: commit returns only after the WAL is fsynced.
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode stayed {mode}, WAL is required"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Moves `conn` onto its own thread and returns the job handle and the thread's owner.
pub fn spawn(conn: Connection) -> std::io::Result<(Db, DbThread)> {
    let (jobs, inbox) = mpsc::channel::<Message>();
    let handle = std::thread::Builder::new()
        .name("settlement-db".into())
        .spawn(move || serve(conn, inbox))?;
    Ok((Db { jobs: jobs.clone() }, DbThread { jobs, handle }))
}

fn serve(mut conn: Connection, inbox: mpsc::Receiver<Message>) {
    while let Ok(message) = inbox.recv() {
        match message {
            // A panicking job must not take the ledger down with it: its transaction rolls
            // back as it unwinds, its caller sees `DbClosed` (its reply sender is dropped),
            // and the thread goes on serving.
            Message::Run(job) => {
                if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut conn))).is_err() {
                    tracing::error!("a database job panicked; its transaction was rolled back");
                }
            }
            Message::Stop => break,
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::error!(error = %e, "closing the database failed");
    }
}

impl Db {
    /// Runs `job` on the database thread and returns its result.
    pub async fn call<R, F>(&self, job: F) -> Result<R, DbClosed>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // The caller may have gone away (client disconnected); the work is done either way.
            let _ = reply.send(job(conn));
        });
        self.jobs.send(Message::Run(job)).map_err(|_| DbClosed)?;
        answer.await.map_err(|_| DbClosed)
    }
}

impl DbThread {
    /// Lets the jobs already queued finish, then closes the connection and joins the thread.
    /// Jobs sent after this get `DbClosed`.
    pub fn stop(self) {
        // If the thread already ended, there is nothing left to stop.
        let _ = self.jobs.send(Message::Stop);
        if self.handle.join().is_err() {
            tracing::error!("the database thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_opened_in_wal_mode_with_full_sync() {
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = open(&dir.path().join("t.db")).expect("open");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("journal_mode");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("synchronous");
        assert_eq!((mode.as_str(), sync), ("wal", 2), "2 is FULL");
    }

    #[tokio::test]
    async fn a_panicking_job_is_isolated_and_stop_joins_the_thread() {
        let (db, thread) = spawn(Connection::open_in_memory().expect("open")).expect("spawn");
        let failed = db.call(|_| -> i64 { panic!("a job that panics") }).await;
        assert_eq!(failed, Err(DbClosed));
        let seven = db
            .call(|c| {
                c.query_row("SELECT 7", [], |r| r.get::<_, i64>(0))
                    .expect("select")
            })
            .await;
        assert_eq!(seven, Ok(7), "the thread still serves after a panic");
        thread.stop();
        assert_eq!(db.call(|_| 1).await, Err(DbClosed));
    }
}
