//! Every command-line flag, in one place: clap only. Parsing does no I/O; [`crate::settings`] merges these
//! with the configuration file into what the stages take.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::formats::Kind;
use crate::platform::Platform;

/// Pin container image references to registry digests, changing no other byte.
///
/// Finds `image:` values in YAML (Kubernetes manifests, compose, CI files, kustomize, Helm values) and, in
/// Dockerfiles, the images of `FROM` (or the `ARG` default it uses), `COPY --from`, `RUN --mount=from=` and
/// `# syntax=`; asks each image's registry for the digest its tag points at, and rewrites `name:tag` to
/// `name@sha256:…`. Without -w, prints a unified diff and changes nothing. `pin -` filters a YAML stream from
/// stdin to stdout (e.g. as a Helm post-renderer).
#[derive(Debug, Parser)]
#[command(
    name = "pin",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Exit status: 0 success; 1 --check found something to change; 2 error (nothing was written)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Read settings from this file instead of the pin.toml or .pin.toml found from the current directory up
    /// to the repository root.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        help_heading = "Configuration"
    )]
    pub config: Option<PathBuf>,

    /// Read no configuration file.
    #[arg(
        long,
        global = true,
        conflicts_with = "config",
        help_heading = "Configuration"
    )]
    pub no_config: bool,

    #[command(flatten)]
    pub pin: PinArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every image reference found, with its status; contacts no registry.
    List(ListArgs),
    /// Print each REF pinned, as `pin` would write it (e.g. nginx:1.27 → nginx@sha256:…).
    Resolve(ResolveCmdArgs),
    /// Re-resolve references that carry a tag and a digest; replace the digest where the tag has moved.
    Update(UpdateArgs),
    /// Print the effective settings (configuration file, registries.conf) and where each comes from.
    Config,
    /// Put the tags back: the inverse of pinning; contacts no registry.
    ///
    /// `name@digest` with a tag comment becomes the comment's `name:tag` (and the comment goes);
    /// `name:tag@digest` becomes `name:tag`; a bare `name@digest` takes its tag from a lockfile with
    /// --from-lock.
    Unpin(UnpinArgs),
    /// Check that every digest written in the files is still served by its registry; writes nothing.
    ///
    /// One HEAD per unique pinned digest (for name:tag@digest, the HEAD of the tag, while it still points
    /// at the pin; a moved tag costs a second). A digest that is gone is reported with its place (exit 1); a
    /// registry that cannot be asked, or answers with another digest, is an error (exit 2). A pin of one
    /// platform's manifest inside its tag's multi-platform index is a warning.
    Verify(VerifyArgs),
    /// Run as a KRM function (kustomize, kpt): a ResourceList on stdin, the same list with the images of
    /// its items pinned on stdout.
    ///
    /// Options come from the function config (a ConfigMap's `data`, or the `spec` of any other kind):
    /// `tagStyle` (drop, keep, comment), `lock`, `offline`, `platform`; the flags below set the same (the
    /// function config wins) and the registry settings. Errors go into the list's `results` (exit 2).
    Fn(FnArgs),
    /// Print a completion script for SHELL (bash, elvish, fish, powershell, zsh) on stdout (e.g.
    /// `pin completions bash > ~/.local/share/bash-completion/completions/pin`).
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page of pin, or of `pin COMMAND`, in roff on stdout; with --dir, write every page
    /// (pin.1, pin-list.1, …) into DIR (e.g. `pin man --dir ~/.local/share/man/man1`).
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (pin-COMMAND(1)); without it, pin(1).
    #[arg(value_name = "COMMAND", value_parser = clap::builder::PossibleValuesParser::new(PAGES))]
    pub command: Option<String>,

    /// Write every page into DIR (created if missing) instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// The subcommands with a manual page of their own.
