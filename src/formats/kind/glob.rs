//! The file-name globs of the kind table, and which of them decides a file's kind.
//!
//! A glob is a file-name pattern after optional directory components: `*.yaml`, `Dockerfile.*`,
//! `.github/workflows/*.{yml,yaml}`, `.devcontainer/*/devcontainer.json`. In the file name, `*` stands for
//! any run of characters and `{a,b}` for one of its alternatives, and letters match in any ASCII case, as the
//! tools take these names (`dockerfile`, `CHART.YAML`). A directory component is a name or `*` (any one
//! component), matched exactly against the last components of the file's directory: the tools that read
//! `.github/workflows` or `helmfile.d` take no other spelling.
//!
//! When globs of several kinds take a file, the most specific decides ([`Specificity`]): a glob that names
//! more directories first (every file GitHub finds in `.github/workflows` is a workflow, whatever its name);
//! then the file-name patterns compared from their last dot-separated part backwards, a literal part before
//! a part with a `*` in it before a lone `*`, and a longer pattern before its own suffix. So
//! `kustomization.yaml` and `compose.*.yaml` come before `*.yaml`, `*.gitlab-ci.yml` before
//! `docker-compose*.yml`, and `*.yaml` before `Dockerfile.*`. Between two kinds' equally specific globs the
//! earlier entry of the table would win; a test checks that no example path meets such a tie.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Component, Path};

/// One part of a file-name pattern between dots, by how much it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// `*`.
    Wild,
    /// A part with a `*` in it: `docker-compose*`.
    Partial,
    /// A part without one: `yaml`.
    Literal,
}

/// How specific a glob is: the greater takes a file that several globs take.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Specificity {
    /// How many directory components the glob names.
    dirs: usize,
    /// The file-name pattern's dot-separated parts, last first.
    parts: Vec<Part>,
}

/// One alternative of a glob, ready to match: braces expanded, the file name lowercased.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// Directory components, last first (`*`: any one).
    dirs: Vec<&'static str>,
    /// The file-name pattern, lowercased (`*`: any run of characters).
    name: String,
    /// How many bytes of `name` come before its first `*` and after its last (all of it when it has none).
    head: usize,
    tail: usize,
    pub specificity: Specificity,
}

/// A path as patterns read it: its file name lowercased, and the last components of its directory, last
/// first (`None` for one that is not a name: the root).
pub struct Subject<'p> {
    lower_name: String,
    dirs: Vec<Option<&'p OsStr>>,
}

impl<'p> Subject<'p> {
    /// `path` for patterns naming up to `depth` directories; `None` for a path without a file name.
    pub fn new(path: &'p Path, depth: usize) -> Option<Self> {
        // A name that is not UTF-8 is matched with U+FFFD for its stray bytes (no glob matches that
        // character): `caf\xe9.yaml` is YAML. Such a file is read, never passed over unseen.
        let lower_name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let dirs = path.parent().map_or_else(Vec::new, |parent| {
            parent
                .components()
                .rev()
                .take(depth)
                .map(|c| match c {
                    Component::Normal(_) | Component::CurDir | Component::ParentDir => {
                        Some(c.as_os_str())
                    }
                    Component::RootDir | Component::Prefix(_) => None,
                })
                .collect()
        });
        Some(Subject { lower_name, dirs })
    }
}

impl Pattern {
    /// Whether this pattern takes the path.
    pub fn matches(&self, subject: &Subject) -> bool {
        // Most patterns differ from a name in their literal ends: compare those first.
        let (name, pattern) = (subject.lower_name.as_bytes(), self.name.as_bytes());
        let ends = name.starts_with(&pattern[..self.head])
            && name.ends_with(&pattern[pattern.len() - self.tail..]);
        ends && wildcard(pattern, name)
            && self.dirs.len() <= subject.dirs.len()
            && self
                .dirs
                .iter()
                .zip(&subject.dirs)
                .all(|(want, have)| have.is_some_and(|have| *want == "*" || have == *want))
    }
}

