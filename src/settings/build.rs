//! Building the settings of one command line: each flag given wins, then the file's key, then the default.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use toml::Spanned;

use super::*;
use crate::cli::{self, Cli, Command};
use crate::config::{self, ConfigError, Loaded};

/// What settings read of the process besides the command line.
#[derive(Clone, Debug)]
pub struct Env {
    /// Where discovery starts and what relative paths are relative to.
    pub cwd: PathBuf,
    /// `CI` is set (not empty, `false` or `0`), as CI services set it: the file does not switch the cache on.
    pub ci: bool,
    /// The user's cache directory (`$XDG_CACHE_HOME`, else `~/.cache`), where a file's `cache-dir` may point.
    pub user_cache: Option<PathBuf>,
}

impl Env {
    pub fn of_process() -> Env {
        Env {
            cwd: std::env::current_dir().unwrap_or_default(),
            ci: std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0"),
            user_cache: crate::resolve::cache::user_cache_base(),
        }
    }
}

/// Why a command line cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A usage error, as clap reports its own (`error: …`, the usage, exit 2).
    #[error("{0}")]
    Usage(Box<clap::Error>),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The run a parsed command line asks for: its configuration file read (unless `--no-config`) and merged
/// with the flags. `matches` are the command line's own, for telling a flag given from its default.
pub fn from_command_line(cli: Cli, matches: &ArgMatches, env: &Env) -> Result<Run, SettingsError> {
    check_paths(&cli, env)?;
    let loaded = match config::chosen(cli.config.as_deref(), cli.no_config, &env.cwd) {
        Some(path) => Some(config::load(&path, &env.cwd, env.user_cache.as_deref())?),
        None => None,
    };
    let file = loaded.as_ref();
    let sub = |name: &str| Given(matches.subcommand_matches(name).unwrap_or(matches));
    Ok(match cli.command {
        None => pin(cli.pin, &Given(matches), file, env),
        Some(Command::Update(a)) => {
            let g = sub("update");
            let waiting = waiting(&g, &a, file, env)?;
            Run::Files(Files {
                operation: Operation::Update {
                    children: if a.to_index {
                        ChildPins::ToIndex
                    } else {
                        ChildPins::Warn
                    },
                    labels: match (a.output.format, a.no_labels, a.labels) {
                        (cli::Format::Markdown, false, true) => Labels::All,
                        (cli::Format::Markdown, false, false) => Labels::NotFromDockerHub,
                        _ => Labels::Off,
                    },
                    require_tags: a.require_tags,
                    waiting,
                    platforms: platforms(&g, a.platforms, file, in_update),
                    all_changes: a.all_changes,
                    docker_hub_gets: a.labels,
                },
                scan: scan(&g, a.paths, &a.select, file, env),
                mode: mode(&a.mode),
                keep_going: a.mode.keep_going,
                // `pin update` asks whether a tag moved: the file never switches the cache on for it.
                registry: Some(registry(&g, &a.registry, file, FileCache::No)),
                lock: Some(LockSettings {
                    path: a.lock.clone(),
                    offline: false,
                }),
                output: output(&a.output),
            })
        }
        Some(Command::Unpin(a)) => {
            let g = sub("unpin");
            Run::Files(Files {
                operation: Operation::Unpin,
                scan: scan(&g, a.paths, &a.select, file, env),
                mode: mode(&a.mode),
                keep_going: a.mode.keep_going,
                registry: None,
                // `--from-lock`: read for its tags, never written.
                lock: a.from_lock.map(|path| LockSettings {
                    path: Some(path),
                    offline: true,
                }),
                output: output(&a.output),
            })
        }
        Some(Command::List(a)) => Run::List(List {
            scan: scan(&sub("list"), a.paths, &a.select, file, env),
            output: output(&a.output),
        }),
        Some(Command::Resolve(a)) => {
            let g = sub("resolve");
            Run::Resolve(Resolve {
                refs: a.refs,
                pin: pin_settings(&g, &a.resolve, file).0,
                registry: registry(&g, &a.resolve.registry, file, FileCache::Yes(env)),
                lock: lock(&a.lock),
                output: output(&a.output),
            })
        }
        Some(Command::Verify(a)) => {
            let g = sub("verify");
            Run::Verify(Verify {
                scan: scan(&g, a.paths, &a.select, file, env),
                registry: registry(&g, &a.registry, file, FileCache::Yes(env)),
                platforms: platforms(&g, a.platforms, file, in_verify),
                output: output(&a.output),
            })
        }
        Some(Command::Fn(a)) => {
            let g = sub("fn");
            Run::Fn(Function {
                // `--tag-comment` is `pin fn`'s own flag, under the same id.
                pin: pin_settings(&g, &a.resolve, file).0,
                // Like `pin resolve`: the file may switch the cache on.
                registry: registry(&g, &a.resolve.registry, file, FileCache::Yes(env)),
                lock: lock(&a.lock),
            })
        }
        Some(Command::Config) => Run::Config(Box::new(show::Shown::new(loaded, env))),
        Some(Command::Completions { shell }) => Run::Completions(shell),
        Some(Command::Man(a)) => Run::Man {
            command: a.command,
            dir: a.dir,
        },
    })
}

