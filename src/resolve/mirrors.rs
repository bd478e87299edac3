//! Where a lookup goes: registry remapping, mirrors and blocked registries, as the container tools configure
//! them in containers-registries.conf(5) version 2, in `pin.toml` and with `--mirror`.
//!
//! An image name is matched against each `[[registry]]` table's `prefix` (the longest match wins; a prefix
//! matches a whole path component, `*.example.com` any subdomain). Its `[[registry.mirror]]` locations are
//! asked first, in order, then its `location` (by default the prefix itself): the first that answers wins.
//! A `blocked` table is an error before any request. A mirror with `pull-from-mirror = "digest-only"` (or a
//! table with `mirror-by-digest-only = true`) is never asked for a tag; `tag-only` mirrors never for a digest.
//! The text written to files keeps the user's spelling: routing changes only where the question is asked.

use std::collections::BTreeMap;

use crate::reference::Reference;
pub use crate::registries_conf::{MirrorTable, PullFromMirror, RegistryTable};

/// One endpoint to ask, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]` (`docker.io` for Docker Hub).
    pub registry: String,
    pub repository: String,
    /// Reached over plain HTTP.
    pub insecure: bool,
    /// A mirror (not the primary location).
    pub mirror: bool,
}

/// A table with where it was defined, for messages.
#[derive(Clone, Debug)]
struct Entry {
    prefix: String,
    table: RegistryTable,
    origin: String,
    /// From a configuration file (`pin.toml`), which a repository controls: its plain-HTTP hosts get no
    /// credentials, and it cannot unblock what the user blocked.
    from_config: bool,
}

/// The routing table: every `[[registry]]` table from registries.conf, `pin.toml` and `--mirror`.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    /// By prefix: a later definition of the same prefix replaces an earlier one.
    entries: BTreeMap<String, Entry>,
    /// The user's own tables (registries.conf, `--mirror`), by prefix, as they stand without the
    /// configuration file's: what they block stays blocked.
    user: BTreeMap<String, Entry>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    #[error("{name} is blocked by {origin} (blocked = true)")]
    Blocked { name: String, origin: String },
}

impl Routes {
    /// Adds one table of the user's (from `origin`: registries.conf), replacing an earlier one with the same
    /// prefix.
    pub fn add(&mut self, table: RegistryTable, origin: &str) -> Result<(), RouteError> {
        let entry = Routes::entry(table, origin, false)?;
        self.user.insert(entry.prefix.clone(), entry.clone());
        self.entries.insert(entry.prefix.clone(), entry);
        Ok(())
    }

    /// Adds one table of a configuration file (`pin.toml`), replacing an earlier one with the same prefix
    /// for routing; a prefix the user's tables block stays blocked.
    pub fn add_from_config(
        &mut self,
        table: RegistryTable,
        origin: &str,
    ) -> Result<(), RouteError> {
        let entry = Routes::entry(table, origin, true)?;
        self.entries.insert(entry.prefix.clone(), entry);
        Ok(())
    }

    fn entry(table: RegistryTable, origin: &str, from_config: bool) -> Result<Entry, RouteError> {
        let bad = |message: String| RouteError::Config {
            file: origin.to_string(),
            message,
        };
        let prefix = table
            .prefix_key()
            .ok_or_else(|| bad("a [[registry]] table needs a prefix or a location".into()))?;
        for loc in table
            .location
            .iter()
            .chain(table.mirrors.iter().map(|m| &m.location))
        {
            if loc.starts_with("http://") || loc.starts_with("https://") {
                return Err(bad(format!(
                    "location {loc:?}: no URI scheme (write host[:port][/path]; `insecure = true` for plain HTTP)"
                )));
            }
        }
        if let Some(host) = prefix.strip_prefix("*.") {
            if host.contains(['/', '@', ':']) {
                return Err(bad(format!(
                    "wildcard prefix {prefix:?} must be of the form *.example.com"
                )));
            }
            if table.location.is_some() {
                return Err(bad(format!(
                    "a wildcard prefix ({prefix}) cannot have a location"
                )));
            }
        }
        if table.mirror_by_digest_only && table.mirrors.iter().any(|m| m.pull_from_mirror.is_some())
        {
            return Err(bad(format!(
                "{prefix}: pull-from-mirror cannot be combined with mirror-by-digest-only"
            )));
        }
        Ok(Entry {
            prefix,
            table,
            origin: origin.to_string(),
            from_config,
        })
    }