/// Every pattern of a table of globs, each with its kind, most specific first.
pub struct Table<K> {
    patterns: Vec<(K, Pattern)>,
    /// The patterns (indices into `patterns`, in order) that may take a file name whose last dot-separated
    /// part is the key: those whose own last part is that literal, and those whose last part has a `*`.
    by_last_part: HashMap<String, Vec<usize>>,
    /// The patterns that may take a file name whose last part is no key: those whose last part has a `*`.
    wild_last_part: Vec<usize>,
    /// The most directories a pattern names.
    depth: usize,
}

impl<K: Copy> Table<K> {
    /// The patterns of `globs`, ordered by specificity; among equally specific ones, the earlier first.
    pub fn new(globs: impl IntoIterator<Item = (K, &'static str)>) -> Self {
        let mut patterns: Vec<(K, Pattern)> = globs
            .into_iter()
            .flat_map(|(kind, glob)| patterns(glob).into_iter().map(move |p| (kind, p)))
            .collect();
        patterns.sort_by_key(|(_, p)| Reverse(p.specificity.clone()));
        let depth = patterns
            .iter()
            .map(|(_, p)| p.dirs.len())
            .max()
            .unwrap_or(0);
        // A pattern whose last part is a literal takes only names that end in that part (a `*` before it
        // ends at a dot, or the pattern is that one literal).
        let wild_last_part: Vec<usize> = (0..patterns.len())
            .filter(|&i| literal_last_part(&patterns[i].1).is_none())
            .collect();
        let mut by_last_part: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (_, p)) in patterns.iter().enumerate() {
            if let Some(l) = literal_last_part(p) {
                by_last_part.entry(l.to_owned()).or_default().push(i);
            }
        }
        for list in by_last_part.values_mut() {
            list.extend(&wild_last_part);
            list.sort_unstable();
        }
        Table {
            patterns,
            by_last_part,
            wild_last_part,
            depth,
        }
    }

    /// The patterns that may take `subject`, most specific first.
    fn candidates<'t>(&'t self, subject: &Subject) -> impl Iterator<Item = &'t (K, Pattern)> {
        self.by_last_part
            .get(last_part(&subject.lower_name))
            .unwrap_or(&self.wild_last_part)
            .iter()
            .map(|&i| &self.patterns[i])
    }

    /// The kind of the most specific pattern that takes `path`.
    pub fn find(&self, path: &Path) -> Option<K> {
        let subject = Subject::new(path, self.depth)?;
        self.candidates(&subject)
            .find(|(_, p)| p.matches(&subject))
            .map(|(kind, _)| *kind)
    }

    /// Every pattern that takes `path`, most specific first (all of them tried, the index aside).
    #[cfg(test)]
    pub fn taking(&self, path: &Path) -> Vec<&(K, Pattern)> {
        let Some(subject) = Subject::new(path, self.depth) else {
            return Vec::new();
        };
        let all: Vec<_> = self
            .patterns
            .iter()
            .filter(|(_, p)| p.matches(&subject))
            .collect();
        let indexed: Vec<_> = self
            .candidates(&subject)
            .filter(|(_, p)| p.matches(&subject))
            .collect();
        assert_eq!(all.len(), indexed.len(), "{}", path.display());
        all
    }
}

/// A pattern's last dot-separated part when it is a literal.
fn literal_last_part(pattern: &Pattern) -> Option<&str> {
    Some(last_part(&pattern.name)).filter(|l| !l.contains('*'))
}

/// A file name's (or name pattern's) last dot-separated part: all of it when it has no dot.
fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The patterns of a glob: one per alternative of its braces.
///
/// # Panics
///
/// On a glob outside the grammar of the module documentation (the kind table's tests build every glob).
pub fn patterns(glob: &'static str) -> Vec<Pattern> {
    let (dirs, name) = match glob.rsplit_once('/') {
        Some((dirs, name)) => (dirs.split('/').rev().collect::<Vec<_>>(), name),
        None => (Vec::new(), glob),
    };
    for dir in &dirs {
        assert!(
            !dir.is_empty() && (*dir == "*" || !dir.contains(['*', '{', '}', ','])),
            "{glob}: a directory component is a name or `*`"
        );
    }
    expand(name)
        .into_iter()
        .map(|name| {
            assert!(!name.is_empty(), "{glob}: an empty file name");
            let parts = name
                .rsplit('.')
                .map(|part| match part {
                    "*" => Part::Wild,
                    p if p.contains('*') => Part::Partial,
                    _ => Part::Literal,
                })
                .collect();
            let head = name.find('*').unwrap_or(name.len());
            let tail = name.len() - name.rfind('*').map_or(0, |i| i + 1);
            Pattern {
                specificity: Specificity {
                    dirs: dirs.len(),
                    parts,
                },
                dirs: dirs.clone(),
                name: name.to_ascii_lowercase(),
                head,
                tail,
            }
        })
        .collect()
}