/// A path that is a command word (`pin check .`, `pin udpate`) stops the run before anything is read.
fn check_paths(cli: &Cli, env: &Env) -> Result<(), SettingsError> {
    use clap::CommandFactory;
    let (subcommand, paths, modes) = match &cli.command {
        None => (None, &cli.pin.paths, true),
        Some(Command::Update(a)) => (Some("update"), &a.paths, true),
        Some(Command::Unpin(a)) => (Some("unpin"), &a.paths, true),
        Some(Command::List(a)) => (Some("list"), &a.paths, false),
        Some(Command::Verify(a)) => (Some("verify"), &a.paths, false),
        Some(_) => return Ok(()),
    };
    let mut cmd = Cli::command();
    let mut names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names.push("help".to_string());
    cmd.build();
    let of = match subcommand {
        Some(s) => cmd.find_subcommand(s).expect("a subcommand of pin"),
        None => &cmd,
    };
    let flags: Vec<String> = of
        .get_arguments()
        .filter(|a| !a.get_action().takes_values() && !a.is_positional())
        .filter_map(|a| a.get_long().map(String::from))
        .filter(|l| l != "help" && l != "version")
        .collect();
    let Some(message) = super::words::misplaced(paths, subcommand, &names, modes, &flags, &env.cwd)
    else {
        return Ok(());
    };
    let cmd = match subcommand {
        Some(s) => cmd.find_subcommand_mut(s).expect("a subcommand of pin"),
        None => &mut cmd,
    };
    Err(SettingsError::Usage(Box::new(
        cmd.error(clap::error::ErrorKind::InvalidValue, message),
    )))
}

/// `pin update`'s waiting period: `--min-age` over `[update] min-age`; `--trust-created` only with one.
/// The first-seen records go where the cache would: `--cache-dir`, else the file's `cache-dir` (below its
/// directory or inside the user's cache directory, as for the cache; in CI too, since they are no answers
/// to reuse), else the default directory.
fn waiting(
    g: &Given,
    a: &cli::UpdateArgs,
    file: Option<&Loaded>,
    env: &Env,
) -> Result<Waiting, SettingsError> {
    let min_age = update_min_age(g, a.min_age, file);
    if a.trust_created && *min_age == 0 {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        let update = cmd
            .find_subcommand_mut("update")
            .expect("a subcommand of pin");
        return Err(SettingsError::Usage(Box::new(update.error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "--trust-created ages new digests for a waiting period: give --min-age DURATION (or \
             [update] min-age in pin.toml)",
        ))));
    }
    let (dir, base) = if g.given("cache_dir") {
        (a.registry.cache_dir.clone(), None)
    } else {
        match file.and_then(|l| Some((l, l.file.cache_dir.as_ref()?.get_ref()))) {
            Some((l, d)) if d.is_absolute() => (Some(relative(l, d)), env.user_cache.clone()),
            Some((l, d)) => (Some(relative(l, d)), Some(l.dir().to_path_buf())),
            None => (None, None),
        }
    };
    Ok(Waiting {
        min_age,
        trust_created: a.trust_created,
        hub_gets: a.labels,
        dir,
        base,
    })
}

