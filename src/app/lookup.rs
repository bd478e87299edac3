//! Getting resolutions: from the `--offline` lockfile or from the registries (with a progress line on a
//! terminal), and recording them back in the lockfile.

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::report::Code;
use crate::resolve::attestation;
use crate::resolve::cosign::PublicKey;
use crate::resolve::git::{self, ActionKey, ActionResolutions};
use crate::resolve::lock::{LockError, Lockfile};
use crate::resolve::policy::Policy;
use crate::resolve::sigstore::{Identity, Matcher, Trust};
use crate::resolve::verify::{Pinned, Verifications, Verified};
use crate::resolve::{self, Key, Resolutions, ResolveError};
use crate::rewrite::owned::Place;
use crate::settings::{
    CacheSettings, Labels, LockSettings, OutputSettings, RegistrySettings, SignatureSettings,
};

/// The outcome of looking keys up, and the lockfile to record them in.
pub(super) struct Lookup {
    /// What the run must say about the registries although it worked: a rate-limit quota running low.
    pub(super) quota_warnings: Vec<String>,
    pub(super) resolved: Resolutions,
    /// The registry requests made, as one line (for `-v`); `None` when no registry was asked.
    pub(super) requests: Option<String>,
    /// For each key a mirror or a remapped location answered (lockfile key → `host/repository`).
    pub(super) answered_by: std::collections::BTreeMap<String, String>,
    /// `pin update --format markdown`: the OCI labels of each new digest a moved tag points at (or why they
    /// could not be read).
    pub(super) labels: std::collections::BTreeMap<String, Result<resolve::Labels, String>>,
    /// `-vv`: one line per lookup, its answer and where the answer came from.
    pub(super) details: Vec<String>,
    /// What was not a failure but should be known (a credential helper that is not installed).
    pub(super) warnings: Vec<String>,
    /// What each GitHub Actions ref names.
    pub(super) actions: ActionResolutions,
    /// `pin unpin --from-lock`: the tags its lockfile records for each digest.
    pub(super) tags: Option<crate::resolve::lock::Tags>,
    lock: Option<(Lockfile, Place)>,
    offline: bool,
}

/// Why nothing could be looked up at all. Failures of single keys are in [`Lookup::resolved`].
#[derive(Debug, thiserror::Error)]
pub(super) enum LookupError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Setup(#[from] ResolveError),
}

impl LookupError {
    pub(super) fn code(&self) -> Code {
        match self {
            LookupError::Lock(_) => Code::Lockfile,
            LookupError::Setup(_) => Code::Setup,
        }
    }
}

impl Lookup {
    /// No lookups and no lockfile (`pin unpin`).
    pub(super) fn none() -> Lookup {
        Lookup {
            resolved: Resolutions::new(),
            requests: None,
            answered_by: Default::default(),
            labels: Default::default(),
            details: Vec::new(),
            quota_warnings: Vec::new(),
            actions: ActionResolutions::new(),
            warnings: Vec::new(),
            tags: None,
            lock: None,
            offline: false,
        }
    }

    /// No lookups; the tags the lockfile at `path` records (`pin unpin --from-lock`), which must exist.
    pub(super) fn tags_from(path: &std::path::Path) -> Result<Lookup, LookupError> {
        let shown = path.display().to_string();
        if path.is_dir() {
            return Err(LockError::Directory { path: shown }.into());
        }
        let lock =
            Lockfile::load(&Place::file_given(path))?.ok_or(LockError::NoTags { path: shown })?;
        Ok(Lookup {
            tags: Some(lock.tags()),
            ..Lookup::none()
        })
    }

    /// The first-seen records of the `--lock` file, if there is one.
    pub(super) fn lock_records(&self) -> Option<crate::resolve::seen::Records> {
        self.lock.as_ref().map(|(lock, _)| lock.records())
    }

    /// Replaces the first-seen records of the `--lock` file (written with it).
    pub(super) fn set_lock_records(&mut self, records: &crate::resolve::seen::Records) {
        if let Some((lock, _)) = &mut self.lock {
            lock.set_records(records);
        }
    }