/// A file-name pattern with its `{a,b}` groups expanded (groups do not nest).
pub fn expand(name: &str) -> Vec<String> {
    let Some(open) = name.find('{') else {
        assert!(!name.contains(['}', ',']), "{name}: a stray `}}` or `,`");
        return vec![name.to_owned()];
    };
    let close = open + name[open..].find('}').expect("a `{` closed by `}`");
    let (head, alternatives, tail) = (&name[..open], &name[open + 1..close], &name[close + 1..]);
    assert!(!alternatives.contains('{'), "{name}: nested braces");
    let tails = expand(tail);
    alternatives
        .split(',')
        .flat_map(|alt| tails.iter().map(move |t| format!("{head}{alt}{t}")))
        .collect()
}

/// Whether `name` matches `pattern`, where `*` in the pattern stands for any run of bytes.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    // The last `*` seen, and where in `name` its run would end next: a mismatch lets it take one more
    // byte. Earlier stars never need to take more (the standard linear matcher).
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, n));
            p += 1;
        } else if p < pattern.len() && pattern[p] == name[n] {
            p += 1;
            n += 1;
        } else if let Some((sp, sn)) = star {
            p = sp + 1;
            n = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// A regular expression (Python's `re` and Rust's `regex` read it alike) that finds, in a path relative to
/// a repository's root with `/` between components, exactly the paths one of `globs` takes: the `files`
/// pattern of the pre-commit hooks (which a test keeps in step).
#[cfg(test)]
pub fn regex<'g>(globs: impl IntoIterator<Item = &'g str>) -> String {
    // Globs with the same directories share one group of file names: `dirs/(?i:name|name)`.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for glob in globs {
        let (dirs, name) = glob.rsplit_once('/').unwrap_or(("", glob));
        let mut prefix = String::new();
        for dir in dirs.split('/').filter(|d| !d.is_empty()) {
            if dir == "*" {
                prefix.push_str("[^/]+");
            } else {
                prefix.push_str(&escape(dir));
            }
            prefix.push('/');
        }
        let mut out = String::new();
        let mut in_braces = false;
        for c in name.chars() {
            match c {
                '*' => out.push_str("[^/]*"),
                '{' => {
                    in_braces = true;
                    out.push_str("(?:");
                }
                '}' => {
                    in_braces = false;
                    out.push(')');
                }
                ',' if in_braces => out.push('|'),
                c => out.push_str(&escape(&c.to_string())),
            }
        }
        match groups.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, names)) => names.push(out),
            None => groups.push((prefix, vec![out])),
        }
    }
    let alternatives: Vec<String> = groups
        .into_iter()
        .map(|(prefix, names)| format!("{prefix}(?i:{})", names.join("|")))
        .collect();
    format!("(?:^|/)(?:{})$", alternatives.join("|"))
}

