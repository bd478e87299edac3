//! `pin completions SHELL` and `pin man`: documents generated from the command-line definition itself.
//!
//! Each is rendered whole into memory and then written, so a reader that closes the pipe early
//! (`pin completions elvish | head`) ends the run quietly instead of failing inside the generator.

use std::io::{self, Write};
use std::path::Path;

use super::ExitStatus;
use crate::cli::{Cli, PAGES};

/// A completion script for `shell`.
pub(super) fn completions(
    shell: clap_complete::Shell,
    out: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pin", &mut script);
    out.write_all(&script)?;
    Ok(ExitStatus::Success)
}

/// The manual page of `pin` or of `pin COMMAND` on `out`; with `dir`, every page written there.
pub(super) fn man(
    command: Option<&str>,
    dir: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let Some(dir) = dir else {
        out.write_all(&page(command)?)?;
        return Ok(ExitStatus::Success);
    };
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        for name in std::iter::once(None).chain(PAGES.iter().map(|p| Some(*p))) {
            let file = match name {
                None => "pin.1".to_string(),
                Some(n) => format!("pin-{n}.1"),
            };
            std::fs::write(dir.join(file), page(name)?)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => Ok(ExitStatus::Success),
        Err(e) => {
            writeln!(
                err,
                "pin: error: cannot write the manual pages to {}: {e}",
                dir.display()
            )?;
            Ok(ExitStatus::Error)
        }
    }
}

/// One page: clap's sections (name, synopsis, description, options, subcommands, version), then the exit
/// status, environment, files and see-also sections written here.
fn page(command: Option<&str>) -> io::Result<Vec<u8>> {
    let mut root = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    root.build();
    let cmd = match command {
        Some(name) => root
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| io::Error::other(format!("no subcommand {name}")))?,
        None => root,
    };
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("pin {}", env!("CARGO_PKG_VERSION")))
        .manual("pin manual");
    let mut w = Vec::new();
    man.render_title(&mut w)?;
    man.render_name_section(&mut w)?;
    man.render_synopsis_section(&mut w)?;
    man.render_description_section(&mut w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut w)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut w)?;
    }
    let facts = Facts::of(command);
    section(&mut w, "EXIT STATUS", facts.exit)?;
    section(&mut w, "ENVIRONMENT", &facts.environment)?;
    section(&mut w, "FILES", &facts.files)?;
    let see_also: Vec<String> = match command {
        Some(_) => vec!["pin(1)".to_string()],
        None => PAGES.iter().map(|p| format!("pin-{p}(1)")).collect(),
    };
    writeln!(w, ".SH \"SEE ALSO\"\n{}", roff(&see_also.join(", ")))?;
    if cmd.get_version().is_some() {
        man.render_version_section(&mut w)?;
    }
    Ok(w)
}

/// A section of tagged paragraphs: a term in bold, then its text.
fn section(w: &mut Vec<u8>, title: &str, items: &[(&str, &str)]) -> io::Result<()> {
    if title.contains(' ') {
        writeln!(w, ".SH \"{title}\"")?;
    } else {
        writeln!(w, ".SH {title}")?;
    }
    for (term, text) in items {
        writeln!(w, ".TP\n\\fB{}\\fR\n{}", roff(term), roff(text))?;
    }
    Ok(())
}

/// Text escaped for roff: backslashes and hyphens as such, no line taken for a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// What a page says about exit codes, the environment and files, by command.
struct Facts {
    exit: &'static [(&'static str, &'static str)],
    environment: Vec<(&'static str, &'static str)>,
    files: Vec<(&'static str, &'static str)>,
}