    /// Records every successful resolution in the lockfile, if there is one and this run was online.
    pub(super) fn save_lock(&mut self) -> Result<(), LockError> {
        let Some((lock, path)) = &mut self.lock else {
            return Ok(());
        };
        if self.offline {
            return Ok(());
        }
        for (key, manifest) in &self.resolved {
            if let (Ok(m), None) = (manifest, &key.current) {
                lock.record(key, m);
            }
        }
        for (key, commit) in &self.actions {
            if let Ok(c) = commit {
                lock.record_action(key, c);
            }
        }
        lock.save(path)
    }
}

/// Resolves `keys` from the lockfile (`--offline`) or the registries. An error when nothing could be looked
/// up at all (a bad lockfile or CA file). Failures of single keys are in the map. With `labels`, the OCI
/// labels of every digest a moved tag (a key with a `current` digest) points at now are read too.
pub(super) fn resolutions(
    registry: &RegistrySettings,
    lock_args: Option<&LockSettings>,
    keys: BTreeSet<Key>,
    action_keys: BTreeSet<ActionKey>,
    output: &OutputSettings,
    labels: Labels,
    docker_hub_gets: bool,
) -> Result<Lookup, LookupError> {
    let offline = lock_args.is_some_and(|l| l.offline);
    let policy = signature_policy(&registry.signatures)?;
    if offline && policy.is_some() && !keys.is_empty() {
        return Err(LookupError::Setup(ResolveError::Config(
            "--offline cannot be combined with --require-signature, --require-attestation or --policy: \
             signatures are checked against the registry, and the lockfile records no signature; run \
             without --offline"
                .to_string(),
        )));
    }
    let lock = match lock_args.and_then(|l| l.path.as_ref()) {
        Some(path) => {
            let place = Place::file_given(path);
            match Lockfile::load(&place)? {
                Some(lock) => Some((lock, place)),
                // Offline, a missing lockfile is the one error, not one per reference it would have held.
                None if offline => {
                    return Err(LockError::Missing {
                        path: path.display().to_string(),
                    }
                    .into())
                }
                // The first run creates it.
                None => Some((Lockfile::new(), place)),
            }
        }
        None => None,
    };
    let mut requests = None;
    let mut quota_warnings = Vec::new();
    // Where each answer came from, for `-vv`: the lockfile, the cache, or a host (the registry, a mirror).
    let mut sources: std::collections::BTreeMap<Key, String> = Default::default();
    let mut answered_by = std::collections::BTreeMap::new();
    let mut read_labels = std::collections::BTreeMap::new();
    let mut warnings = Vec::new();
    let resolved = match (&lock, offline) {
        _ if keys.is_empty() => Resolutions::new(),
        (Some((lock, path)), true) => {
            let shown = path.shown();
            keys.into_iter()
                .map(|key| {
                    sources.insert(key.clone(), shown.clone());
                    let found = lock.get(&key).ok_or_else(|| not_recorded(&key, &shown));
                    (key, found)
                })
                .collect()
        }
        _ => {
            let progress = progress_shown(output);
            let mut cache = cache_for(&registry.cache)?;
            let (cached, keys): (Vec<_>, BTreeSet<Key>) = match &cache {
                Some(c) => {
                    let (hits, misses): (BTreeSet<Key>, BTreeSet<Key>) =
                        keys.into_iter().partition(|k| c.get(k).is_some());
                    let hits = hits
                        .into_iter()
                        .filter_map(|k| Some((c.get(&k)?, k)))
                        .map(|(m, k)| (k, Ok(m)))
                        .collect();
                    (hits, misses)
                }
                None => (Vec::new(), keys),
            };
            // Signatures are checked for cached answers too: with a policy, the registry is asked for them.
            let online = if keys.is_empty() && policy.is_none() {
                Online {
                    resolved: Resolutions::new(),
                    quota_warnings: Vec::new(),
                    stats: "requests: none".to_string(),
                    answered_by: Default::default(),
                    labels: Default::default(),
                    warnings: Vec::new(),
                }
            } else {
                resolve_online(
                    registry,
                    keys,
                    progress,
                    policy.as_ref(),
                    cached.clone(),
                    labels,
                    docker_hub_gets,
                )?
            };
            let (mut resolved, mut stats) = (online.resolved, online.stats);
            answered_by = online.answered_by;
            quota_warnings = online.quota_warnings;
            read_labels = online.labels;
            warnings = online.warnings;
            if let Some(mut c) = cache.take() {
                for (key, result) in &resolved {
                    let hit = cached.iter().any(|(k, _)| k == key);
                    if let (Ok(m), false) = (result, hit) {
                        c.record(key, m);
                    }
                }
                stats.push_str(&format!(
                    "; {} answers from the cache in {}",
                    cached.len(),
                    c.dir()
                ));
                if let Err(e) = c.save() {
                    stats.push_str(&format!(" (not updated: {e})"));
                }
            }
            // Kept as `resolve_online` left them when it checked their signatures.
            for (key, _) in &cached {
                sources.insert(key.clone(), "the cache".to_string());
            }
            for (key, result) in cached {
                resolved.entry(key).or_insert(result);
            }
            requests = Some(stats);
            resolved
        }
    };
    let details = resolved
        .iter()
        .map(|(key, result)| {
            let from = sources
                .get(key)
                .cloned()
                .or_else(|| answered_by.get(&key.to_string()).cloned())
                .unwrap_or_else(|| key.registry.clone());
            match result {
                Ok(m) => format!("{key}: {} (from {from})", m.digest),
                Err(_) => format!("{key}: failed (asked {from})"),
            }
        })
        .collect();
    let actions = match (&lock, offline) {
        _ if action_keys.is_empty() => ActionResolutions::new(),
        (Some((lock, path)), true) => {
            let shown = path.shown();
            action_keys
                .into_iter()
                .map(|key| {
                    let found = lock
                        .get_action(&key)
                        .ok_or_else(|| not_recorded(&key, &shown));
                    (key, found)
                })
                .collect()
        }
        _ => {
            let (actions, stats) = resolve_actions(registry, action_keys, progress_shown(output))?;
            requests = Some(match requests {
                Some(r) => format!("{r}; {stats}"),
                None => stats,
            });
            actions
        }
    };
    Ok(Lookup {
        resolved,
        requests,
        answered_by,
        labels: read_labels,
        details,
        quota_warnings,
        actions,
        warnings,
        tags: None,
        lock,
        offline,
    })
}