pub const PAGES: &[&str] = &[
    "list",
    "resolve",
    "update",
    "config",
    "unpin",
    "verify",
    "fn",
    "completions",
    "man",
];

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files and directories to pin (directories are walked; .git and ignored paths are skipped);
    /// `-` reads one stream from stdin and writes the result to stdout.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub mode: ModeArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    /// Write the tag as a comment beside the pin: `image: nginx@sha256:… # nginx:1.27` in YAML, a line
    /// `# pin: nginx:1.27` above in Dockerfiles and Quadlet units (the same as `--tag-style comment`).
    /// `pin update` follows it; `pin unpin` restores it.
    #[arg(long, help_heading = "Output", conflicts_with_all = ["keep_tag", "tag_style"])]
    pub tag_comment: bool,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct UnpinArgs {
    /// Files and directories to unpin; `-` for stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub mode: ModeArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Give each bare digest pin (`name@sha256:…`, no tag and no tag comment) the tag that FILE, the
    /// lockfile of the run that pinned it (default pin.lock), records resolving to that digest in its
    /// repository; a digest recorded for several tags is left alone and reported (PIN080). FILE is only
    /// read.
    #[arg(
        long,
        value_name = "FILE",
        num_args = 0..=1,
        default_missing_value = "pin.lock",
        help_heading = "Lockfile"
    )]
    pub from_lock: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Files and directories to verify; `-` for stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub registry: RegistryArgs,

    /// Also require every pinned index to offer these platforms (comma-separated, e.g.
    /// linux/amd64,linux/arm64), and refuse a single-platform manifest where several are required
    /// (one GET per pinned index).
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT],...",
        value_delimiter = ',',
        help_heading = "Mode"
    )]
    pub platforms: Vec<Platform>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Files and directories to update; `-` for stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub mode: ModeArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub registry: RegistryArgs,

    /// Repin a pin of one platform's manifest (a child of its tag's index) to the index, so that nodes of
    /// every platform can run it.
    #[arg(long, help_heading = "Mode")]
    pub to_index: bool,

    /// With `--format markdown`: do not read the OCI labels (created, revision, source) of the images moved
    /// tags point at, which costs a manifest GET and a config blob GET per moved image.
    #[arg(long, help_heading = "Output", conflicts_with = "labels")]
    pub no_labels: bool,

    /// A pin with a digest and no tag (in the reference or a tag comment) is a finding: `--check` exits 1.
    #[arg(long, help_heading = "Mode")]
    pub require_tags: bool,

    /// Allow manifest GETs against Docker Hub, where each counts toward its pull rate limit (by default
    /// Docker Hub is asked only with HEADs, which do not count): compare the platforms' manifests of a moved
    /// index there (two GETs), with `--format markdown` read the labels there too, and
    /// with `--trust-created` the created times.
    #[arg(long, help_heading = "Output")]
    pub labels: bool,

    /// The platforms whose manifests matter (comma-separated, e.g. linux/amd64,linux/arm64; default: those
    /// of the pinned index): a moved index whose manifests for them are the same is not an update, and one
    /// lacking any of them is held back (one GET of each index).
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT],...",
        value_delimiter = ',',
        help_heading = "Mode"
    )]
    pub platforms: Vec<Platform>,

    /// Take a moved index even when the manifests of the platforms required are the same (only attestations
    /// or other platforms changed).
    #[arg(long, help_heading = "Mode")]
    pub all_changes: bool,
    /// Apply a new digest only once it has been seen for this long (e.g. 3d, 12h, 90m, 1w, 2d12h, or
    /// seconds); a younger one is held back and reported. When each digest was first seen is recorded in
    /// the --lock file, else in the cache directory.
    #[arg(long, value_name = "DURATION", help_heading = "Mode",
          value_parser = crate::settings::parse_duration)]
    pub min_age: Option<u64>,

    /// With --min-age: age a new digest from its image config's `created` time instead of when pin first
    /// saw it (the publisher sets that time; reading it costs a manifest GET and a config GET per new
    /// image, so on Docker Hub it needs --labels).
    #[arg(long, help_heading = "Mode")]
    pub trust_created: bool,

    /// Keep the first-seen records of --min-age in FILE, a pin lockfile (created if missing; written
    /// unless --check); its image entries are left as they are.
    #[arg(long, value_name = "FILE", help_heading = "Lockfile")]
    pub lock: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FnArgs {
    #[command(flatten)]
    pub resolve: ResolveArgs,

    /// Write the tag as a comment beside the pin (`tagStyle: comment`).
    #[arg(long, help_heading = "Output", conflicts_with_all = ["keep_tag", "tag_style"])]
    pub tag_comment: bool,

    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct ResolveCmdArgs {
    /// Image references, e.g. nginx:1.27 or ghcr.io/org/app:v1; `-` reads more from stdin, one per line (blank
    /// lines and `#` comments are ignored).
    #[arg(value_name = "REF", required = true)]
    pub refs: Vec<String>,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Files and directories to list; `-` for stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Mode")]
pub struct ModeArgs {
    /// Write the files in place (atomically) instead of printing a diff.
    #[arg(short = 'w', long)]
    pub write: bool,

    /// Write nothing; exit 1 if any reference would change.
    #[arg(long, conflicts_with = "write")]
    pub check: bool,

    /// On a failed lookup, still write the files whose references all resolved; exit 2 at the end.
    #[arg(long)]
    pub keep_going: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Selection")]
pub struct SelectArgs {
    /// Skip paths matching this pattern, with gitignore semantics: 'vendor' skips every vendor directory,
    /// '/build' only the top one, '!' re-includes (e.g. 'testdata/', 'vendor/**'). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,

    /// Apply --exclude to paths named on the command line too (for hooks that pass every staged file).
    #[arg(long)]
    pub force_exclude: bool,

    /// Skip references matching this regular expression, as written or normalized (busybox:1 is also
    /// docker.io/library/busybox:1, so '^docker\.io/' skips it). Repeatable.
    #[arg(long, value_name = "REGEX")]
    pub skip: Vec<String>,

    /// Also pin dev container features (`ghcr.io/devcontainers/features/node:1` → `…/node@sha256:…`, the tag
    /// dropped: feature ids take a tag or a digest, not both).
    #[arg(long)]
    pub devcontainer_features: bool,

    /// Leave the actions and reusable workflows of GitHub Actions files (`uses: actions/checkout@v4`) alone:
    /// only their images are pinned.
    #[arg(long)]
    pub no_actions: bool,

    /// The kind of the stream read from stdin with `-`: yaml, dockerfile, compose, … (docs/kinds.md).
    #[arg(
        long,
        value_name = "KIND",
        default_value = "yaml",
        hide_possible_values = true
    )]
    pub stdin_kind: Kind,
}

/// The kind table's names are the values of `--stdin-kind`.
impl ValueEnum for Kind {
    fn value_variants<'a>() -> &'a [Self] {
        Kind::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

/// `--tag-style`: where the tag goes when a reference is pinned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TagStyle {
    /// `name@sha256:…`: the tag is gone (`pin update` and `pin unpin` cannot follow or restore it).
    Drop,
    /// `name:tag@sha256:…` (CRI-O, skopeo and buildah refuse this form).
    Keep,
    /// `name@sha256:…` with the tag in a comment beside it (where the format has comments).
    Comment,
}

/// How references become digests: shared by `pin` and `pin resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Where the tag goes: `comment` (`name@sha256:… # name:tag`), `keep` (`name:tag@sha256:…`) or `drop`
    /// (`name@sha256:…`; `pin update` and `pin unpin` need the tag that `comment` and `keep` keep). Default:
    /// by file kind, a comment where the format has comments, else `keep` (JSON, XML): CRI-O, skopeo and
    /// buildah refuse `name:tag@sha256:…`, and a comment keeps the reference they read a plain digest.
    #[arg(
        long,
        value_enum,
        value_name = "STYLE",
        help_heading = "Output",
        conflicts_with = "keep_tag"
    )]
    pub tag_style: Option<TagStyle>,

    /// Keep the tag next to the digest: name:tag@sha256:… (the same as `--tag-style keep`).
    #[arg(long, help_heading = "Output")]
    pub keep_tag: bool,

    /// Pin this platform's manifest (os/arch[/variant], e.g. linux/arm/v7) instead of the multi-platform
    /// index the tag points at.
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT][:OSVERSION]",
        help_heading = "Registry"
    )]
    pub platform: Option<Platform>,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Lockfile")]