/// `--min-age` (seconds), else the file's `[update] min-age`, else 0.
fn update_min_age(g: &Given, flag: Option<u64>, file: Option<&Loaded>) -> Setting<u64> {
    let from = file.and_then(|l| {
        let age = l.file.update.as_ref()?.get_ref().min_age.as_ref()?;
        // Checked when the file was read.
        let seconds = parse_duration(age.get_ref()).ok()?;
        Some(Setting::new(seconds, at(l, age.span())))
    });
    g.pick("min_age", flag.unwrap_or(0), from)
}

/// `pin` itself.
fn pin(a: cli::PinArgs, g: &Given, file: Option<&Loaded>, env: &Env) -> Run {
    // The file switches the cache on for a plain run, not for a --check gate.
    let cache = if a.mode.check {
        FileCache::No
    } else {
        FileCache::Yes(env)
    };
    Run::Files(Files {
        operation: Operation::Pin(pin_settings(g, &a.resolve, file).0),
        scan: scan(g, a.paths, &a.select, file, env),
        mode: mode(&a.mode),
        keep_going: a.mode.keep_going,
        registry: Some(registry(g, &a.resolve.registry, file, cache)),
        lock: Some(lock(&a.lock)),
        output: output(&a.output),
    })
}

/// The settings of a command line without flags.
pub(super) struct Unflagged {
    pub scan: ScanSettings,
    pub tag_keys: TagKeys,
    pub pin: PinSettings,
    pub registry: RegistrySettings,
    pub verify_platforms: Setting<Vec<Platform>>,
    /// `pin update`'s `[update] min-age`.
    pub min_age: Setting<u64>,
    pub update_platforms: Setting<Vec<Platform>>,
}

/// The settings `pin`, `pin verify` and `pin update` run with here when given no flag: what `pin config`
/// shows.
pub(super) fn unflagged(file: Option<&Loaded>, env: &Env) -> Unflagged {
    use clap::{CommandFactory, FromArgMatches};
    let parse = |line: &[&str]| {
        let matches = Cli::command().get_matches_from(line);
        let cli = Cli::from_arg_matches(&matches).expect("a command line without flags parses");
        (cli, matches)
    };
    let (plain, matches) = parse(&["pin"]);
    let g = Given(&matches);
    let a = plain.pin;
    let (pin, tag_keys) = pin_settings(&g, &a.resolve, file);
    let registry = registry(&g, &a.resolve.registry, file, FileCache::Yes(env));
    let scan = scan(&g, a.paths, &a.select, file, env);
    let (verify, matches) = parse(&["pin", "verify"]);
    let verify_platforms = match verify.command {
        Some(Command::Verify(v)) => platforms(&Given(&matches), v.platforms, file, in_verify),
        _ => unreachable!("`pin verify` parses as verify"),
    };
    let (update, matches) = parse(&["pin", "update"]);
    let (min_age, update_platforms) = match update.command {
        Some(Command::Update(u)) => {
            let g = Given(&matches);
            (
                update_min_age(&g, u.min_age, file),
                platforms(&g, u.platforms, file, in_update),
            )
        }
        _ => unreachable!("`pin update` parses as update"),
    };
    Unflagged {
        scan,
        tag_keys,
        pin,
        registry,
        verify_platforms,
        min_age,
        update_platforms,
    }
}

/// The flags given on one (sub)command's command line.
struct Given<'a>(&'a ArgMatches);