/// The git client for the registry settings (insecure hosts, CA files, timeouts, jobs), and the runtime to
/// drive it on.
fn git_client(
    args: &RegistrySettings,
) -> Result<(git::GitClient, tokio::runtime::Runtime), ResolveError> {
    // Plain HTTP the user chose may carry credentials; plain HTTP only a configuration file chose never does.
    let listed = &args.insecure_registries;
    let (insecure, insecure_by_config) = if listed.origin.is_file() {
        (Vec::new(), listed.value.clone())
    } else {
        (listed.value.clone(), Vec::new())
    };
    let options = resolve::ClientOptions {
        insecure,
        insecure_by_config,
        timeout: Duration::from_secs(*args.timeout),
        connect_timeout: Duration::from_secs(*args.connect_timeout),
        max_per_host: usize::from(*args.jobs),
        ca_files: args.ca_certs.value.clone(),
        ..Default::default()
    };
    let creds = git::UsualGitCredentials {
        helper_timeout: Duration::from_secs(*args.timeout),
    };
    let client = git::GitClient::new(options, Arc::new(creds), usize::from(*args.jobs))?;
    client.check_server(&args.actions_server)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ResolveError::Config(format!("cannot start the async runtime: {e}")))?;
    Ok((client, runtime))
}

/// Resolves action refs on their git server; the requests made, for `-v`.
fn resolve_actions(
    args: &RegistrySettings,
    keys: BTreeSet<ActionKey>,
    progress: bool,
) -> Result<(ActionResolutions, String), ResolveError> {
    let (client, runtime) = git_client(args)?;
    let mut report = progress_line(progress, "resolving actions");
    let resolved = runtime.block_on(client.resolve_all(keys, &mut report));
    Ok((resolved, client.stats.summary()))
}

