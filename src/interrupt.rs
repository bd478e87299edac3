//! SIGINT and SIGTERM: what an interrupt does depends on whether files are being replaced.
//!
//! Before any file is touched (reading, asking registries), an interrupt ends the run at once: there is
//! nothing to undo. While files are replaced ([`defer`]), it is only recorded: the writer stops staging and
//! removes its temporary files, or, once the renames have begun, finishes them, and the caller reports what
//! was written and exits 130 (SIGINT) or 143 (SIGTERM). Nothing happens until [`install`] is called, which
//! only the `pin` binary does: the library never takes over a process's signals.

use std::io::Write as _;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// Where the run is. While [`Phase::Deferring`], a signal is recorded in [`PENDING`] instead of ending the
/// process. The signal thread holds this lock while it decides, so a run cannot start replacing files
/// between that decision and the exit.
static PHASE: Mutex<Phase> = Mutex::new(Phase::Before);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No file touched yet.
    Before,
    Deferring,
    /// Files may have been replaced.
    After,
}

/// The signal that arrived while deferring, or 0.
static PENDING: AtomicI32 = AtomicI32::new(0);

/// A signal that asked `pin` to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    /// The conventional exit status of a process stopped by this signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    fn from_number(n: i32) -> Option<Signal> {
        match n {
            2 => Some(Signal::Interrupt),
            15 => Some(Signal::Terminate),
            _ => None,
        }
    }
}

/// Handles SIGINT and SIGTERM from now on (on a thread of its own). Unix only; elsewhere the default
/// (the process ends) stays.
#[cfg(unix)]
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for n in signals.forever() {
                arrived(n);
            }
        })?;
    Ok(())
}

#[cfg(not(unix))]
pub fn install() -> std::io::Result<()> {
    Ok(())
}

fn arrived(n: i32) {
    let Some(signal) = Signal::from_number(n) else {
        return;
    };
    let phase = PHASE.lock().unwrap_or_else(|e| e.into_inner());
    match *phase {
        Phase::Deferring => {
            PENDING.store(n, Ordering::SeqCst);
            return;
        }
        // Keeping the lock: no file can start being replaced now.
        // The one message not sent through a reporter: this thread has none, and the process ends here.
        Phase::Before => {
            let _ = writeln!(
                std::io::stderr(),
                "pin: interrupted by {}; no file was written",
                signal.name()
            );
        }
        Phase::After => {
            let _ = writeln!(std::io::stderr(), "pin: interrupted by {}", signal.name());
        }
    }
    std::process::exit(i32::from(signal.exit_code()));
}

/// Files are being replaced while the guard lives: signals are recorded, for [`pending`], not acted on.
#[must_use = "signals are deferred only while the guard lives"]
pub struct Deferred(());

/// Starts deferring signals. If one arrives, the writer sees it through [`pending`] and the caller must
/// end the run with its exit code once the files are consistent.
pub fn defer() -> Deferred {
    *PHASE.lock().unwrap_or_else(|e| e.into_inner()) = Phase::Deferring;
    Deferred(())
}

impl Drop for Deferred {
    fn drop(&mut self) {
        *PHASE.lock().unwrap_or_else(|e| e.into_inner()) = Phase::After;
    }
}

/// The signal that arrived while deferring, if any.
pub fn pending() -> Option<Signal> {
    Signal::from_number(PENDING.load(Ordering::SeqCst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(Signal::from_number(2), Some(Signal::Interrupt));
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::from_number(15), Some(Signal::Terminate));
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::from_number(0), None);
    }
}