impl Given<'_> {
    /// Whether the argument `id` was given on the command line (not defaulted).
    fn given(&self, id: &str) -> bool {
        self.0.try_get_raw(id).ok().flatten().is_some()
            && self.0.value_source(id) == Some(ValueSource::CommandLine)
    }

    /// The flag's `value` if `id` was given, else the file's setting, else `value` as the default.
    fn pick<T>(&self, id: &str, value: T, file: Option<Setting<T>>) -> Setting<T> {
        if self.given(id) {
            Setting::new(value, flag(id))
        } else {
            file.unwrap_or_else(|| Setting::default(value))
        }
    }
}

/// `--name` of the argument `id`.
fn flag(id: &str) -> Origin {
    Origin::Flag(format!("--{}", id.replace('_', "-")))
}

/// Where a span of the file is.
fn at(l: &Loaded, span: std::ops::Range<usize>) -> Origin {
    Origin::File {
        path: l.path.display().to_string(),
        line: l.line(span),
    }
}

/// The file's value of a key, made into what the setting holds.
fn from_file<T, U>(
    file: Option<&Loaded>,
    key: impl FnOnce(&config::File) -> Option<&Spanned<T>>,
    make: impl FnOnce(&Loaded, &T) -> U,
) -> Option<Setting<U>> {
    let l = file?;
    let s = key(&l.file)?;
    Some(Setting::new(make(l, s.get_ref()), at(l, s.span())))
}

/// A key of the file's `actions` (a boolean, or the `[actions]` table), at the line of the key itself.
fn actions_key<T>(
    file: Option<&Loaded>,
    key: impl FnOnce(&config::Actions) -> Option<(T, Option<std::ops::Range<usize>>)>,
) -> Option<Setting<T>> {
    let l = file?;
    let a = l.file.actions.as_ref()?;
    let (value, span) = key(a.get_ref())?;
    Some(Setting::new(value, at(l, span.unwrap_or_else(|| a.span()))))
}

/// A path of the file, relative to its directory.
fn relative(l: &Loaded, p: &Path) -> PathBuf {
    l.dir().join(p)
}

fn scan(
    g: &Given,
    paths: Vec<PathBuf>,
    select: &cli::SelectArgs,
    file: Option<&Loaded>,
    env: &Env,
) -> ScanSettings {
    let exclude = g.pick(
        "exclude",
        select.exclude.clone(),
        from_file(file, |f| f.exclude.as_ref(), |_, v| v.clone()),
    );
    // The file's patterns are relative to its directory.
    let exclude_base = match (&exclude.origin, file) {
        (Origin::File { .. }, Some(l)) => Some(env.cwd.join(l.dir())),
        _ => None,
    };
    let files = from_file(
        file,
        |f| f.files.as_ref(),
        |_, files| {
            files
                .iter()
                .filter_map(|(kind, globs)| Some((Kind::from_name(kind)?, globs)))
                .flat_map(|(kind, globs)| globs.iter().map(move |g| (kind, g.clone())))
                .collect()
        },
    );
    ScanSettings {
        paths,
        exclude,
        exclude_base,
        force_exclude: select.force_exclude,
        files: files.unwrap_or_else(|| Setting::default(Vec::new())),
        skip: g.pick(
            "skip",
            select.skip.clone(),
            from_file(file, |f| f.skip.as_ref(), |_, v| v.clone()),
        ),
        devcontainer_features: g.pick(
            "devcontainer_features",
            select.devcontainer_features,
            from_file(file, |f| f.devcontainer_features.as_ref(), |_, v| *v),
        ),
        // On unless `--no-actions` is given, or the file says `actions = false` (or `enabled = false`).
        actions: g.pick(
            "no_actions",
            !select.no_actions,
            actions_key(file, config::Actions::enabled),
        ),
        stdin_kind: select.stdin_kind,
    }
}