/// `pin verify` for actions: whether each server still has each pinned commit, and the requests made.
pub(super) fn action_verifications(
    args: &RegistrySettings,
    pins: BTreeSet<(String, String, String)>,
    output: &OutputSettings,
) -> Result<(git::Holdings, String), ResolveError> {
    let (client, runtime) = git_client(args)?;
    let mut report = progress_line(progress_shown(output), "verifying actions");
    let held = runtime.block_on(client.verify_all(pins, &mut report));
    Ok((held, client.stats.summary()))
}

/// The signature rules of this run: `--policy FILE`, `--signature-key` or a keyless identity (each implies
/// `--require-signature`, unless an attestation is required: then only `--require-signature` asks for a
/// signature too), or none. `--require-signature` or `--require-attestation` alone names no signer: an
/// error.
fn signature_policy(args: &SignatureSettings) -> Result<Option<Policy>, ResolveError> {
    let attestation = attestation_requirement(args)?;
    let Some(policy) = signers(args, attestation.is_some())? else {
        return Ok(None);
    };
    Ok(Some(match attestation {
        Some(req) => policy.with_attestation(req, *args.require),
        None => policy,
    }))
}

/// Who must have signed, as a policy requiring signatures (`attestation`: whether an attestation is
/// required, for the message when no signer is named).
fn signers(args: &SignatureSettings, attestation: bool) -> Result<Option<Policy>, ResolveError> {
    let config = |e: String| ResolveError::Config(e);
    let trust = || match &*args.trusted_root {
        Some(path) => Trust::load(path).map_err(|e| config(format!("--trusted-root {e}"))),
        None => Ok(Trust::public_good()),
    };
    if let Some(path) = &*args.policy {
        return Policy::load(path, &trust()?).map(Some).map_err(config);
    }
    let keyless = args.identity.is_some()
        || args.identity_regexp.is_some()
        || args.issuer.is_some()
        || args.issuer_regexp.is_some();
    if keyless {
        let matcher = |exact: &Option<String>, regexp: &Option<String>, flag: &str| {
            match (exact, regexp) {
                (Some(s), _) => Ok(Matcher::Exact(s.clone())),
                (None, Some(r)) => Matcher::regexp(r).map_err(|e| config(format!("--{flag}-regexp: {e}"))),
                (None, None) => Err(config(format!(
                    "a keyless signature policy needs both the certificate's subject and its issuer: give --{flag} or --{flag}-regexp"
                ))),
            }
        };
        let identity = Identity {
            subject: matcher(&args.identity, &args.identity_regexp, "signature-identity")?,
            issuer: matcher(&args.issuer, &args.issuer_regexp, "signature-issuer")?,
        };
        return Ok(Some(Policy::keyless(identity, trust()?)));
    }
    if args.keys.is_empty() {
        if *args.require || attestation {
            let flag = if attestation {
                "--require-attestation"
            } else {
                "--require-signature"
            };
            return Err(ResolveError::Config(format!(
                "{flag} needs a signer to verify with: give --signature-key FILE (cosign.pub), \
                 --signature-identity and --signature-issuer (keyless), or --policy FILE"
            )));
        }
        return Ok(None);
    }
    let mut keys = Vec::new();
    for path in args.keys.iter() {
        let shown = path.display().to_string();
        let pem = std::fs::read(path)
            .map_err(|e| ResolveError::Config(format!("--signature-key {shown}: {e}")))?;
        keys.push(
            PublicKey::from_pem(&pem, &shown)
                .map_err(|e| ResolveError::Config(format!("--signature-key {e}")))?,
        );
    }
    Ok(Some(Policy::keys(keys, trust()?)))
}

