//! The socket file on disk: binding it with the configured permissions, clearing a stale one
//! left by a crash, and removing ours (and only ours) at shutdown.
//!
//! The socket is bound under a temporary name, given its mode, then renamed into place, so it
//! never exists at the configured path with the process umask's looser permissions: a client
//! that connected in that window would be accepted later, whatever the mode says.

use std::fs::{self, Permissions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;
use tracing::{info, warn};

#[derive(Debug, thiserror::Error)]
pub enum SocketFileError {
    #[error("{0} exists and is not a socket; refusing to replace it")]
    NotASocket(PathBuf),
    #[error("{0} is in use: another process accepts connections on it")]
    InUse(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// A socket file this process created. Dropping it removes the file if it is still ours.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    /// Device and inode of the file we bound: another process may have replaced it since.
    identity: (u64, u64),
}

impl SocketFile {
    /// Binds a listener at `path` with permission bits `mode`, after clearing a stale file.
    pub fn bind(path: &Path, mode: u32) -> Result<(UnixListener, SocketFile), SocketFileError> {
        clear_stale(path)?;
        let temporary = temporary_name(path);
        let _ = fs::remove_file(&temporary);
        let listener = UnixListener::bind(&temporary).map_err(|e| io_error(&temporary, e))?;
        let placed =
            fs::set_permissions(&temporary, Permissions::from_mode(mode)).and_then(|()| fs::rename(&temporary, path));
        if let Err(source) = placed {
            let _ = fs::remove_file(&temporary);
            return Err(io_error(path, source));
        }
        let meta = fs::symlink_metadata(path).map_err(|e| io_error(path, e))?;
        Ok((listener, SocketFile { path: path.to_owned(), identity: (meta.dev(), meta.ino()) }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours = fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.identity);
        if ours {
            if let Err(e) = fs::remove_file(&self.path) {
                warn!(path = %self.path.display(), error = %e, "could not remove the socket file");
            }
        }
    }
}

/// Removes `path` if it is a socket nobody listens on (left by a crash); refuses to touch a
/// live socket or anything that is not a socket.
fn clear_stale(path: &Path) -> Result<(), SocketFileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(path, e)),
    };
    if !meta.file_type().is_socket() {
        return Err(SocketFileError::NotASocket(path.to_owned()));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(SocketFileError::InUse(path.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            info!(path = %path.display(), "removing a stale socket file");
            match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(path, e)),
                _ => Ok(()),
            }
        }
        Err(e) => Err(io_error(path, e)),
    }
}

fn io_error(path: &Path, source: io::Error) -> SocketFileError {
    SocketFileError::Io { path: path.to_owned(), source }
}

/// A short sibling name: socket paths are limited to 107 bytes.
fn temporary_name(path: &Path) -> PathBuf {
    path.with_file_name(format!(".{}.usphub", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("usphub-sf-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn binds_with_mode_replaces_stale_and_removes_on_drop() {
        let dir = dir("stale");
        let path = dir.join("s.sock");
        // A stale socket: bound, then its listener gone.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let (listener, file) = SocketFile::bind(&path, 0o600).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // Reachable at the final path after the rename.
        let client = tokio::net::UnixStream::connect(&path).await.unwrap();
        let (_server, _) = listener.accept().await.unwrap();
        drop(client);

        // A live socket is not stolen.
        assert!(matches!(SocketFile::bind(&path, 0o600), Err(SocketFileError::InUse(_))));
        drop(file);
        assert!(!path.exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn never_replaces_a_regular_file() {
        let dir = dir("regular");
        let path = dir.join("data");
        fs::write(&path, b"precious").unwrap();
        assert!(matches!(SocketFile::bind(&path, 0o660), Err(SocketFileError::NotASocket(_))));
        assert_eq!(fs::read(&path).unwrap(), b"precious");
        fs::remove_dir_all(dir).unwrap();
    }
}