pub struct LockArgs {
    /// Record every resolution in FILE (created if missing; written unless --check or --offline).
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,

    /// Resolve only from the --lock file; contact no registry. A reference it lacks is an error.
    #[arg(long, requires = "lock")]
    pub offline: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Registry")]
pub struct RegistryArgs {
    /// Lookups in flight at once, at most. Per registry the number adapts: it starts at 16, grows while the
    /// registry keeps up, and halves on each round of 429 or 503 answers.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// Reach this registry (HOST[:PORT]) over plain HTTP. Repeatable.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,

    /// Also trust the CA certificates in this PEM file (added to the system trust store). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// Ask HOST (HOST[:PORT][/PATH]) before the registry for images under PREFIX, as a registries.conf
    /// mirror (e.g. docker.io=mirror.corp.example/hub). Repeatable; mirrors are asked in order.
    #[arg(long, value_name = "PREFIX=HOST")]
    pub mirror: Vec<String>,

    /// The git server actions are resolved on: GitHub Enterprise Server, or any server with the
    /// OWNER/REPO.git layout (default https://github.com). Plain http:// only for a host named with
    /// --insecure-registry.
    #[arg(long, value_name = "URL")]
    pub actions_server: Option<String>,

    /// Seconds before one registry request, once connected, is abandoned (not retried: a silent registry
    /// fails within this time).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Answer lookups from the tag → digest cache when it has a recent answer, and remember new ones
    /// (in --cache-dir, default $XDG_CACHE_HOME/pin or ~/.cache/pin). Never used by `pin update`.
    #[arg(long, help_heading = "Cache")]
    pub cache: bool,