/// `--require-attestation TYPE` and what the provenance must say (`--attestation-builder-id`,
/// `--attestation-source-uri` or their `-regexp` forms, each implying `--require-attestation
/// slsaprovenance`), or `None`.
fn attestation_requirement(
    args: &SignatureSettings,
) -> Result<Option<attestation::Requirement>, ResolveError> {
    let config = |e: String| ResolveError::Config(e);
    let pair = |exact: &Option<String>, regexp: &Option<String>, flag: &str| match (exact, regexp) {
        (Some(_), Some(_)) => Err(config(format!(
            "give --{flag} or --{flag}-regexp, not both"
        ))),
        (Some(s), None) if s.is_empty() => Err(config(format!("--{flag}: an empty value"))),
        (Some(s), None) => Ok(Some(Ok(s.clone()))),
        (None, Some(r)) => Matcher::regexp(r)
            .map(|m| Some(Err(m)))
            .map_err(|e| config(format!("--{flag}-regexp: {e}"))),
        (None, None) => Ok(None),
    };
    let builder = pair(
        &args.builder_id,
        &args.builder_id_regexp,
        "attestation-builder-id",
    )?
    .map(|b| b.map_or_else(attestation::Builder::Regexp, attestation::Builder::Id));
    let source = pair(
        &args.source_uri,
        &args.source_uri_regexp,
        "attestation-source-uri",
    )?
    .map(|s| s.map_or_else(attestation::Source::Regexp, attestation::Source::Uri));
    let kind = match &*args.attestation {
        Some(t) => attestation::Kind::parse(t)
            .map_err(|e| config(format!("--require-attestation: {e}")))?,
        None if builder.is_some() || source.is_some() => attestation::Kind::Provenance,
        None => return Ok(None),
    };
    Ok(Some(attestation::Requirement {
        kind,
        builder,
        source,
    }))
}

/// The tag → digest cache, when `--cache` or `--cache-dir` (or the configuration file) asks for it. An
/// error when a symbolic link lies on the way to it.
fn cache_for(args: &CacheSettings) -> Result<Option<resolve::cache::Cache>, ResolveError> {
    let dir = match (&*args.dir, *args.enabled) {
        // From the configuration file: walked from its directory (or the user's cache directory).
        (Some(d), _) => match args
            .base
            .as_ref()
            .and_then(|base| Some((base, d.strip_prefix(base).ok()?)))
        {
            Some((base, below)) => Place::new(base, below),
            None => Place::dir_given(d),
        },
        (None, true) => match resolve::cache::default_dir() {
            Some(d) => d,
            None => return Ok(None),
        },
        (None, false) => return Ok(None),
    };
    resolve::cache::Cache::open(&dir, Duration::from_secs(*args.ttl))
        .map(Some)
        .map_err(|e| ResolveError::Config(format!("the cache: {e}")))
}

/// What the registries answered: resolutions, the request counts (for `-v`), which keys a mirror or a
/// remapped location answered, and the labels read.
struct Online {
    resolved: Resolutions,
    /// What the credential source warned about.
    warnings: Vec<String>,
    stats: String,
    answered_by: std::collections::BTreeMap<String, String>,
    labels: std::collections::BTreeMap<String, Result<resolve::Labels, String>>,
    /// Registries whose rate-limit quota runs low.
    quota_warnings: Vec<String>,
}