/// `tag-style`, `keep-tag` and `tag-comment` as the file gives them, which the tag style is made from.
#[derive(Debug)]
pub(super) struct TagKeys {
    pub tag_style: Setting<Option<TagStyle>>,
    pub keep_tag: Setting<bool>,
    pub tag_comment: Setting<bool>,
}

/// How `pin` and `pin resolve` pin. The tag style is one setting with three flags and three keys: a flag
/// given (`--tag-style`, `--keep-tag`, or `--tag-comment` where the command has it) wins over the keys; the
/// file cannot set two of them. With none, each file kind has its own ([`TagStyle::for_kind`]).
fn pin_settings(g: &Given, r: &cli::ResolveArgs, file: Option<&Loaded>) -> (PinSettings, TagKeys) {
    let keys = TagKeys {
        // Checked when the file was read.
        tag_style: from_file(file, |f| f.tag_style.as_ref(), |_, v| TagStyle::parse(v))
            .unwrap_or_else(|| Setting::default(None)),
        keep_tag: from_file(file, |f| f.keep_tag.as_ref(), |_, v| *v)
            .unwrap_or_else(|| Setting::default(false)),
        tag_comment: from_file(file, |f| f.tag_comment.as_ref(), |_, v| *v)
            .unwrap_or_else(|| Setting::default(false)),
    };
    let tag_style = if let Some(style) = r.tag_style.filter(|_| g.given("tag_style")) {
        Setting::new(
            Some(match style {
                cli::TagStyle::Drop => TagStyle::Drop,
                cli::TagStyle::Keep => TagStyle::Keep,
                cli::TagStyle::Comment => TagStyle::Comment,
            }),
            flag("tag_style"),
        )
    } else if g.given("keep_tag") {
        Setting::new(Some(TagStyle::Keep), flag("keep_tag"))
    } else if g.given("tag_comment") {
        Setting::new(Some(TagStyle::Comment), flag("tag_comment"))
    } else if keys.tag_style.is_some() {
        keys.tag_style.clone()
    } else if *keys.keep_tag {
        Setting::new(Some(TagStyle::Keep), keys.keep_tag.origin.clone())
    } else if *keys.tag_comment {
        Setting::new(Some(TagStyle::Comment), keys.tag_comment.origin.clone())
    } else {
        // Where the file says `false`, that is where the style comes from.
        let origin = [&keys.keep_tag, &keys.tag_comment]
            .into_iter()
            .map(|k| &k.origin)
            .find(|o| **o != Origin::Default)
            .cloned()
            .unwrap_or(Origin::Default);
        Setting::new(None, origin)
    };
    let pin = PinSettings {
        tag_style,
        platform: g.pick(
            "platform",
            r.platform.clone(),
            // Checked when the file was read.
            from_file(file, |f| f.platform.as_ref(), |_, p| p.parse().ok()),
        ),
    };
    (pin, keys)
}

/// Whether the file's cache keys apply to this command.
#[derive(Clone, Copy)]
enum FileCache<'e> {
    /// `pin update` and `pin --check`: never (a flag still may switch the cache on).
    No,
    /// Yes; but in CI the file does not switch the cache on.
    Yes(&'e Env),
}