    /// Keep the tag → digest cache in DIR (implies --cache).
    #[arg(long, value_name = "DIR", help_heading = "Cache")]
    pub cache_dir: Option<PathBuf>,

    /// Seconds a cached answer is used for.
    #[arg(long, value_name = "SECONDS", default_value_t = 900, help_heading = "Cache",
          value_parser = clap::value_parser!(u64).range(0..=31_536_000))]
    pub cache_ttl: u64,

    /// Seconds to wait for a connection to a registry (TCP and TLS).
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: u64,

    #[command(flatten)]
    pub signature: SignatureArgs,
}

/// Signature-gated pinning (docs/signatures.md).
#[derive(Debug, Args)]
#[command(next_help_heading = "Signatures")]
pub struct SignatureArgs {
    /// Write a digest only when a cosign signature for exactly that digest verifies (with --signature-key,
    /// a keyless --signature-identity, or as --policy says); anything else is an error and nothing is written.
    #[arg(long)]
    pub require_signature: bool,

    /// The cosign public key (PEM, ECDSA P-256) signatures must verify with; implies --require-signature.
    /// Repeatable: a signature by any one of them will do.
    #[arg(long, value_name = "FILE", conflicts_with = "policy")]
    pub signature_key: Vec<PathBuf>,

    /// Require what this containers-policy.json(5) file requires, per registry and repository (the policy
    /// podman and CRI-O enforce): sigstoreSigned keys or fulcio, insecureAcceptAnything, reject.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Keyless: the certificate subject (email or URI, such as a GitHub workflow's) signatures must carry;
    /// needs --signature-issuer or --signature-issuer-regexp; implies --require-signature.
    #[arg(long, value_name = "SUBJECT", conflicts_with_all = ["policy", "signature_key", "signature_identity_regexp"])]
    pub signature_identity: Option<String>,