fn resolve_online(
    args: &RegistrySettings,
    keys: BTreeSet<Key>,
    progress: bool,
    policy: Option<&Policy>,
    cached: Vec<(Key, Result<resolve::Manifest, ResolveError>)>,
    labels: Labels,
    docker_hub_gets: bool,
) -> Result<Online, ResolveError> {
    let (resolver, runtime, creds) = resolver(args)?;
    let resolver = resolver.with_docker_hub_gets(docker_hub_gets);
    let mut report = progress_line(progress, "resolving");
    let mut resolved = runtime.block_on(resolver.resolve_all(keys, &mut report));
    let gets_before = resolver.stats().get.load(Ordering::Relaxed);
    let low_quota = resolver
        .stats()
        .low_quota
        .lock()
        .expect("quota map poisoned")
        .clone();
    let read_labels = if labels != Labels::Off {
        runtime.block_on(labels_of_moved(&resolver, &resolved, labels, &low_quota))
    } else {
        Default::default()
    };
    let label_gets = resolver.stats().get.load(Ordering::Relaxed) - gets_before;
    let signature_lookups = policy.map(|p| {
        resolved.extend(cached);
        runtime.block_on(resolve::policy::enforce(
            resolver.client(),
            p,
            &mut resolved,
            resolver.jobs(),
        ))
    });
    let mut stats = resolver.stats().summary();
    if labels != Labels::Off {
        let n = read_labels.values().filter(|l| l.is_ok()).count();
        stats.push_str(&format!(
            "; {label_gets} of the GETs for the labels of {n} {}",
            if n == 1 { "image" } else { "images" }
        ));
    }
    if let Some(n) = signature_lookups {
        stats.push_str(&format!("; {n}"));
    }
    let mut answered_by = std::collections::BTreeMap::new();
    for (key, host) in resolver.answered_by() {
        stats.push_str(&format!("\npin: {key} answered by {host}"));
        answered_by.insert(key.to_string(), host);
    }
    let quota_warnings = resolver
        .stats()
        .low_quota
        .lock()
        .expect("quota map poisoned")
        .iter()
        .map(|(host, remaining)| {
            format!(
                "{host} says ratelimit-remaining: {}; slowed down to one request at a time, {} ms apart, \
                 and no label reads there",
                resolve::escape(remaining),
                250
            )
        })
        .collect();
    Ok(Online {
        resolved,
        warnings: creds.take_warnings(),
        stats,
        answered_by,
        labels: read_labels,
        quota_warnings,
    })
}

/// The labels of every new digest a moved tag points at, each digest read once, from the location that
/// answered its lookup (a mirror, if one did).
async fn labels_of_moved(
    resolver: &resolve::Resolver,
    resolved: &Resolutions,
    which: Labels,
    low_quota: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, Result<resolve::Labels, String>> {
    use futures_util::stream::{self, StreamExt};
    let answered_by = resolver.answered_by();
    let mut moved = std::collections::BTreeMap::new();
    for (key, result) in resolved {
        let (Ok(m), Some(current)) = (result, &key.current) else {
            continue;
        };
        if &m.digest == current {
            continue;
        }
        let (registry, repository) = match answered_by.get(key).and_then(|at| at.split_once('/')) {
            Some((r, p)) => (r.to_string(), p.to_string()),
            None => (key.registry.clone(), key.repository.clone()),
        };
        let platform = m.child_of.as_ref().map(|c| c.platform.clone());
        moved.entry(m.digest.clone()).or_insert((
            key.registry == DOCKER_HUB,
            low_quota.contains_key(resolve::transport::api_host(&registry)),
            registry,
            repository,
            platform,
        ));
    }
    let mut not_read = std::collections::BTreeMap::new();
    moved.retain(|digest, (hub, low, ..)| {
        // Docker Hub counts each manifest GET as a pull; by default it is only asked with HEADs.
        let why = if *low {
            "its registry's rate-limit quota is running low"
        } else if *hub && which != Labels::All {
            "Docker Hub counts a manifest GET as a pull, so its labels are read only with `--labels`"
        } else {
            return true;
        };
        not_read.insert(digest.clone(), Err(why.to_string()));
        false
    });
    let client = resolver.client();
    let mut read: std::collections::BTreeMap<_, _> = stream::iter(moved)
        .map(
            |(digest, (_, _, registry, repository, platform))| async move {
                let labels = resolve::labels::labels(
                    client,
                    &registry,
                    &repository,
                    &digest,
                    platform.as_ref(),
                )
                .await
                .map_err(|e| e.to_string());
                (digest, labels)
            },
        )
        .buffer_unordered(resolver.jobs())
        .collect()
        .await;
    read.extend(not_read);
    read
}

/// Docker Hub's registry name in a normalized reference.
const DOCKER_HUB: &str = "docker.io";

/// The resolver for the registry flags, and the runtime to drive it on.
/// The resolver, its runtime, and the credential source it asks (for the warnings it leaves).
type Resolving = (
    resolve::Resolver,
    tokio::runtime::Runtime,
    Arc<resolve::auth::DockerConfig>,
);

fn resolver(args: &RegistrySettings) -> Result<Resolving, ResolveError> {
    let routes = routes(args)?;
    // Plain HTTP the user chose (flags, registries.conf) may carry credentials; plain HTTP only a
    // configuration file chose never does.
    let listed = &args.insecure_registries;
    let (mut insecure, mut insecure_by_config) = if listed.origin.is_file() {
        (Vec::new(), listed.value.clone())
    } else {
        (listed.value.clone(), Vec::new())
    };
    insecure.extend(routes.user_insecure_hosts());
    insecure_by_config.extend(routes.insecure_hosts());
    let options = resolve::ClientOptions {
        insecure,
        insecure_by_config,
        timeout: Duration::from_secs(*args.timeout),
        connect_timeout: Duration::from_secs(*args.connect_timeout),
        max_per_host: usize::from(*args.jobs),
        ca_files: args.ca_certs.value.clone(),
        ..Default::default()
    };
    let creds = Arc::new(resolve::auth::DockerConfig::new(Duration::from_secs(
        *args.timeout,
    )));
    let client = resolve::Client::new(options, Arc::clone(&creds) as _)?;
    let resolver = resolve::Resolver::with_routes(client, usize::from(*args.jobs), routes);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ResolveError::Config(format!("cannot start the async runtime: {e}")))?;
    Ok((resolver, runtime, creds))
}

