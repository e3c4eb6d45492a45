//! Group commit for SQLite: threads whose commits are written to the WAL share one `fdatasync`.
//!
//! SQLite's `synchronous=FULL` syncs the WAL inside every commit, while the writer holds the
//! database's write lock: 16 threads making money calls wait for 16 syncs one after the other.
//! The journal runs SQLite with `synchronous=NORMAL` instead (a commit is written to the WAL,
//! in the page cache, and not synced) and syncs the WAL itself after the commit, outside the
//! lock, the way PostgreSQL groups its commits: a thread that needs its commit durable either
//! finds that a sync which started after its commit has finished, or starts one that covers
//! every commit written so far. No caller is told a write is done before a sync that began
//! after it returned. Across processes each process syncs its own commits (the kernel syncs
//! the file, whichever process wrote it).
//!
//! `fdatasync` on our own descriptor of the `-wal` file syncs the same file SQLite writes (the
//! sync is of the file, not of a descriptor). SQLite keeps no POSIX locks on the `-wal` file,
//! so opening and closing ours releases none of SQLite's. The WAL is never unlinked while a
//! connection of ours is open; it is truncated or rewritten in place, and a sync covers that
//! too. A sync that fails is never retried: after a failed `fdatasync` the kernel may have
//! dropped the dirty pages and a second call would report success for data that is gone
//! (PostgreSQL's "fsyncgate"), so every later write of this process fails instead.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};

use crate::JournalError;

/// The groups of this process, by process id and WAL file.
type Groups = HashMap<(u32, PathBuf), Weak<GroupSync>>;

/// One per WAL file per process: every journal of the process on that file shares it.
pub(crate) struct GroupSync {
    wal: PathBuf,
    state: Mutex<SyncState>,
    synced: Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Commits written to the WAL so far (numbered from 1).
    committed: u64,
    /// Every commit up to this number is durable.
    synced: u64,
    /// A thread is syncing (the others wait for it rather than sync again).
    syncing: bool,
    /// Our descriptor of the WAL, opened on the first sync.
    file: Option<File>,
    /// The first sync that failed: nothing is durable from then on.
    failed: Option<String>,
}

/// A commit to make durable: [`SyncTicket::wait`] returns once it is.
pub(crate) struct SyncTicket {
    sync: Arc<GroupSync>,
    commit: u64,
}

impl SyncTicket {
    pub(crate) fn wait(self) -> Result<(), JournalError> {
        self.sync.wait(self.commit)
    }
}

impl GroupSync {
    /// The process's group for the database file `database` (its WAL is `database-wal`).
    pub(crate) fn for_database(database: &Path) -> Arc<Self> {
        // Keyed by process too: a child forked while a thread of its parent was syncing must
        // not wait for that sync, which no thread of the child will ever finish.
        static GROUPS: Mutex<Option<Groups>> = Mutex::new(None);
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let key = (std::process::id(), wal.clone());
        let mut groups = GROUPS.lock().unwrap_or_else(PoisonError::into_inner);
        let groups = groups.get_or_insert_with(HashMap::new);
        groups.retain(|_, group| group.strong_count() > 0);
        if let Some(group) = groups.get(&key).and_then(Weak::upgrade) {
            return group;
        }
        let group = Arc::new(Self {
            wal,
            state: Mutex::new(SyncState::default()),
            synced: Condvar::new(),
        });
        groups.insert(key, Arc::downgrade(&group));
        group
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a commit just written to the WAL (call it while the connection that wrote it is
    /// still held, so that numbers follow the WAL's order within the process).
    pub(crate) fn committed(self: &Arc<Self>) -> SyncTicket {
        let mut state = self.lock();
        state.committed += 1;
        SyncTicket {
            sync: Arc::clone(self),
            commit: state.committed,
        }
    }

    fn wait(&self, commit: u64) -> Result<(), JournalError> {
        let mut state = self.lock();
        loop {
            if let Some(reason) = &state.failed {
                return Err(JournalError::Store(format!(
                    "sqlite: syncing the journal's WAL failed ({reason}); nothing written since \
                     is known to be durable: restart the process"
                )));
            }
            if state.synced >= commit {
                return Ok(());
            }
            if state.syncing {
                state = self
                    .synced
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Lead: sync everything written so far, without holding the lock, while later
            // commits queue behind this sync.
            state.syncing = true;
            let covers = state.committed;
            let file = state.file.take();
            drop(state);
            let result = match file {
                Some(file) => file.sync_data().map(|()| file),
                None => self.open_and_sync(),
            };
            state = self.lock();
            state.syncing = false;
            match result {
                Ok(file) => {
                    state.file = Some(file);
                    state.synced = state.synced.max(covers);
                }
                Err(e) => state.failed = Some(e.to_string()),
            }
            self.synced.notify_all();
        }
    }

    /// The first sync: opens the WAL and syncs it, then its directory, once (SQLite does the
    /// same after creating a WAL, so that the file's name survives a power cut too).
    fn open_and_sync(&self) -> std::io::Result<File> {
        let file = File::open(&self.wal)?;
        file.sync_data()?;
        if let Some(dir) = self.wal.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)?.sync_all()?;
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("vngate-group-sync-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("journal.db")
    }

    #[test]
    fn threads_waiting_together_all_return_once_synced() {
        let database = scratch("threads");
        std::fs::write(format!("{}-wal", database.display()), b"frames").unwrap();
        let group = GroupSync::for_database(&database);
        assert!(
            Arc::ptr_eq(&group, &GroupSync::for_database(&database)),
            "one per file"
        );
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        group.committed().wait().unwrap();
                    }
                });
            }
        });
        let state = group.lock();
        assert_eq!((state.committed, state.synced), (320, 320));
        assert!(!state.syncing);
    }

    #[test]
    fn a_failed_sync_fails_every_later_write_even_once_it_could_succeed() {
        let database = scratch("failed");
        // No WAL file: the first sync cannot open it.
        let group = GroupSync::for_database(&database);
        let first = group.committed().wait().unwrap_err();
        assert!(first.to_string().contains("restart the process"), "{first}");
        std::fs::write(format!("{}-wal", database.display()), b"frames").unwrap();
        assert!(group.committed().wait().is_err(), "never retried");
    }
}