fn registry(
    g: &Given,
    r: &cli::RegistryArgs,
    file: Option<&Loaded>,
    cache: FileCache,
) -> RegistrySettings {
    let sig = &r.signature;
    let signatures = file.and_then(|l| Some((l, l.file.signatures.as_ref()?.get_ref())));
    // The file's value of one `[signatures]` key.
    fn key<T, U>(
        signatures: Option<(&Loaded, &config::Signatures)>,
        key: impl FnOnce(&config::Signatures) -> Option<&Spanned<T>>,
        make: impl FnOnce(&Loaded, &T) -> U,
    ) -> Option<Setting<U>> {
        let (l, s) = signatures?;
        let v = key(s)?;
        Some(Setting::new(make(l, v.get_ref()), at(l, v.span())))
    }
    // A key, a policy or a keyless identity on the command line replaces all of the file's signers.
    let replaced_by = [
        "signature_key",
        "policy",
        "signature_identity",
        "signature_identity_regexp",
        "signature_issuer",
        "signature_issuer_regexp",
    ]
    .into_iter()
    .find(|id| g.given(id));
    fn signer<T>(
        g: &Given,
        replaced_by: Option<&str>,
        id: &str,
        value: T,
        file: Option<Setting<T>>,
    ) -> Setting<T> {
        match replaced_by {
            Some(by) => Setting::new(value, flag(if g.given(id) { id } else { by })),
            None => file.unwrap_or_else(|| Setting::default(value)),
        }
    }
    let text = |_: &Loaded, v: &String| Some(v.clone());
    // Signers imply a signature requirement, unless an attestation is required. The file only adds
    // requirements, though: when the command line names the signers (a signature required) and only the
    // file asks for an attestation, the signature stays required.
    const ATTESTATION_FLAGS: [&str; 5] = [
        "require_attestation",
        "attestation_builder_id",
        "attestation_builder_id_regexp",
        "attestation_source_uri",
        "attestation_source_uri_regexp",
    ];
    let file_attests = signatures.is_some_and(|(_, s)| {
        s.require_attestation.is_some()
            || s.attestation_builder_id.is_some()
            || s.attestation_builder_id_regexp.is_some()
            || s.attestation_source_uri.is_some()
            || s.attestation_source_uri_regexp.is_some()
    });
    let require = match replaced_by {
        Some(by)
            if !g.given("require_signature")
                && file_attests
                && !ATTESTATION_FLAGS.iter().any(|id| g.given(id)) =>
        {
            Setting::new(true, flag(by))
        }
        _ => g.pick(
            "require_signature",
            sig.require_signature,
            key(signatures, |s| s.require.as_ref(), |_, v| *v),
        ),
    };
    // Either form of a predicate check on the command line replaces both of the file's.
    let pair = |exact_id: &str,
                exact: &Option<String>,
                exact_key: fn(&config::Signatures) -> Option<&Spanned<String>>,
                regexp_id: &str,
                regexp: &Option<String>,
                regexp_key: fn(&config::Signatures) -> Option<&Spanned<String>>| {
        let by = [exact_id, regexp_id].into_iter().find(|id| g.given(id));
        (
            signer(
                g,
                by,
                exact_id,
                exact.clone(),
                key(signatures, exact_key, text),
            ),
            signer(
                g,
                by,
                regexp_id,
                regexp.clone(),
                key(signatures, regexp_key, text),
            ),
        )
    };
    let (builder_id, builder_id_regexp) = pair(
        "attestation_builder_id",
        &sig.attestation_builder_id,
        |s| s.attestation_builder_id.as_ref(),
        "attestation_builder_id_regexp",
        &sig.attestation_builder_id_regexp,
        |s| s.attestation_builder_id_regexp.as_ref(),
    );
    let (source_uri, source_uri_regexp) = pair(
        "attestation_source_uri",
        &sig.attestation_source_uri,
        |s| s.attestation_source_uri.as_ref(),
        "attestation_source_uri_regexp",
        &sig.attestation_source_uri_regexp,
        |s| s.attestation_source_uri_regexp.as_ref(),
    );
    let signatures = SignatureSettings {
        require,
        attestation: g.pick(
            "require_attestation",
            sig.require_attestation.clone(),
            key(signatures, |s| s.require_attestation.as_ref(), text),
        ),
        builder_id,
        builder_id_regexp,
        source_uri,
        source_uri_regexp,
        keys: signer(
            g,
            replaced_by,
            "signature_key",
            sig.signature_key.clone(),
            key(
                signatures,
                |s| s.keys.as_ref(),
                |l, v| v.iter().map(|p| relative(l, p)).collect(),
            ),
        ),
        policy: signer(
            g,
            replaced_by,
            "policy",
            sig.policy.clone(),
            key(
                signatures,
                |s| s.policy.as_ref(),
                |l, p| Some(relative(l, p)),
            ),
        ),
        identity: signer(
            g,
            replaced_by,
            "signature_identity",
            sig.signature_identity.clone(),
            key(signatures, |s| s.identity.as_ref(), text),
        ),
        identity_regexp: signer(
            g,
            replaced_by,
            "signature_identity_regexp",
            sig.signature_identity_regexp.clone(),
            key(signatures, |s| s.identity_regexp.as_ref(), text),
        ),
        issuer: signer(
            g,
            replaced_by,
            "signature_issuer",
            sig.signature_issuer.clone(),
            key(signatures, |s| s.issuer.as_ref(), text),
        ),
        issuer_regexp: signer(
            g,
            replaced_by,
            "signature_issuer_regexp",
            sig.signature_issuer_regexp.clone(),
            key(signatures, |s| s.issuer_regexp.as_ref(), text),
        ),
        trusted_root: g.pick(
            "trusted_root",
            sig.trusted_root.clone(),
            key(
                signatures,
                |s| s.trusted_root.as_ref(),
                |l, p| Some(relative(l, p)),
            ),
        ),
    };
    RegistrySettings {
        jobs: g.pick(
            "jobs",
            r.jobs,
            from_file(file, |f| f.jobs.as_ref(), |_, j| (*j).clamp(1, 256)),
        ),
        timeout: g.pick(
            "timeout",
            r.timeout,
            from_file(file, |f| f.timeout.as_ref(), |_, t| (*t).clamp(1, 3600)),
        ),
        connect_timeout: g.pick(
            "connect_timeout",
            r.connect_timeout,
            from_file(
                file,
                |f| f.connect_timeout.as_ref(),
                |_, t| (*t).clamp(1, 3600),
            ),
        ),
        insecure_registries: g.pick(
            "insecure_registry",
            r.insecure_registry.clone(),
            from_file(file, |f| f.insecure_registries.as_ref(), |_, v| v.clone()),
        ),
        ca_certs: g.pick(
            "ca_cert",
            r.ca_cert.clone(),
            from_file(
                file,
                |f| f.ca_certs.as_ref(),
                |l, v| v.iter().map(|p| relative(l, p)).collect(),
            ),
        ),
        registries_conf: crate::registries_conf::system_files(),
        tables: file
            .map(|l| {
                l.file
                    .registries
                    .iter()
                    .map(|t| Setting::new(t.get_ref().clone(), at(l, t.span())))
                    .collect()
            })
            .unwrap_or_default(),
        mirrors: r.mirror.clone(),
        actions_server: {
            let server = g.pick(
                "actions_server",
                r.actions_server.clone(),
                actions_key(file, |a| {
                    let (server, span) = a.server()?;
                    Some((Some(server), span))
                }),
            );
            let value = server
                .value
                .as_deref()
                .unwrap_or(crate::resolve::git::DEFAULT_SERVER)
                .trim_end_matches('/')
                .to_string();
            Setting::new(value, server.origin)
        },
        cache: cache_settings(g, r, file, cache),
        signatures,
    }
}