/// Whether the progress line is drawn: on a terminal, without `-q`, and where the colour decision for stderr
/// allows escape codes (the line is redrawn with them), so `--color never` and `NO_COLOR` hide it too.
fn progress_shown(output: &OutputSettings) -> bool {
    !output.quiet
        && io::stderr().is_terminal()
        && crate::report::colour_for(output.color, &io::stderr()).enabled
}

/// The progress line on a terminal (`pin: resolving 3/10`), redrawn in place and cleared when done so the
/// messages that follow start clean; nothing when `shown` is false. Written through anstream's stderr, the
/// stream messages go to, under the same colour decision.
fn progress_line(shown: bool, verb: &'static str) -> impl FnMut(usize, usize) {
    let mut stderr = anstream::stderr();
    move |done: usize, total: usize| {
        if shown {
            let _ = if done < total {
                write!(stderr, "\r\x1b[2Kpin: {verb} {done}/{total}")
            } else {
                write!(stderr, "\r\x1b[2K")
            };
            let _ = stderr.flush();
        }
    }
}

/// `pin verify`: asks the registries about every pinned digest (answering what the cache knows from it),
/// and returns what they said with the request line for `-v` and the credential source's warnings. An error
/// when no registry can be asked at all (a bad CA file, a blocked registry table).
pub(super) fn verifications(
    args: &RegistrySettings,
    pins: std::collections::BTreeMap<Pinned, BTreeSet<String>>,
    platforms: &[resolve::Platform],
    output: &OutputSettings,
) -> Result<(Verifications, String, Vec<String>), ResolveError> {
    let progress = progress_shown(output);
    let policy = signature_policy(&args.signatures)?;
    let (resolver, runtime, creds) = resolver(args)?;
    let mut cache = cache_for(&args.cache)?;
    let known: std::collections::BTreeMap<Pinned, Option<String>> = match &cache {
        Some(c) => pins
            .keys()
            .filter_map(|p| {
                Some((
                    p.clone(),
                    c.get_digest(&p.registry, &p.repository, &p.digest)?,
                ))
            })
            .collect(),
        None => Default::default(),
    };
    let mut report = progress_line(progress, "verifying");
    let (mut verified, from_cache) =
        runtime.block_on(resolver.verify_all(pins, &known, platforms, &mut report));
    // With a signature policy, a pin that is served must also be signed as the policy requires.
    let signature_lookups = policy.map(|p| {
        let key = |pin: &Pinned| Key {
            registry: pin.registry.clone(),
            repository: pin.repository.clone(),
            tag: pin.digest.clone(),
            platform: None,
            current: None,
        };
        let mut present: Resolutions = verified
            .iter()
            .filter(|(_, v)| matches!(v, Ok(Verified::Present(_))))
            .map(|(pin, _)| {
                let m = resolve::Manifest {
                    digest: pin.digest.clone(),
                    ..Default::default()
                };
                (key(pin), Ok(m))
            })
            .collect();
        let n = runtime.block_on(resolve::policy::enforce(
            resolver.client(),
            &p,
            &mut present,
            resolver.jobs(),
        ));
        for (pin, result) in verified.iter_mut() {
            if let Some(Err(e)) = present.get(&key(pin)) {
                *result = Err(e.clone());
            }
        }
        n
    });
    let mut stats = resolver.stats().summary();
    if let Some(n) = signature_lookups {
        stats.push_str(&format!("; {n}"));
    }
    if let Some(mut c) = cache.take() {
        for (pin, result) in &verified {
            // A cached answer keeps its time: it ages out at the TTL, however often it is used.
            if let (Ok(Verified::Present(p)), false) = (result, known.contains_key(pin)) {
                c.record_digest(
                    &pin.registry,
                    &pin.repository,
                    &pin.digest,
                    p.media_type.as_deref(),
                );
            }
        }
        stats.push_str(&format!(
            "; {from_cache} answers from the cache in {}",
            c.dir()
        ));
        if let Err(e) = c.save() {
            stats.push_str(&format!(" (not updated: {e})"));
        }
    }
    Ok((verified, stats, creds.take_warnings()))
}