const EXIT_FILES: &[(&str, &str)] = &[
    ("0", "Success: the diff was printed (dry run), the files were written (-w), or --check found nothing to change."),
    ("1", "--check found something to change."),
    ("2", "An error: a lookup failed, a file could not be read or written, or the command line or configuration is wrong. No file was written (with --keep-going, only the files whose references all resolved were)."),
    ("130, 143", "Interrupted by SIGINT or SIGTERM; files are written whole or not at all."),
];
const EXIT_LIST: &[(&str, &str)] = &[
    ("0", "Every file was read."),
    (
        "2",
        "An error: a file that cannot be read or parsed, or a wrong command line or configuration.",
    ),
];
const EXIT_RESOLVE: &[(&str, &str)] = &[
    ("0", "Every REF was resolved and printed."),
    ("2", "A REF could not be resolved (the others are still printed), or the command line or configuration is wrong."),
];
const EXIT_VERIFY: &[(&str, &str)] = &[
    ("0", "Every pinned digest is still served."),
    ("1", "A pinned digest is gone from its registry."),
    ("2", "An error: a registry that cannot be asked, or answers with another digest; a file that cannot be read; a wrong command line or configuration."),
];
const EXIT_FN: &[(&str, &str)] = &[
    ("0", "The ResourceList was pinned."),
    (
        "2",
        "An error, also reported in the list's results; nothing was pinned.",
    ),
];
const EXIT_PRINT: &[(&str, &str)] = &[
    ("0", "Printed (or written)."),
    (
        "2",
        "A wrong command line or configuration, or a page that could not be written.",
    ),
];

const ENV_REGISTRY: &[(&str, &str)] = &[
    ("REGISTRY_AUTH_FILE", "The podman auth.json to read credentials from, instead of $XDG_RUNTIME_DIR/containers/auth.json."),
    ("XDG_RUNTIME_DIR, XDG_CONFIG_HOME", "Where podman's auth.json files are: $XDG_RUNTIME_DIR/containers/auth.json, then ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json."),
    ("DOCKER_CONFIG", "The directory of docker's config.json (default ~/.docker)."),
    ("PATH", "Where credential helpers (docker-credential-NAME) are looked for."),
    ("CONTAINERS_REGISTRIES_CONF", "The registries.conf to read instead of the system's and the user's."),
    ("SSL_CERT_FILE", "A PEM file of CA certificates to trust besides the system's (as --ca-cert)."),
    ("HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "The proxy to reach registries through, and the hosts reached directly."),
    ("XDG_CACHE_HOME", "The tag to digest cache is in $XDG_CACHE_HOME/pin (default ~/.cache/pin), with --cache."),
    ("CI", "When set (not empty, false or 0), a pin.toml does not switch the cache on."),
];
const ENV_OUTPUT: &[(&str, &str)] = &[
    ("NO_COLOR", "When set and not empty, no colour unless --color always."),
    ("CLICOLOR_FORCE, CLICOLOR", "CLICOLOR_FORCE=1 colours output that is not a terminal; CLICOLOR=0 switches --color auto off."),
    ("HOME", "The user's home: ~/.docker, ~/.config and ~/.cache are found from it."),
];

const FILES_CONFIG: &[(&str, &str)] = &[(
    "pin.toml, .pin.toml",
    "Settings, found from the current directory up to the repository root (--config names another, --no-config reads none); pin config prints them.",
)];
const FILES_REGISTRY: &[(&str, &str)] = &[
    ("$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json", "podman's logins (podman login), read first."),
    ("~/.docker/config.json", "docker's logins (docker login) and credential helpers (credsStore, credHelpers)."),
    ("/etc/containers/registries.conf, ~/.config/containers/registries.conf, and their registries.conf.d", "Mirrors, remapped locations, blocked and insecure registries, as podman reads them."),
    ("~/.cache/pin", "The tag to digest cache (--cache)."),
];

impl Facts {
    fn of(command: Option<&str>) -> Facts {
        let (exit, registry, scans): (&'static [(&str, &str)], bool, bool) = match command {
            None | Some("update") | Some("unpin") => (EXIT_FILES, command != Some("unpin"), true),
            Some("list") => (EXIT_LIST, false, true),
            Some("resolve") => (EXIT_RESOLVE, true, true),
            Some("verify") => (EXIT_VERIFY, true, true),
            Some("fn") => (EXIT_FN, true, true),
            Some("config") => (EXIT_PRINT, true, true),
            _ => (EXIT_PRINT, false, false),
        };
        let mut environment = Vec::new();
        let mut files = Vec::new();
        if registry {
            environment.extend_from_slice(ENV_REGISTRY);
            files.extend_from_slice(FILES_REGISTRY);
        }
        if scans {
            environment.extend_from_slice(ENV_OUTPUT);
            files.splice(0..0, FILES_CONFIG.iter().copied());
        }
        if environment.is_empty() {
            environment.push(("(none)", "This command reads no environment variable."));
        }
        if files.is_empty() {
            files.push(("(none)", "This command reads no file."));
        }
        Facts {
            exit,
            environment,
            files,
        }
    }
}
