//! Getting resolutions: from the `--offline` lockfile or from the registries (with a progress line on a
//! terminal), and recording them back in the lockfile.

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{LockArgs, OutputArgs, RegistryArgs};
use crate::resolve::lock::Lockfile;
use crate::resolve::{self, Key, Resolutions, ResolveError};

/// The outcome of looking keys up, and the lockfile to record them in.
pub(super) struct Lookup {
    pub(super) resolved: Resolutions,
    lock: Option<(Lockfile, PathBuf)>,
    offline: bool,
}

impl Lookup {
    /// No lookups and no lockfile (`pin unpin`).
    pub(super) fn none() -> Lookup {
        Lookup {
            resolved: Resolutions::new(),
            lock: None,
            offline: false,
        }
    }

    /// Records every successful resolution in the lockfile, if there is one and this run was online.
    /// `false` when the lockfile could not be written (already reported).
    pub(super) fn save_lock(&mut self, err: &mut dyn Write) -> io::Result<bool> {
        let Some((lock, path)) = &mut self.lock else {
            return Ok(true);
        };
        if self.offline {
            return Ok(true);
        }
        for (key, manifest) in &self.resolved {
            if let (Ok(m), None) = (manifest, &key.current) {
                lock.record(key, m);
            }
        }
        match lock.save(path) {
            Ok(()) => Ok(true),
            Err(e) => {
                writeln!(err, "pin: error: {e}")?;
                Ok(false)
            }
        }
    }
}

/// Resolves `keys` from the lockfile (`--offline`) or the registries. `None` when nothing could be looked up
/// at all (a bad lockfile or CA file; already reported). Failures of single keys are in the map.
pub(super) fn resolutions(
    registry: &RegistryArgs,
    lock_args: Option<&LockArgs>,
    keys: BTreeSet<Key>,
    output: &OutputArgs,
    err: &mut dyn Write,
) -> io::Result<Option<Lookup>> {
    let offline = lock_args.is_some_and(|l| l.offline);
    let lock = match lock_args.and_then(|l| l.lock.as_ref()) {
        Some(path) => match Lockfile::load(path) {
            Ok(l) => Some((l, path.clone())),
            Err(e) => {
                writeln!(err, "pin: error: {e}")?;
                return Ok(None);
            }
        },
        None => None,
    };
    let resolved = match (&lock, offline) {
        _ if keys.is_empty() => Resolutions::new(),
        (Some((lock, path)), true) => {
            let shown = path.display();
            keys.into_iter()
                .map(|key| {
                    let found = lock.get(&key).ok_or_else(|| {
                        ResolveError::NotFound(format!(
                            "{key} is not in {shown}; run once without --offline to record it"
                        ))
                    });
                    (key, found)
                })
                .collect()
        }
        _ => {
            let progress = !output.quiet && io::stderr().is_terminal();
            match resolve_online(registry, keys, progress) {
                Ok((resolved, stats)) => {
                    if output.verbose {
                        writeln!(err, "pin: {stats}")?;
                    }
                    resolved
                }
                Err(e) => {
                    writeln!(err, "pin: error: {e}")?;
                    return Ok(None);
                }
            }
        }
    };
    Ok(Some(Lookup {
        resolved,
        lock,
        offline,
    }))
}

fn resolve_online(
    args: &RegistryArgs,
    keys: BTreeSet<Key>,
    progress: bool,
) -> Result<(Resolutions, String), ResolveError> {
    let routes = routes(args)?;
    let mut insecure = args.insecure_registry.clone();
    insecure.extend(routes.insecure_hosts());
    let options = resolve::ClientOptions {
        insecure,
        timeout: Duration::from_secs(args.timeout),
        ca_files: args.ca_cert.clone(),
        ..Default::default()
    };
    let client = resolve::Client::new(options, Arc::new(resolve::auth::DockerConfig))?;
    let resolver = resolve::Resolver::with_routes(client, usize::from(args.jobs), routes);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ResolveError::Config(format!("cannot start the async runtime: {e}")))?;
    let mut stderr = io::stderr();
    let mut report = |done: usize, total: usize| {
        if progress {
            // One line, redrawn in place; cleared when done so the messages that follow start clean.
            let _ = if done < total {
                write!(stderr, "\r\x1b[2Kpin: resolving {done}/{total}")
            } else {
                write!(stderr, "\r\x1b[2K")
            };
            let _ = stderr.flush();
        }
    };
    let resolved = runtime.block_on(resolver.resolve_all(keys, &mut report));
    let mut stats = resolver.stats().summary();
    for (key, host) in resolver.answered_by() {
        stats.push_str(&format!("\npin: {key} answered by {host}"));
    }
    Ok((resolved, stats))
}

/// Where lookups go: registries.conf (as podman and skopeo read it), then the configuration file's
/// `[[registry]]` tables, then `--mirror` flags; a later table for the same prefix replaces an earlier one.
fn routes(args: &RegistryArgs) -> Result<resolve::mirrors::Routes, ResolveError> {
    let config = |e: resolve::mirrors::RouteError| ResolveError::Config(e.to_string());
    let mut routes = resolve::mirrors::Routes::default();
    routes
        .load_files(&resolve::mirrors::Routes::system_files())
        .map_err(config)?;
    for (table, origin) in &args.registry_tables {
        routes.add(table.clone(), origin).map_err(config)?;
    }
    for flag in &args.mirror {
        routes.add_mirror_flag(flag).map_err(config)?;
    }
    Ok(routes)
}