fn cache_settings(
    g: &Given,
    r: &cli::RegistryArgs,
    file: Option<&Loaded>,
    cache: FileCache,
) -> CacheSettings {
    let env = match cache {
        FileCache::No => {
            return CacheSettings {
                enabled: g.pick("cache", r.cache, None),
                dir: g.pick("cache_dir", r.cache_dir.clone(), None),
                base: None,
                ttl: g.pick("cache_ttl", r.cache_ttl, None),
            }
        }
        FileCache::Yes(env) => env,
    };
    let ttl = g.pick(
        "cache_ttl",
        r.cache_ttl,
        // The flag's range: a year at most.
        from_file(file, |f| f.cache_ttl.as_ref(), |_, t| (*t).min(31_536_000)),
    );
    // Either flag on the command line decides alone whether and where the cache is.
    if g.given("cache") || g.given("cache_dir") {
        return CacheSettings {
            enabled: g.pick("cache", r.cache, None),
            dir: g.pick("cache_dir", r.cache_dir.clone(), None),
            base: None,
            ttl,
        };
    }
    let mut enabled = from_file(file, |f| f.cache.as_ref(), |_, c| *c)
        .unwrap_or_else(|| Setting::default(r.cache));
    // Checked when the file was read: below the file's directory, or inside the user's cache directory.
    // Either is the base the rest is walked from without following a link.
    let mut dir = from_file(file, |f| f.cache_dir.as_ref(), |l, d| Some(relative(l, d)))
        .unwrap_or_else(|| Setting::default(r.cache_dir.clone()));
    let mut base = match (file, file.and_then(|l| l.file.cache_dir.as_ref())) {
        (Some(_), Some(d)) if d.get_ref().is_absolute() => env.user_cache.clone(),
        (Some(l), Some(_)) => Some(l.dir().to_path_buf()),
        _ => None,
    };
    if env.ci {
        enabled = set_aside(enabled, r.cache);
        dir = set_aside(dir, r.cache_dir.clone());
        base = None;
    }
    CacheSettings {
        enabled,
        dir,
        base,
        ttl,
    }
}

