//! Every command-line flag, in one place. Parsing does no I/O: [`crate::app`] turns these into a plan.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Pin container image references to registry digests, changing no other byte.
///
/// Finds `image:` values in YAML (Kubernetes manifests, custom resources) and, in Dockerfiles, the images of
/// `FROM` (or the `ARG` default it uses), `COPY --from`, `RUN --mount=from=` and `# syntax=`,
/// asks each image's registry for the digest its tag points at, and rewrites `name:tag` to `name@sha256:…`.
/// Without -w, prints a unified diff and changes nothing.
#[derive(Debug, Parser)]
#[command(
    name = "pin",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Exit status: 0 success; 1 --check found references to pin; 2 error (nothing was written)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub pin: PinArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every image reference found, with its status; contacts no registry.
    List(ListArgs),
    /// Print each REF pinned, as `pin` would write it (e.g. nginx:1.27 → nginx@sha256:…).
    Resolve(ResolveCmdArgs),
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files and directories to pin (directories are walked; .git and ignored paths are skipped).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Write the pinned files in place (atomically) instead of printing a diff.
    #[arg(short = 'w', long, help_heading = "Mode")]
    pub write: bool,

    /// Write nothing; exit 1 if any reference would be pinned.
    #[arg(long, conflicts_with = "write", help_heading = "Mode")]
    pub check: bool,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ResolveCmdArgs {
    /// Image references, e.g. nginx:1.27 or ghcr.io/org/app:v1.
    #[arg(value_name = "REF", required = true)]
    pub refs: Vec<String>,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// How references become digests: shared by `pin` and `pin resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Keep the tag next to the digest: name:tag@sha256:… instead of name@sha256:….
    #[arg(long, help_heading = "Output")]
    pub keep_tag: bool,

    /// Pin this platform's manifest (os/arch[/variant], e.g. linux/arm/v7) instead of the multi-platform
    /// index the tag points at.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", help_heading = "Registry")]
    pub platform: Option<crate::resolve::Platform>,

    /// Record every resolution in FILE (created if missing; written unless --check or --offline).
    #[arg(long, value_name = "FILE", help_heading = "Lockfile")]
    pub lock: Option<PathBuf>,

    /// Resolve only from the --lock file; contact no registry. A reference it lacks is an error.
    #[arg(long, requires = "lock", help_heading = "Lockfile")]
    pub offline: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Files and directories to list.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Registry")]
pub struct RegistryArgs {
    /// Lookups in flight at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// Reach this registry (HOST[:PORT]) over plain HTTP. Repeatable.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,

    /// Also trust the CA certificates in this PEM file (added to the system trust store). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// Seconds before one registry request is abandoned (it may then be retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Print no summary line.
    #[arg(short, long)]
    pub quiet: bool,

    /// Also print registry request counts.
    #[arg(short, long)]
    pub verbose: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_modes_and_subcommands() {
        let cli = Cli::try_parse_from(["pin", "-w", "deploy"]).unwrap();
        assert!(cli.pin.write && cli.command.is_none());
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
    }
}