    /// Keyless: a regular expression the whole certificate subject must match (anchored at both ends).
    #[arg(long, value_name = "REGEXP", conflicts_with_all = ["policy", "signature_key"])]
    pub signature_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer the certificate must name (https://token.actions.githubusercontent.com for
    /// GitHub Actions).
    #[arg(long, value_name = "URL", conflicts_with_all = ["policy", "signature_key", "signature_issuer_regexp"])]
    pub signature_issuer: Option<String>,

    /// Keyless: a regular expression the whole OIDC issuer must match (anchored at both ends).
    #[arg(long, value_name = "REGEXP", conflicts_with_all = ["policy", "signature_key"])]
    pub signature_issuer_regexp: Option<String>,

    /// The Sigstore trusted_root.json (Fulcio CAs, Rekor and CT log keys) to verify against, for a private
    /// Sigstore deployment or a newer public-good root; default: the public-good root built in.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// Write a digest only when a signed attestation of this type about exactly that digest verifies, signed
    /// as signatures must be (--signature-key, a keyless identity, --policy): slsaprovenance (SLSA
    /// provenance v0.2 or v1), slsaprovenance02, slsaprovenance1. With it, a signature is required too only
    /// with --require-signature.
    #[arg(long, value_name = "TYPE")]
    pub require_attestation: Option<String>,

    /// The builder id the provenance must name: ID matches any version of that builder, ID@VERSION only that
    /// one (as slsa-verifier's --builder-id); implies --require-attestation slsaprovenance.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "attestation_builder_id_regexp"
    )]
    pub attestation_builder_id: Option<String>,

    /// A regular expression the whole builder id must match (anchored at both ends).
    #[arg(long, value_name = "REGEXP")]
    pub attestation_builder_id_regexp: Option<String>,

    /// The source repository the provenance must name (github.com/org/repo, as slsa-verifier's
    /// --source-uri; with @REF, that ref too); implies --require-attestation slsaprovenance.
    #[arg(
        long,
        value_name = "URI",
        conflicts_with = "attestation_source_uri_regexp"
    )]
    pub attestation_source_uri: Option<String>,

    /// A regular expression the whole source URI, as the provenance writes it
    /// (git+https://github.com/org/repo@refs/heads/main), must match (anchored at both ends).
    #[arg(long, value_name = "REGEXP")]
    pub attestation_source_uri_regexp: Option<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// `text`: a diff (or listing) on stdout, messages on stderr. `json`: one JSON document on stdout.
    /// `github`: GitHub Actions annotations. `gitlab`: a GitLab Code Quality report. `sarif`: SARIF 2.1.0
    /// for code scanning. `markdown`: a pull request body.
    #[arg(
        long,
        visible_alias = "output-format",
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub format: Format,

    /// Colour the diff and messages: `auto` when writing to a terminal and NO_COLOR is unset.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,

    /// Print no summary line, no progress line and no skip lines (skips that are warnings, such as an invalid
    /// reference, stay).
    #[arg(short, long)]
    pub quiet: bool,

    /// More detail, on stderr: -v the registry requests made and every reference of a registry that could
    /// not be reached; -vv also each lookup's answer and where it came from.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Gitlab,
    Sarif,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Flags given before a subcommand's name move after it: `pin --timeout 2 -v resolve REF` is read as
