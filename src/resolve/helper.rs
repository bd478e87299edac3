//! Running a docker credential helper (`docker-credential-NAME get`), bounded; [`run`] is the bounded
//! runner, which `git credential fill` goes through too.
//!
//! The protocol (docker-credential-helpers): the server URL on stdin, a JSON object with `Username` and
//! `Secret` on stdout and exit 0; exit 1 with "credentials not found" when it holds nothing for the server.
//! A helper is another program, and `credsStore` may name any one on `PATH`: it gets `--timeout` to finish
//! (its output closed and its process exited), and at most [`OUTPUT_CAP`] bytes on each of stdout and
//! stderr. Past either bound its whole process group is killed (it runs in a group of its own, so a child
//! it left holding stdout goes too) and the lookup fails naming it. Its output is never printed: it may
//! hold the secret.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The most a helper may print on stdout, and on stderr: a credential is a few kilobytes at most.
pub const OUTPUT_CAP: usize = 1 << 20;

/// What a helper answered.
#[derive(Debug)]
pub struct Answer {
    pub username: String,
    pub secret: String,
}

#[derive(Debug)]
pub enum HelperError {
    /// It could not be started: not installed (`NotFound`), not executable, a missing interpreter.
    NotRun(std::io::ErrorKind),
    /// It did not finish within the time limit; it was killed.
    TimedOut,
    /// It printed more than [`OUTPUT_CAP`] bytes on stdout or stderr; it was killed.
    TooMuch,
    /// It exited with a failure. The output is for telling "credentials not found", never for printing.
    Failed { output: String },
    /// Its stdout is not the JSON object the protocol says.
    Malformed,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    username: String,
    secret: String,
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// Runs `program get` with `server` on stdin, within `limit`.
pub fn get(program: &str, server: &str, limit: Duration) -> Result<Answer, HelperError> {
    let mut cmd = Command::new(program);
    cmd.arg("get");
    let done = run(cmd, server.as_bytes(), limit)?;
    if !done.success {
        return Err(HelperError::Failed {
            output: format!(
                "{}\n{}",
                String::from_utf8_lossy(&done.stdout),
                String::from_utf8_lossy(&done.stderr)
            ),
        });
    }
    let response: Response =
        serde_json::from_slice(&done.stdout).map_err(|_| HelperError::Malformed)?;
    Ok(Answer {
        username: response.username,
        secret: response.secret,
    })
}

/// What a bounded program left: whether it exited 0, and its output (never to be printed: it may hold a
/// secret).
pub struct Finished {
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `cmd` in a process group of its own with `input` on stdin, within `limit` (its output closed and its
/// process exited) and [`OUTPUT_CAP`] bytes on each of stdout and stderr; past either bound the whole
/// group is killed.
pub fn run(mut cmd: Command, input: &[u8], limit: Duration) -> Result<Finished, HelperError> {
    let deadline = Instant::now() + limit;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| HelperError::NotRun(e.kind()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A few bytes, well within a pipe's buffer; a helper that does not read them is its business.
        let _ = stdin.write_all(input);
    }
    let (tx, rx) = mpsc::channel();
    for (stream, pipe) in [
        (
            Stream::Out,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            Stream::Err,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let Some(pipe) = pipe else { continue };
        let tx = tx.clone();
        // Detached: a pipe held open by a process that escaped the group must not hold this run.
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = pipe
                .take(OUTPUT_CAP as u64 + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes);
            let _ = tx.send((stream, read));
        });
    }
    drop(tx);
    let (mut out, mut err) = (None, None);
    while out.is_none() || err.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((_, Ok(bytes))) if bytes.len() > OUTPUT_CAP => {
                stop(&mut child);
                return Err(HelperError::TooMuch);
            }
            Ok((Stream::Out, Ok(bytes))) => out = Some(bytes),
            Ok((Stream::Err, Ok(bytes))) => err = Some(bytes),
            Ok((Stream::Out, Err(_))) => out = Some(Vec::new()),
            Ok((Stream::Err, Err(_))) => err = Some(Vec::new()),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                stop(&mut child);
                return Err(HelperError::TimedOut);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Both streams are closed: the exit status, within what is left of the time.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                stop(&mut child);
                return Err(HelperError::TimedOut);
            }
        }
    };
    Ok(Finished {
        success: status.success(),
        stdout: out.unwrap_or_default(),
        stderr: err.unwrap_or_default(),
    })
}

/// Whether `program` (a name looked up on `PATH`, or a path) is an executable file, as `spawn` would find it.
pub fn installed(program: &str) -> bool {
    use std::path::Path;
    let executable = |p: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            p.is_file() || p.with_extension("exe").is_file()
        }
    };
    if program.contains(std::path::MAIN_SEPARATOR) {
        return executable(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| executable(&d.join(program))))
}

/// Kills the helper's process group (the helper and whatever it started), then reaps the helper.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = rustix::process::kill_process_group(
            rustix::process::Pid::from_child(child),
            rustix::process::Signal::KILL,
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn script(dir: &std::path::Path, name: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.display().to_string()
    }

    #[test]
    fn answers_failures_and_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let limit = Duration::from_secs(5);
        let ok = script(
            dir.path(),
            "ok",
            "read server\necho \"{\\\"Username\\\":\\\"u-$server\\\",\\\"Secret\\\":\\\"s\\\"}\"\n",
        );
        let a = get(&ok, "reg.example\n", limit).unwrap();
        assert_eq!(
            (a.username.as_str(), a.secret.as_str()),
            ("u-reg.example", "s")
        );

        let none = script(
            dir.path(),
            "none",
            "echo 'credentials not found in native keychain'\nexit 1\n",
        );
        match get(&none, "x", limit) {
            Err(HelperError::Failed { output }) => {
                assert!(output.contains("credentials not found"))
            }
            other => panic!("{other:?}"),
        }
        let junk = script(dir.path(), "junk", "echo not json\n");
        assert!(matches!(
            get(&junk, "x", limit),
            Err(HelperError::Malformed)
        ));
        assert!(matches!(
            get(&dir.path().join("absent").display().to_string(), "x", limit),
            Err(HelperError::NotRun(std::io::ErrorKind::NotFound))
        ));

        // A helper that exits at once without reading the server it was sent has run: it failed.
        let deaf = script(dir.path(), "deaf", "exit 3\n");
        assert!(matches!(
            get(&deaf, "x", limit),
            Err(HelperError::Failed { .. })
        ));
        assert!(installed(&deaf) && !installed(&dir.path().join("absent").display().to_string()));

        // Just at the cap is fine (and not JSON); one byte more is too much, on either stream.
        let at_cap = script(
            dir.path(),
            "cap",
            &format!("head -c {OUTPUT_CAP} /dev/zero\n"),
        );
        assert!(matches!(
            get(&at_cap, "x", limit),
            Err(HelperError::Malformed)
        ));
        let over = script(
            dir.path(),
            "over",
            &format!("head -c {} /dev/zero >&2\n", OUTPUT_CAP + 1),
        );
        assert!(matches!(get(&over, "x", limit), Err(HelperError::TooMuch)));

        let slow = script(dir.path(), "slow", "sleep 20\n");
        let start = Instant::now();
        assert!(matches!(
            get(&slow, "x", Duration::from_millis(300)),
            Err(HelperError::TimedOut)
        ));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}