    /// `--mirror PREFIX=LOCATION`: LOCATION is asked before PREFIX's location (repeat for several).
    pub fn add_mirror_flag(&mut self, flag: &str) -> Result<(), RouteError> {
        let (prefix, location) = flag
            .split_once('=')
            .filter(|(p, l)| !p.is_empty() && !l.is_empty())
            .ok_or_else(|| RouteError::Config {
                file: "--mirror".into(),
                message: format!("{flag:?} is not PREFIX=HOST[/PATH]"),
            })?;
        let prefix = prefix.trim_end_matches('/');
        let mirror = MirrorTable {
            location: location.to_string(),
            insecure: false,
            pull_from_mirror: None,
        };
        let with_mirror = |map: &BTreeMap<String, Entry>| {
            let mut table =
                map.get(prefix)
                    .map(|e| e.table.clone())
                    .unwrap_or_else(|| RegistryTable {
                        prefix: Some(prefix.to_string()),
                        ..RegistryTable::default()
                    });
            table.mirrors.push(mirror.clone());
            table
        };
        // Added to the table in effect (perhaps the configuration file's, which stays its own), and to the
        // user's own.
        let from_config = self.entries.get(prefix).is_some_and(|e| e.from_config);
        let routed = Routes::entry(with_mirror(&self.entries), "--mirror", from_config)?;
        let own = Routes::entry(with_mirror(&self.user), "--mirror", false)?;
        self.entries.insert(routed.prefix.clone(), routed);
        self.user.insert(own.prefix.clone(), own);
        Ok(())
    }

    /// Every host configured as insecure (plain HTTP), locations and mirrors alike.
    pub fn insecure_hosts(&self) -> Vec<String> {
        Routes::insecure_of(self.entries.values())
    }

    /// The hosts the user's own tables configure as insecure: credentials may go to them over plain HTTP.
    pub fn user_insecure_hosts(&self) -> Vec<String> {
        Routes::insecure_of(self.user.values())
    }

    fn insecure_of<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<String> {
        let mut hosts = Vec::new();
        for e in entries {
            if e.table.insecure {
                hosts.push(host_of(e.table.location.as_deref().unwrap_or(&e.prefix)));
            }
            for m in e.table.mirrors.iter().filter(|m| m.insecure) {
                hosts.push(host_of(&m.location));
            }
        }
        hosts.retain(|h| !h.starts_with("*."));
        hosts
    }

    /// Where to ask about `registry/repository` and a tag (`by_digest` false) or a digest, in order; an
    /// error when a blocked table matches.
    pub fn endpoints(
        &self,
        registry: &str,
        repository: &str,
        by_digest: bool,
    ) -> Result<Vec<Endpoint>, RouteError> {
        let name = format!("{registry}/{repository}");
        // What the user's own tables block stays blocked, whatever the configuration file routes.
        if let Some((own, _)) = longest(&self.user, &name).filter(|(e, _)| e.table.blocked) {
            return Err(RouteError::Blocked {
                origin: own.origin.clone(),
                name,
            });
        }
        let direct = Endpoint {
            registry: registry.to_string(),
            repository: repository.to_string(),
            insecure: false,
            mirror: false,
        };
        let Some((entry, matched)) = longest(&self.entries, &name) else {
            return Ok(vec![direct]);
        };
        let table = &entry.table;
        if table.blocked {
            return Err(RouteError::Blocked {
                name,
                origin: entry.origin.clone(),
            });
        }
        let rest = &name[matched..];
        let rewrite = |location: &str, insecure: bool, mirror: bool| -> Option<Endpoint> {
            let r = Reference::parse(&format!("{}{rest}", location.trim_end_matches('/'))).ok()?;
            Some(Endpoint {
                registry: r.registry().to_string(),
                repository: r.repository().to_string(),
                insecure,
                mirror,
            })
        };
        let mut out = Vec::new();
        for m in &table.mirrors {
            let allowed = match (
                table.mirror_by_digest_only,
                m.pull_from_mirror.unwrap_or_default(),
            ) {
                (true, _) => by_digest,
                (false, PullFromMirror::All) => true,
                (false, PullFromMirror::DigestOnly) => by_digest,
                (false, PullFromMirror::TagOnly) => !by_digest,
            };
            if allowed {
                out.extend(rewrite(&m.location, m.insecure, true));
            }
        }
        match &table.location {
            Some(loc) => out.extend(rewrite(loc, table.insecure, false)),
            None => out.push(Endpoint {
                insecure: table.insecure,
                ..direct
            }),
        }
        Ok(out)
    }
}