/// `pin resolve --timeout 2 -v REF`. A flag moves only when the subcommand has it too (the registry, output
/// and selection flags); without a subcommand name after the flags (`pin -v deploy/`), or with a flag the
/// subcommand lacks (`pin -w list`), the line is unchanged.
///
/// The top level takes paths (`pin -w deploy/`), so once it has read a flag it reads every later word as
/// a path; moving the flags keeps both `pin [FLAGS] [PATH]...` and `pin [FLAGS] COMMAND`.
pub fn arrange_args<I: IntoIterator<Item = std::ffi::OsString>>(
    args: I,
) -> Vec<std::ffi::OsString> {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    // The ids of the flags read before the first word, or `None` when a word is not a flag of `pin`.
    let mut ids: Vec<&str> = Vec::new();
    let mut i = 1;
    while let Some(a) = args.get(i).and_then(|a| a.to_str()) {
        if a == "--" || a == "-" || !a.starts_with('-') {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            let Some(arg) = cmd.get_arguments().find(|x| {
                x.get_long() == Some(name) || x.get_all_aliases().is_some_and(|v| v.contains(&name))
            }) else {
                return args;
            };
            ids.push(arg.get_id().as_str());
            i += if arg.get_action().takes_values() && !inline {
                2
            } else {
                1
            };
            continue;
        }
        // A cluster of short flags: `-vv`, `-wq`, `-j4`, `-j 4`.
        let mut step = 1;
        for (at, c) in a.char_indices().skip(1) {
            let Some(arg) = cmd.get_arguments().find(|x| x.get_short() == Some(c)) else {
                return args;
            };
            ids.push(arg.get_id().as_str());
            if arg.get_action().takes_values() {
                if at + c.len_utf8() == a.len() {
                    step = 2;
                }
                break;
            }
        }
        i += step;
    }
    let Some(name) = args.get(i).and_then(|a| a.to_str()) else {
        return args;
    };
    let Some(sub) = cmd
        .get_subcommands()
        .find(|s| s.get_name() == name || s.get_all_aliases().any(|x| x == name))
    else {
        return args;
    };
    let takes = |id: &str| sub.get_arguments().any(|x| x.get_id().as_str() == id);
    if i == 1 || !ids.iter().all(|id| takes(id)) {
        return args;
    }
    let mut out = vec![args[0].clone(), args[i].clone()];
    out.extend_from_slice(&args[1..i]);
    out.extend_from_slice(&args[i + 1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The help of `pin` and each subcommand, as users read it, against `tests/snapshots/help.txt` (a golden
    /// file: `PIN_BLESS=1` rewrites it).
    #[test]
    fn help_snapshot() {
        let mut cmd = Cli::command().term_width(100);
        let mut help = cmd.render_long_help().to_string();
        for sub in ["list", "resolve", "update", "unpin", "verify"] {
            let sub = cmd.find_subcommand_mut(sub).expect("subcommand");
            help.push_str(&format!("\n===== pin {} --help\n\n", sub.get_name()));
            help.push_str(&sub.render_long_help().to_string());
        }
        crate::golden::assert_golden("tests/snapshots/help.txt", &help);
    }

    fn parse(line: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(arrange_args(line.iter().map(std::ffi::OsString::from)))
    }

    #[test]
    fn output_flags_go_before_or_after_the_subcommand() {
        for line in [
            &["pin", "-v", "list", "."][..],
            &["pin", "list", "-v", "."],
            &["pin", "--format", "json", "-v", "list", "."],
            &["pin", "--format=json", "--verbose", "list", "."],
            &["pin", "--config", "x.toml", "-v", "list", "."],
        ] {
            match parse(line).unwrap().command {
                Some(Command::List(l)) => {
                    assert_eq!(l.output.verbose, 1, "{line:?}");
                    assert_eq!(l.paths, [PathBuf::from(".")], "{line:?}");
                }
                other => panic!("{line:?}: {other:?}"),
            }
        }
        let cli = parse(&["pin", "--format", "json", "-q", "list", "."]).unwrap();
        match cli.command {
            Some(Command::List(l)) => assert!(l.output.format == Format::Json && l.output.quiet),
            other => panic!("{other:?}"),
        }
        let cli = parse(&["pin", "--config", "x.toml", "resolve", "x:1"]).unwrap();
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
        // Without a subcommand name, the words are paths, as before.
        let cli = parse(&["pin", "-v", "deploy", "list"]).unwrap();
        assert!(cli.command.is_none() && cli.pin.output.verbose == 1);
        assert_eq!(
            cli.pin.paths,
            [PathBuf::from("deploy"), PathBuf::from("list")]
        );
        // -w belongs to `pin` itself: before `list` it is not moved, and `list` is a path.
        let cli = parse(&["pin", "-w", "list"]).unwrap();
        assert!(cli.command.is_none());
        // -v counts: -vv, -v -v, before or after the subcommand.
        for line in [
            &["pin", "-vv", "list", "."][..],
            &["pin", "-v", "list", "-v", "."],
            &["pin", "list", "--verbose", "-v", "."],
        ] {
            match parse(line).unwrap().command {
                Some(Command::List(l)) => assert_eq!(l.output.verbose, 2, "{line:?}"),
                other => panic!("{line:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn registry_and_selection_flags_go_before_the_subcommand_too() {
        let cli = parse(&["pin", "--timeout", "2", "-j4", "resolve", "x:1"]).unwrap();
        match cli.command {
            Some(Command::Resolve(r)) => {
                assert_eq!(
                    (r.resolve.registry.timeout, r.resolve.registry.jobs),
                    (2, 4)
                );
                assert_eq!(r.refs, ["x:1"]);
            }
            other => panic!("{other:?}"),
        }
        let cli = parse(&[
            "pin",
            "--timeout=5",
            "--exclude",
            "vendor",
            "update",
            "-w",
            "k8s",
        ])
        .unwrap();
        match cli.command {
            Some(Command::Update(u)) => {
                assert_eq!(u.registry.timeout, 5);
                assert_eq!(u.select.exclude, ["vendor"]);
                assert!(u.mode.write);
                assert_eq!(u.paths, [PathBuf::from("k8s")]);
            }
            other => panic!("{other:?}"),
        }
        // A flag the subcommand lacks stays where it is, and the name is then a path (which settings
        // refuse when no such file exists): `resolve` has no --exclude, `list` no -w.
        for line in [
            &["pin", "--exclude", "x", "resolve", "x:1"][..],
            &["pin", "-w", "list"],
            &["pin", "--keep-tag", "verify", "."],
        ] {
            assert!(parse(line).unwrap().command.is_none(), "{line:?}");
        }
        // A value that looks like a subcommand is a value.
        let cli = parse(&["pin", "--exclude", "list", "deploy"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.pin.select.exclude, ["list"]);
        // `--` ends the flags: what follows are paths.
        let cli = parse(&["pin", "-v", "--", "list"]).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn parses_modes_and_subcommands() {
        let cli = Cli::try_parse_from(["pin", "-w", "deploy"]).unwrap();
        assert!(cli.pin.mode.write && cli.command.is_none());
        assert_eq!(cli.pin.paths, [PathBuf::from("deploy")]);
        let cli = Cli::try_parse_from(["pin"]).unwrap();
        assert_eq!(cli.pin.paths, [PathBuf::from(".")]);
        assert!(Cli::try_parse_from(["pin", "-w", "--check"]).is_err());
        let cli = Cli::try_parse_from(["pin", "list", "a", "b"]).unwrap();
        match cli.command {
            Some(Command::List(l)) => assert_eq!(l.paths.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["pin", "-j", "0"]).is_err());
        assert!(Cli::try_parse_from(["pin", "--platform", "linux"]).is_err());
        assert!(Cli::try_parse_from(["pin", "resolve"]).is_err());
        let cli =
            Cli::try_parse_from(["pin", "resolve", "--platform", "linux/arm/v7", "x:1"]).unwrap();
        match cli.command {
            Some(Command::Resolve(r)) => {
                assert_eq!(r.resolve.platform.unwrap().to_string(), "linux/arm/v7")
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["pin", "--offline"]).is_err());
        assert!(Cli::try_parse_from(["pin", "--offline", "--lock", "pin.lock"]).is_ok());
        assert!(Cli::try_parse_from(["pin", "update", "--lock", "x"]).is_ok());
        assert!(Cli::try_parse_from(["pin", "update", "--offline", "--lock", "x"]).is_err());
        assert!(Cli::try_parse_from(["pin", "update", "--min-age", "3x"]).is_err());
        assert!(Cli::try_parse_from(["pin", "--format", "yaml"]).is_err());
        let cli = Cli::try_parse_from(["pin", "-", "--stdin-kind", "dockerfile"]).unwrap();
        assert_eq!(cli.pin.select.stdin_kind, Kind::Dockerfile);
    }
}