/// The default in place of a file's value that does not apply in CI.
fn set_aside<T>(s: Setting<T>, default: T) -> Setting<T> {
    match s.origin {
        Origin::File { path, line } => Setting::new(
            default,
            Origin::SetAside {
                path,
                line,
                why: "in CI (CI is set)",
            },
        ),
        _ => s,
    }
}

/// `--platform` of `verify` or `update`, else the file's `platforms` that `table` picks.
fn platforms(
    g: &Given,
    flags: Vec<Platform>,
    file: Option<&Loaded>,
    table: fn(&config::File) -> Option<&Spanned<Vec<String>>>,
) -> Setting<Vec<Platform>> {
    let from = file.and_then(|l| {
        let p = table(&l.file)?;
        // Checked when the file was read.
        let parsed = p.get_ref().iter().filter_map(|p| p.parse().ok()).collect();
        Some(Setting::new(parsed, at(l, p.span())))
    });
    g.pick("platforms", flags, from)
}

/// `[verify] platforms`.
fn in_verify(f: &config::File) -> Option<&Spanned<Vec<String>>> {
    f.verify.as_ref()?.get_ref().platforms.as_ref()
}

/// `[update] platforms`.
fn in_update(f: &config::File) -> Option<&Spanned<Vec<String>>> {
    f.update.as_ref()?.get_ref().platforms.as_ref()
}

fn mode(m: &cli::ModeArgs) -> crate::report::Mode {
    use crate::report::Mode;
    match (m.check, m.write) {
        (true, _) => Mode::Check,
        (false, true) => Mode::Write,
        (false, false) => Mode::DryRun,
    }
}

fn lock(l: &cli::LockArgs) -> LockSettings {
    LockSettings {
        path: l.lock.clone(),
        offline: l.offline,
    }
}

fn output(o: &cli::OutputArgs) -> OutputSettings {
    OutputSettings {
        format: match o.format {
            cli::Format::Text => Format::Text,
            cli::Format::Json => Format::Json,
            cli::Format::Github => Format::Github,
            cli::Format::Gitlab => Format::Gitlab,
            cli::Format::Sarif => Format::Sarif,
            cli::Format::Markdown => Format::Markdown,
        },
        color: match o.color {
            cli::ColorChoice::Auto => anstream::ColorChoice::Auto,
            cli::ColorChoice::Always => anstream::ColorChoice::Always,
            cli::ColorChoice::Never => anstream::ColorChoice::Never,
        },
        quiet: o.quiet,
        verbose: o.verbose,
    }
}