/// `pin verify`: what each tag of `keys` points at now (one `HEAD` each, through the same credentials and
/// mirrors as `pin`), for references whose tool takes no digest, and the request line for `-v`. No cache
/// and no signature policy: the question is only whether the tag exists.
pub(super) fn tags_now(
    args: &RegistrySettings,
    keys: BTreeSet<Key>,
    output: &OutputSettings,
) -> Result<(Resolutions, String), ResolveError> {
    let (resolver, runtime, _) = resolver(args)?;
    let mut report = progress_line(progress_shown(output), "verifying");
    let resolved = runtime.block_on(resolver.resolve_all(keys, &mut report));
    Ok((resolved, resolver.stats().summary()))
}

/// Where lookups go: registries.conf (as podman and skopeo read it), then the configuration file's
/// `[[registry]]` tables, then `--mirror` flags; a later table for the same prefix replaces an earlier one
/// (a configuration file's never unblocks what the user's block).
fn routes(args: &RegistrySettings) -> Result<resolve::mirrors::Routes, ResolveError> {
    let config = |e: resolve::mirrors::RouteError| ResolveError::Config(e.to_string());
    let mut routes = resolve::mirrors::Routes::default();
    for path in &args.registries_conf {
        let shown = path.display().to_string();
        let tables =
            crate::registries_conf::read(path).map_err(|e| ResolveError::Config(e.to_string()))?;
        for table in tables.into_iter().flatten() {
            routes.add(table, &shown).map_err(config)?;
        }
    }
    for table in &args.tables {
        let origin = match &table.origin {
            crate::settings::Origin::File { path, .. } => path.clone(),
            other => other.to_string(),
        };
        routes
            .add_from_config(table.value.clone(), &origin)
            .map_err(config)?;
    }
    for flag in &args.mirrors {
        routes.add_mirror_flag(flag).map_err(config)?;
    }
    Ok(routes)
}

/// `--offline`: the lockfile `shown` holds no answer for `key`.
fn not_recorded(key: &dyn std::fmt::Display, shown: &str) -> ResolveError {
    ResolveError::from(resolve::Missing::NotRecorded {
        key: key.to_string(),
        lockfile: shown.to_string(),
    })
}