/// `text` with the characters that mean something in a regular expression escaped.
#[cfg(test)]
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(glob: &'static str) -> Pattern {
        let mut all = patterns(glob);
        assert_eq!(all.len(), 1, "{glob}");
        all.remove(0)
    }

    fn takes(glob: &'static str, path: &str) -> bool {
        let subject = Subject::new(Path::new(path), 2).unwrap();
        patterns(glob).iter().any(|p| p.matches(&subject))
    }

    #[test]
    fn stars_match_any_run_and_letters_any_case() {
        for (pattern, name, want) in [
            ("*", "", true),
            ("*", "a.b", true),
            ("*.yaml", "x.yaml", true),
            ("*.yaml", ".yaml", true),
            ("*.yaml", "x.yaml.bak", false),
            ("*.yaml", "yaml", false),
            ("dockerfile.*", "dockerfile.", true),
            ("dockerfile.*", "dockerfile", false),
            ("values*.yaml", "values.yaml", true),
            ("values*.yaml", "values-prod.x.yaml", true),
            ("compose.*.yaml", "compose.yaml", false),
            ("compose.*.yaml", "compose..yaml", true),
            ("*a*b", "xaxbxb", true),
            ("*a*b", "xaxbxc", false),
            ("a**b", "ab", true),
        ] {
            assert_eq!(
                wildcard(pattern.as_bytes(), name.as_bytes()),
                want,
                "{pattern} {name}"
            );
        }
        assert!(takes("Dockerfile.*", "DOCKERFILE.Prod"));
        assert!(takes("Chart.yaml", "charts/x/chart.YAML"));
    }

    #[test]
    fn braces_are_alternatives() {
        let names: Vec<String> = patterns("helmfile.d/*.{yaml,yml}.gotmpl")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["*.yaml.gotmpl", "*.yml.gotmpl"]);
        assert_eq!(expand("{a,b}.{c,d}"), ["a.c", "a.d", "b.c", "b.d"]);
        assert_eq!(expand("x{,.y}"), ["x", "x.y"]);
    }

    #[test]
    fn directories_are_the_last_components_of_the_files_directory_in_their_case() {
        let glob = ".github/workflows/*.{yml,yaml}";
        assert!(takes(glob, ".github/workflows/ci.yml"));
        assert!(takes(glob, "./repo/.github/workflows/CI.YAML"));
        assert!(!takes(glob, "ci.yml"));
        assert!(!takes(glob, ".github/workflows/sub/ci.yml"));
        assert!(!takes(glob, ".github/Workflows/ci.yml"));
        assert!(!takes(glob, "workflows/ci.yml"));
        let glob = ".devcontainer/*/devcontainer.json";
        assert!(takes(glob, "repo/.devcontainer/go/devcontainer.json"));
        assert!(!takes(glob, ".devcontainer/devcontainer.json"));
        assert!(!takes(glob, "/devcontainer.json"));
    }

    #[test]
    fn the_more_specific_glob_is_greater() {
        let order = [
            "Dockerfile.*",
            "*.yaml",
            "compose.*.yaml",
            "values*.yaml",
            "kustomization.yaml",
            "*.gitlab-ci.yml",
            "helmfile.d/*.yaml",
            ".devcontainer/*/devcontainer.json",
        ];
        for pair in order.windows(2) {
            let (a, b) = (one(pair[0]), one(pair[1]));
            assert!(a.specificity < b.specificity, "{} < {}", pair[0], pair[1]);
        }
        assert!(one("*.pkr.hcl").specificity > one("*.hcl").specificity);
        assert!(one("docker-compose*.yml").specificity < one("*.gitlab-ci.yml").specificity);
        assert!(one("docker-compose*.yml").specificity == one("values*.yaml").specificity);
        assert!(one("Tiltfile").specificity > one("*").specificity);
    }

    #[test]
    fn the_regex_takes_what_the_globs_take() {
        let globs = [
            "Dockerfile.*",
            "*.{yaml,yml}",
            ".devcontainer/*/devcontainer.json",
            "docker-bake.override.hcl",
        ];
        let re = regex::Regex::new(&regex(globs)).unwrap();
        for (path, want) in [
            ("Dockerfile.prod", true),
            ("a/DOCKERFILE.x", true),
            ("a/xDockerfile.x", false),
            ("Dockerfile", false),
            ("a/b.YML", true),
            ("a.yaml/b", false),
            ("x/.devcontainer/go/devcontainer.json", true),
            ("x/.DevContainer/go/devcontainer.json", false),
            (".devcontainer/devcontainer.json", false),
            ("docker-bake.override.hcl", true),
            ("docker-bakexoverride.hcl", false),
        ] {
            assert_eq!(re.is_match(path), want, "{path}");
        }
    }
}