/// The table whose prefix matches the most of `name`, and how much it matches.
fn longest<'a>(entries: &'a BTreeMap<String, Entry>, name: &str) -> Option<(&'a Entry, usize)> {
    entries
        .values()
        .filter_map(|e| prefix_match(name, &e.prefix).map(|n| (e, n)))
        .max_by_key(|(_, n)| *n)
}

/// The length of `name` that `prefix` matches, on a path-component boundary (`*.host` matches subdomains).
fn prefix_match(name: &str, prefix: &str) -> Option<usize> {
    if let Some(domain) = prefix.strip_prefix("*.") {
        let host = name.split('/').next().unwrap_or_default();
        let bare = host.split(':').next().unwrap_or_default();
        return bare
            .strip_suffix(domain)
            .filter(|sub| sub.ends_with('.') && sub.len() > 1)
            .map(|_| host.len());
    }
    let rest = name.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(prefix.len())
}

/// `host[:port]` of a location (`mirror.local:5000/path` → `mirror.local:5000`).
fn host_of(location: &str) -> String {
    location.split('/').next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds the tables of one registries.conf text, as a run adds each file's.
    fn load(r: &mut Routes, shown: &str, text: &str) -> Result<(), String> {
        for table in crate::registries_conf::parse(shown, text).map_err(|e| e.to_string())? {
            r.add(table, shown).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn routes(text: &str) -> Routes {
        let mut r = Routes::default();
        load(&mut r, "registries.conf", text).unwrap();
        r
    }

    fn hosts(eps: &[Endpoint]) -> Vec<String> {
        eps.iter()
            .map(|e| format!("{}/{}", e.registry, e.repository))
            .collect()
    }

    #[test]
    fn mirrors_first_then_the_location() {
        // The example of containers-registries.conf(5).
        let r = routes(
            r#"
unqualified-search-registries = ["example.com"]
[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.com/bar"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true
"#,
        );
        let eps = r.endpoints("example.com", "foo/image", false).unwrap();
        assert_eq!(
            hosts(&eps),
            [
                "example-mirror-0.local/mirror-for-foo/image",
                "example-mirror-1.local/mirrors/foo/image",
                "internal-registry-for-example.com/bar/image"
            ]
        );
        assert_eq!(
            eps.iter()
                .map(|e| (e.insecure, e.mirror))
                .collect::<Vec<_>>(),
            [(false, true), (true, true), (false, false)]
        );
        assert_eq!(r.insecure_hosts(), ["example-mirror-1.local"]);
        // Not under the prefix: straight to the registry; a component boundary is required.
        assert_eq!(
            hosts(&r.endpoints("example.com", "foobar/x", false).unwrap()),
            ["example.com/foobar/x"]
        );
    }

    #[test]
    fn docker_hub_through_a_mirror_keeps_library() {
        let r = routes("[[registry]]\nprefix = \"docker.io\"\n[[registry.mirror]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n");
        let eps = r.endpoints("docker.io", "library/nginx", false).unwrap();
        assert_eq!(
            hosts(&eps),
            ["127.0.0.1:5000/library/nginx", "docker.io/library/nginx"]
        );
    }

    #[test]
    fn the_longest_prefix_wins_and_blocked_is_an_error() {
        let r = routes(
            "[[registry]]\nlocation = \"quay.io\"\nblocked = true\n\n[[registry]]\nprefix = \"quay.io/ok\"\nlocation = \"quay.io/ok\"\n",
        );
        assert!(r.endpoints("quay.io", "ok/app", false).is_ok());
        let err = r.endpoints("quay.io", "other/app", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "quay.io/other/app is blocked by registries.conf (blocked = true)"
        );
    }

    #[test]
    fn pull_from_mirror_restricts_tag_and_digest_lookups() {
        let r = routes(
            r#"
[[registry]]
prefix = "ghcr.io"
[[registry.mirror]]
location = "digests.local"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tags.local"
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "all.local"
"#,
        );
        assert_eq!(
            hosts(&r.endpoints("ghcr.io", "o/a", false).unwrap()),
            ["tags.local/o/a", "all.local/o/a", "ghcr.io/o/a"]
        );
        assert_eq!(
            hosts(&r.endpoints("ghcr.io", "o/a", true).unwrap()),
            ["digests.local/o/a", "all.local/o/a", "ghcr.io/o/a"]
        );
        let by_digest = routes("[[registry]]\nprefix = \"ghcr.io\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.local\"\n");
        assert_eq!(
            hosts(&by_digest.endpoints("ghcr.io", "o/a", false).unwrap()),
            ["ghcr.io/o/a"]
        );
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let r = routes("[[registry]]\nprefix = \"*.internal.example\"\nblocked = true\n");
        assert!(r.endpoints("a.internal.example", "x", false).is_err());
        assert!(r.endpoints("a.internal.example:5000", "x", false).is_err());
        assert!(r.endpoints("internal.example", "x", false).is_ok());
        let mut bad = Routes::default();
        assert!(load(&mut bad, "r.conf", "[[registry]]\nprefix = \"*.a/b\"\n").is_err());
    }

    #[test]
    fn version_1_lists_and_later_files_replace_earlier_prefixes() {
        let mut r = routes("[registries.insecure]\nregistries = ['reg.local:5000']\n[registries.block]\nregistries = ['bad.example']\n");
        assert_eq!(r.insecure_hosts(), ["reg.local:5000"]);
        assert!(r.endpoints("bad.example", "x", false).is_err());
        load(
            &mut r,
            "drop-in.conf",
            "[[registry]]\nlocation = \"bad.example\"\n",
        )
        .unwrap();
        assert!(r.endpoints("bad.example", "x", false).is_ok());
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let mut r = Routes::default();
        let text = load(
            &mut r,
            "registries.conf",
            "[[registry]]\nprefix = \"a\"\nlocaton = \"b\"\n",
        )
        .unwrap_err();
        assert!(text.starts_with("registries.conf:3:1: "), "{text}");
        assert!(text.contains("locaton"), "{text}");
        let scheme =
            load(&mut r, "r.conf", "[[registry]]\nlocation = \"https://x\"\n").unwrap_err();
        assert!(scheme.contains("no URI scheme"), "{scheme}");
    }

    #[test]
    fn mirror_flags_add_mirrors_before_the_location() {
        let mut r = Routes::default();
        r.add_mirror_flag("docker.io=mirror.corp/hub").unwrap();
        r.add_mirror_flag("docker.io=second.corp").unwrap();
        assert_eq!(
            hosts(&r.endpoints("docker.io", "library/redis", false).unwrap()),
            [
                "mirror.corp/hub/library/redis",
                "second.corp/library/redis",
                "docker.io/library/redis"
            ]
        );
        assert!(r.add_mirror_flag("nonsense").is_err());
    }

    #[test]
    fn configuration_tables_route_but_neither_unblock_nor_make_the_users_plain_http() {
        let mut r = routes(
            "[[registry]]\nprefix = \"blocked.example\"\nblocked = true\n\n\
             [[registry]]\nprefix = \"own.local:5000\"\ninsecure = true\n",
        );
        let table = |prefix: &str, insecure: bool| RegistryTable {
            prefix: Some(prefix.to_string()),
            insecure,
            ..RegistryTable::default()
        };
        r.add_from_config(table("blocked.example", false), "pin.toml")
            .unwrap();
        r.add_from_config(table("blocked.example/team", false), "pin.toml")
            .unwrap();
        r.add_from_config(table("repo.local:5000", true), "pin.toml")
            .unwrap();
        for repo in ["a/b", "team/b"] {
            assert_eq!(
                r.endpoints("blocked.example", repo, false),
                Err(RouteError::Blocked {
                    name: format!("blocked.example/{repo}"),
                    origin: "registries.conf".into()
                })
            );
        }
        assert_eq!(r.user_insecure_hosts(), ["own.local:5000"]);
        assert_eq!(r.insecure_hosts(), ["own.local:5000", "repo.local:5000"]);
        // A --mirror added to the configuration's table leaves its plain HTTP the configuration's.
        r.add_mirror_flag("repo.local:5000=mirror.local").unwrap();
        assert_eq!(r.user_insecure_hosts(), ["own.local:5000"]);
        assert_eq!(
            hosts(&r.endpoints("repo.local:5000", "x", false).unwrap()),
            ["mirror.local/x", "repo.local:5000/x"]
        );
    }
}
