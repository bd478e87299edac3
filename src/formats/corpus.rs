//! Tests over the real files of `tests/corpus/`: each category's finder against the hand-checked
//! `.refs` lists, and a rewrite property for every file of every category.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::{Candidate, FindError, Findings, Kind, LineIndex, Target};
use crate::app::{classify, Status};
use crate::golden::Goldens;
use crate::rewrite::{self, Edit};

/// Directories of files read as a kind whose own directory holds other files: GitOps objects (Flux, Argo CD,
/// Tekton, Crossplane, Carvel, Sveltos), which the generic YAML kind reads by their `apiVersion` and `kind`.
const MORE: &[(&str, Kind, usize)] = &[("gitops", Kind::Yaml, 20)];

/// Every kind of the kind table with its corpus directory and file count, in table order, then [`MORE`].
fn categories() -> Vec<(&'static str, Kind, usize)> {
    let mut all: Vec<_> = Kind::ALL
        .iter()
        .map(|&kind| {
            let corpus = &kind.info().corpus;
            (corpus.dir, kind, corpus.files)
        })
        .collect();
    all.extend_from_slice(MORE);
    all
}

#[test]
fn every_kind_has_at_least_two_corpus_files() {
    for (category, kind, count) in categories() {
        assert!(count >= 2, "{category}");
        assert_eq!(files(category, kind).len(), count, "{category}");
    }
}

/// The kind a corpus file is read as: its category's, except Helm chart templates (named
/// `*-template.yaml` here, `templates/*.yaml` in a chart), which `pin` reads as plain YAML.
fn kind_of(category: Kind, name: &str) -> Kind {
    if category == Kind::HelmValues && name.contains("-template.") {
        Kind::Yaml
    } else {
        category
    }
}

fn corpus_dir(category: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(category)
}

/// `(file name, path, kind)` of a category's corpus files (not the `.refs`, `.md` or dot files).
fn files(category: &str, kind: Kind) -> Vec<(String, PathBuf, Kind)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir(category))
        .unwrap_or_else(|e| panic!("tests/corpus/{category}: {e}"))
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .into_string()
                .unwrap()
        })
        .filter(|name| !name.ends_with(".refs") && !name.ends_with(".md") && !name.starts_with('.'))
        .map(|name| {
            let path = corpus_dir(category).join(&name);
            let kind = kind_of(kind, &name);
            (name, path, kind)
        })
        .collect();
    files.sort();
    files
}

/// How a `.refs` file spells a candidate. The Dockerfile corpus keeps the plain notation it was first listed
/// in; every other category is bracketed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notation {
    /// `line:col value` with the value escaped as a Rust string, then ` [digest]` or
    /// ` [insert: "prefix" + digest + "suffix"]` for a target other than the reference itself, then
    /// ` [artifact kind]`, then ` [skip: reason]`.
    Bracketed,
    /// `line:col value` as written, then ` tag end: end`, then ` skip: reason`, without brackets or quotes.
    Plain,
}

impl Notation {
    /// The notation of a kind's `.refs` files.
    pub(crate) fn of(kind: Kind) -> Notation {
        if kind == Kind::Dockerfile {
            Notation::Plain
        } else {
            Notation::Bracketed
        }
    }
}

/// The `.refs` listing of what a finder made of a file: a line per candidate (spelled as [`Notation`] says),
/// or one line `[file skipped: why]` for a file the finder leaves, or one line `line:col error: message` for
/// a file it refuses.
pub(crate) fn refs(src: &str, found: Result<&Findings, &FindError>, notation: Notation) -> String {
    let index = LineIndex::new(src);
    let findings = match found {
        Ok(findings) => findings,
        Err(e) => {
            let (line, col) = index.line_col(src, e.offset);
            return format!("{line}:{col} error: {}\n", e.message);
        }
    };
    if let Some(why) = &findings.skipped {
        return format!("[file skipped: {why}]\n");
    }
    let plain = notation == Notation::Plain;
    let quoted = |text: &str| {
        if plain {
            text.to_string()
        } else {
            format!("{text:?}")
        }
    };
    let mut out = String::new();
    for c in &findings.candidates {
        let (line, col) = index.line_col(src, c.span.start);
        let value = if plain {
            c.value.clone()
        } else {
            c.value.escape_debug().to_string()
        };
        let mut extras = Vec::new();
        match &c.target {
            Target::Reference => {}
            Target::NameAtDigest => extras.push("name@digest".to_string()),
            Target::Action => extras.push("action".to_string()),
            Target::Digest => extras.push("digest".to_string()),
            Target::InsertDigest { prefix, suffix } => extras.push(format!(
                "insert: {} + digest + {}",
                quoted(prefix),
                quoted(suffix)
            )),
            Target::TagEnd { tag_end } => extras.push(format!("tag end: {}", quoted(tag_end))),
            Target::Replace { prefix } => {
                extras.push(format!("replace: {} + digest", quoted(prefix)))
            }
            Target::Listed => extras.push("listed".to_string()),
        }
        if let Some(artifact) = c.artifact {
            extras.push(artifact.as_str().to_string());
        }
        if let Some(skip) = &c.skip {
            extras.push(format!("skip: {skip}"));
        }
        out += &format!("{line}:{col} {value}");
        for extra in extras {
            if plain {
                out += &format!(" {extra}");
            } else {
                out += &format!(" [{extra}]");
            }
        }
        out.push('\n');
    }
    out
}

/// What a candidate's span holds, checked for the candidates that may be rewritten.
fn check_span(src: &str, c: &Candidate, file: &str) {
    let text = src.get(c.span.clone()).expect("span on char boundaries");
    if c.skip.is_some() {
        return;
    }
    match &c.target {
        Target::Reference | Target::NameAtDigest | Target::Action => {
            assert_eq!(text, c.value, "{file}")
        }
        Target::Digest => assert!(
            text.is_empty() || c.value.ends_with(&format!("@{text}")),
            "{file}: {c:?}"
        ),
        Target::InsertDigest { .. } => assert!(text.is_empty(), "{file}: {c:?}"),
        Target::TagEnd { tag_end } => assert!(
            c.value.ends_with(text)
                && (text == tag_end || text.starts_with(&format!("{tag_end}@"))),
            "{file}: {c:?}"
        ),
        Target::Replace { .. } => assert!(!text.is_empty(), "{file}: {c:?}"),
        Target::Listed => panic!("{file}: a listed candidate without its reason: {c:?}"),
    }
}

/// Each corpus file's listing against its `.refs` file, checked by hand (golden files: `PIN_BLESS=1`
/// rewrites them).
#[test]
fn every_corpus_file_matches_its_refs_file() {
    let mut goldens = Goldens::new();
    for (category, kind, count) in categories() {
        let files = files(category, kind);
        assert_eq!(files.len(), count, "{category}");
        for (name, path, kind) in files {
            let src = std::fs::read_to_string(&path).expect("corpus file");
            let found = kind.find(&src);
            match &found {
                Ok(findings) => {
                    for c in &findings.candidates {
                        check_span(&src, c, &name);
                    }
                }
                // Only Dockerfiles that the finder rejects on purpose.
                Err(e) => assert_eq!(kind, Kind::Dockerfile, "{category}/{name}: {e}"),
            }
            let mut refs_path = path.into_os_string();
            refs_path.push(".refs");
            goldens.check(refs_path, &refs(&src, found.as_ref(), Notation::of(kind)));
        }
    }
    goldens.finish();
}

/// A stand-in digest, derived from the value so that different references get different digests.
fn fake_digest(value: &str) -> String {
    let hash = Sha256::digest(value.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A stand-in commit id for an action, derived from its value.
fn fake_commit(value: &str) -> String {
    fake_digest(value)["sha256:".len()..][..40].to_string()
}

/// The edits `pin` would make with fake digests, as `app::plan` builds them for each target.
fn fake_edits(findings: &Findings, keep_tag: bool) -> Vec<Edit> {
    findings
        .candidates
        .iter()
        .filter_map(|c| {
            let r = match classify(c) {
                Status::Unpinned(r) => r,
                Status::Action(a) if !a.reference.is_pinned() => {
                    return Some(Edit {
                        range: c.span.clone(),
                        replacement: a.reference.pinned(&fake_commit(&c.value)),
                    });
                }
                _ => return None,
            };
            let digest = fake_digest(&c.value);
            let replacement = c.target.text(|| r.pinned(&digest, keep_tag), &digest);
            Some(Edit {
                range: c.span.clone(),
                replacement,
            })
        })
        .collect()
}

/// Every byte of `src` outside the edited ranges is in `out`, in order, with each replacement
/// between them.
fn assert_only_edits_changed(src: &str, out: &str, edits: &[Edit], file: &str) {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.range.start);
    let (mut at_src, mut at_out) = (0, 0);
    for edit in sorted {
        let kept = &src[at_src..edit.range.start];
        assert_eq!(&out[at_out..at_out + kept.len()], kept, "{file}");
        at_out += kept.len();
        let added = &out[at_out..at_out + edit.replacement.len()];
        assert_eq!(added, edit.replacement, "{file}");
        at_out += added.len();
        at_src = edit.range.end;
    }
    assert_eq!(&out[at_out..], &src[at_src..], "{file}");
}

/// Pinning every corpus file with fake digests changes only the candidates' bytes; the result reads
/// back with every formerly pinnable candidate pinned, and pinning it again changes nothing.
#[test]
fn pinning_the_corpus_is_exact_and_idempotent() {
    let mut pinned = Vec::new();
    for (category, kind, _) in categories() {
        pinned.push((category, 0));
        for (name, path, kind) in files(category, kind) {
            let file = format!("{category}/{name}");
            let src = std::fs::read_to_string(&path).expect("corpus file");
            let Ok(before) = kind.find(&src) else {
                // Only Dockerfiles that the finder rejects on purpose.
                assert_eq!(kind, Kind::Dockerfile, "{file}");
                continue;
            };
            for keep_tag in [false, true] {
                let edits = fake_edits(&before, keep_tag);
                let out = rewrite::apply(&src, &edits).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_only_edits_changed(&src, &out, &edits, &file);

                let after = kind
                    .find(&out)
                    .unwrap_or_else(|e| panic!("{file} after pinning: {e}"));
                assert_eq!(after.skipped, before.skipped, "{file}");
                assert_eq!(
                    after.candidates.len(),
                    before.candidates.len(),
                    "{file}: {}",
                    refs(&out, Ok(&after), Notation::of(kind))
                );
                for (old, new) in before.candidates.iter().zip(&after.candidates) {
                    match (classify(old), classify(new)) {
                        (Status::Unpinned(_), Status::Pinned(r)) => {
                            let digest = fake_digest(&old.value);
                            assert_eq!(r.digest(), Some(digest.as_str()), "{file}");
                            assert!(new.value.contains("@sha256:"), "{file}: {new:?}");
                        }
                        (Status::Action(a), Status::Action(b)) if !a.reference.is_pinned() => {
                            assert!(b.reference.is_pinned(), "{file}: {new:?}");
                            assert_eq!(b.reference.git_ref(), fake_commit(&old.value), "{file}");
                            assert_eq!(a.reference.name(), b.reference.name(), "{file}");
                        }
                        (Status::Pinned(_), Status::Pinned(_))
                        | (Status::Action(_), Status::Action(_))
                        | (Status::Skipped(_), Status::Skipped(_)) => {
                            assert_eq!(old.value, new.value, "{file}");
                        }
                        (o, n) => panic!("{file}: {old:?} was {o:?}, is now {new:?}: {n:?}"),
                    }
                }
                assert!(
                    fake_edits(&after, keep_tag).is_empty(),
                    "{file}: pinning again would change it"
                );
                assert_eq!(
                    rewrite::apply(&out, &fake_edits(&after, keep_tag)).unwrap(),
                    out
                );
                if !keep_tag {
                    pinned.last_mut().expect("category").1 += edits.len();
                }
            }
        }
    }
    // How many candidates each category pins (with fake digests, so every valid reference resolves), by name.
    pinned.sort();
    assert_eq!(
        pinned,
        [
            ("action", 2),
            ("azure", 2),
            ("bake", 6),
            ("bazel", 5),
            ("bitbucket", 3),
            ("buildpacks", 1),
            ("chart", 0),
            ("circleci", 3),
            ("cloudbuild", 10),
            ("compose", 9),
            ("devcontainer", 0),
            ("dockerfile", 30),
            ("dotnet", 1),
            ("drone", 29),
            ("fleet", 0),
            ("gha", 24),
            ("gitlab", 24),
            ("gitops", 19),
            ("helm", 13),
            ("helmfile", 0),
            ("json", 2),
            ("k8s", 64),
            ("ko", 4),
            ("kustomize", 5),
            ("maven", 4),
            ("nomad", 2),
            ("packer", 2),
            ("quadlet", 4),
            ("terraform", 17),
            ("tilt", 0),
            ("woodpecker", 2),
        ]
    );
}

/// Why the CI dialects have finders of their own: on these real files the generic YAML rule takes a VM image
/// (CircleCI `machine.image`), misses an image written once and aliased (Woodpecker) and misses the
/// `image: {name: …}` form (Bitbucket), where the dialect finders do not.
#[test]
fn the_generic_rule_is_wrong_on_ci_dialect_files() {
    let values = |category: &str, file: &str, kind: Kind| -> Vec<String> {
        let src = std::fs::read_to_string(corpus_dir(category).join(file)).expect("corpus file");
        kind.find(&src)
            .expect("reads")
            .candidates
            .into_iter()
            .map(|c| c.value)
            .collect()
    };
    let circleci = "circleci-cli-config.yml";
    assert_eq!(
        values("circleci", circleci, Kind::Yaml),
        ["ubuntu-2604:current"]
    );
    assert!(values("circleci", circleci, Kind::CircleCi).is_empty());
    let woodpecker = "woodpecker-web.yaml";
    assert!(values("woodpecker", woodpecker, Kind::Yaml).is_empty());
    assert_eq!(
        values("woodpecker", woodpecker, Kind::Woodpecker),
        ["docker.io/node:24-alpine"]
    );
    let bitbucket = "kube-fluentd-operator-bitbucket-pipelines.yml";
    assert!(values("bitbucket", bitbucket, Kind::Yaml).is_empty());
    assert_eq!(
        values("bitbucket", bitbucket, Kind::Bitbucket),
        ["stacc.azurecr.io/sail/az-kube-helm:latest"]
    );
}

/// Random edits of the CI dialects' corpus files (a fixed sequence, so a failure reproduces): every finder
/// answers with spans a rewrite can use, or an error at a character boundary, never a panic.
#[test]
fn mutated_ci_files_never_panic() {
    let files = [
        (
            "cloudbuild/cloud-builders-gke-deploy-cloudbuild.yaml",
            Kind::CloudBuild,
        ),
        (
            "cloudbuild/google-auth-library-perl-cloudbuild.json",
            Kind::CloudBuild,
        ),
        ("azure/mlopspython-pr.yml", Kind::AzurePipelines),
        (
            "bitbucket/kube-fluentd-operator-bitbucket-pipelines.yml",
            Kind::Bitbucket,
        ),
        (
            "circleci/circleci-demo-java-spring-config.yml",
            Kind::CircleCi,
        ),
        ("woodpecker/woodpecker-securityscan.yaml", Kind::Woodpecker),
    ];
    let texts: Vec<String> = files
        .iter()
        .map(|(f, _)| {
            let (category, name) = f.split_once('/').expect("category/file");
            std::fs::read_to_string(corpus_dir(category).join(name)).expect("corpus file")
        })
        .collect();
    let kinds = [
        Kind::CloudBuild,
        Kind::AzurePipelines,
        Kind::Bitbucket,
        Kind::CircleCi,
        Kind::Drone,
        Kind::Woodpecker,
    ];
    for src in super::testing::mutants(
        &texts,
        0x2545_f491_4f6c_dd1d,
        "{}[]\"'$<>&*!|-:#,\n\r \té~",
        600,
    ) {
        for kind in kinds {
            super::testing::assert_sound(&src, kind.info().find);
        }
    }
}

/// Truncated prefixes of real files of every YAML kind (and of the HCL, Bazel and CI dialect kinds) end in every state of the parser and of the
/// finders' walks: an answer, never a panic, and only spans a rewrite can use.
#[test]
fn truncated_files_never_panic() {
    let files = [
        ("compose/airflow-docker-compose.yaml", Kind::Compose, 5),
        (
            "compose/eshoponweb-docker-compose-crlf.yml",
            Kind::Compose,
            1,
        ),
        ("gha/gitea-pull-db-tests.yml", Kind::GithubActions, 5),
        (
            "gitlab/gitlab-template-kaniko.gitlab-ci.yml",
            Kind::GitlabCi,
            3,
        ),
        (
            "gitlab/gitlab-template-auto-build.gitlab-ci.yml",
            Kind::GitlabCi,
            1,
        ),
        (
            "kustomize/kustomize-example-images-transformer.yaml",
            Kind::Kustomize,
            1,
        ),
        (
            "kustomize/argo-cd-base-kustomization.yaml",
            Kind::Kustomize,
            1,
        ),
        (
            "helm/prometheus-node-exporter-values.yaml",
            Kind::HelmValues,
            11,
        ),
        ("helm/eshop-basket-data-values.yaml", Kind::HelmValues, 1),
        ("bazel/rules_oci-fetch.bzl", Kind::Bazel, 3),
        (
            "bake/frankenphp-docker-bake-templated.hcl",
            Kind::DockerBake,
            3,
        ),
        (
            "nomad/otel-contrib-traefik-no-final-newline.nomad",
            Kind::Nomad,
            2,
        ),
        (
            "cloudbuild/google-auth-library-perl-cloudbuild.json",
            Kind::CloudBuild,
            7,
        ),
        (
            "cloudbuild/cloud-builders-gke-deploy-cloudbuild.yaml",
            Kind::CloudBuild,
            1,
        ),
        (
            "azure/mlopspython-diabetes_regression-cd.yml",
            Kind::AzurePipelines,
            5,
        ),
        (
            "bitbucket/kube-fluentd-operator-bitbucket-pipelines.yml",
            Kind::Bitbucket,
            1,
        ),
        (
            "circleci/circleci-demo-java-spring-config.yml",
            Kind::CircleCi,
            3,
        ),
        ("drone/drone-slack.drone.yml", Kind::Drone, 7),
        ("woodpecker/woodpecker-web.yaml", Kind::Woodpecker, 1),
    ];
    for (file, kind, step) in files {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus")
            .join(file);
        let src = std::fs::read_to_string(path).expect("corpus file");
        for (i, _) in src.char_indices().step_by(step).chain([(src.len(), ' ')]) {
            let prefix = &src[..i];
            match kind.find(prefix) {
                Ok(findings) => {
                    for c in &findings.candidates {
                        let text = prefix.get(c.span.clone());
                        assert!(text.is_some(), "{file} at {i}: {c:?}");
                        check_span(prefix, c, file);
                    }
                }
                Err(e) => assert!(prefix.is_char_boundary(e.offset), "{file} at {i}: {e:?}"),
            }
        }
    }
}

/// Every corpus file pinned with tag comments (fake digests) is followed by `pin update` exactly as it was
/// pinned (the same lookups, nothing to change), and `pin unpin` takes it back to what unpinning the original
/// gives: the original bytes themselves when it had no digests.
#[test]
fn tag_comments_round_trip_through_update_and_unpin() {
    use crate::app::{plan, scan};
    use crate::resolve::git::{ActionResolutions, Commit, RefKind};
    use crate::resolve::{Manifest, Resolutions};
    use crate::settings::{ChildPins, Operation, PinSettings, Setting, TagStyle};

    const SERVER: &str = crate::resolve::git::DEFAULT_SERVER;
    fn on_server(resolved: &ActionResolutions) -> plan::Actions<'_> {
        plan::Actions {
            server: SERVER,
            resolved,
        }
    }
    let text = |file: &scan::ScannedFile, plan: &plan::Plan<String>| {
        plan.changes
            .first()
            .map_or(file.text.clone().unwrap_or_default(), |c| c.kept.clone())
    };
    let new_text = |_: &scan::ScannedFile, _: &str, new: &str| new.to_string();
    let read = |name: &str, kind: Kind, src: String| {
        scan::read_one(None, None, name, kind, src, &scan::Filters::default())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (mut commented, mut exact) = (0, 0);
    for (category, kind, _) in categories() {
        for (name, path, kind) in files(category, kind) {
            let name = format!("{category}/{name}");
            let src = std::fs::read_to_string(&path).expect("corpus file");
            if kind.find(&src).is_err() {
                continue;
            }
            let original = read(&name, kind, src.clone());
            let opts = Operation::Pin(PinSettings {
                tag_style: Setting::default(Some(TagStyle::Comment)),
                platform: Setting::default(None),
            });
            let pin_keys = plan::keys(std::slice::from_ref(&original), &opts);
            let resolved: Resolutions = pin_keys
                .iter()
                .map(|k| {
                    let m = Manifest {
                        digest: fake_digest(&k.to_string()),
                        ..Manifest::default()
                    };
                    (k.clone(), Ok(m))
                })
                .collect();
            let actions: ActionResolutions =
                plan::action_keys(std::slice::from_ref(&original), &opts, SERVER)
                    .into_iter()
                    .map(|k| {
                        let c = Commit {
                            commit: fake_commit(&k.to_string()),
                            kind: RefKind::Tag,
                        };
                        (k, Ok(c))
                    })
                    .collect();
            let files = [original];
            let pinned = plan::plan(
                &files,
                &resolved,
                on_server(&actions),
                &opts,
                None,
                new_text,
            )
            .unwrap();
            assert_eq!(pinned.errors(), 0, "{name}");
            let pinned_text = text(&files[0], &pinned);
            // Where no comment can go (a directive, a block scalar), `name:latest@…` is written for an untagged
            // `name`, and unpinning gives `name:latest`.
            let untagged_fallback = pinned.outcomes.iter().any(|o| {
                o.notes()
                    .any(|n| n.code == crate::report::Code::NoTagComment)
                    && o.original
                        .as_deref()
                        .and_then(|v| crate::reference::Reference::parse(v).ok())
                        .is_some_and(|r| r.tag().is_none())
            });
            let [original] = files;
            let after = read(&name, kind, pinned_text.clone());
            commented += after
                .refs
                .iter()
                .filter(|f| f.tag_comment.is_some())
                .count();

            // `pin update` asks for the very tags that were pinned, and finds nothing moved.
            let update = Operation::Update {
                children: ChildPins::Warn,
                labels: crate::settings::Labels::Off,
                require_tags: false,
                waiting: crate::settings::Waiting::none(),
                platforms: crate::settings::Setting::default(Vec::new()),
                all_changes: false,
                docker_hub_gets: false,
            };
            let after = [after];
            let update_keys = plan::keys(&after, &update);
            let followed: std::collections::BTreeSet<_> = update_keys
                .iter()
                .map(|k| (k.registry.clone(), k.repository.clone(), k.tag.clone()))
                .collect();
            for k in &pin_keys {
                assert!(
                    followed.contains(&(k.registry.clone(), k.repository.clone(), k.tag.clone())),
                    "{name}: {k} is not followed after pinning"
                );
            }
            let unmoved: Resolutions = update_keys
                .iter()
                .map(|k| {
                    let m = Manifest {
                        digest: k.current.clone().expect("an update key"),
                        ..Manifest::default()
                    };
                    (k.clone(), Ok(m))
                })
                .collect();
            let update_actions = plan::action_keys(&after, &update, SERVER);
            for k in actions.keys() {
                assert!(
                    update_actions.contains(k),
                    "{name}: {k} is not followed after pinning"
                );
            }
            // What was pinned before is followed too; it has not moved either.
            let mut actions = actions;
            for k in update_actions {
                actions.entry(k).or_insert_with_key(|k| {
                    let f = after[0].refs.iter().find_map(|f| match &f.status {
                        Status::Action(a) => a
                            .comment
                            .as_ref()
                            .filter(|(c, _)| {
                                c.git_ref == k.git_ref && a.reference.repository() == k.repository
                            })
                            .map(|_| a.reference.git_ref().to_string()),
                        _ => None,
                    });
                    Ok(Commit {
                        commit: f.expect("a pinned action with this comment"),
                        kind: RefKind::Tag,
                    })
                });
            }
            assert!(
                plan::plan(
                    &after,
                    &unmoved,
                    on_server(&actions),
                    &update,
                    None,
                    new_text
                )
                .unwrap()
                .changes
                .is_empty(),
                "{name}: update changes a file nothing moved in"
            );

            let unpin = Operation::Unpin;
            let [after] = after;
            let back = text(
                &after,
                &plan::plan(
                    std::slice::from_ref(&after),
                    &Resolutions::new(),
                    plan::Actions::none(),
                    &unpin,
                    None,
                    new_text,
                )
                .unwrap(),
            );
            let originally = [original];
            let want = text(
                &originally[0],
                &plan::plan(
                    &originally,
                    &Resolutions::new(),
                    plan::Actions::none(),
                    &unpin,
                    None,
                    new_text,
                )
                .unwrap(),
            );
            // Digest fields (kustomize `digest:`, Helm `image.digest`) hold no tag: unpin leaves them.
            let only_references = originally[0].refs.iter().all(|f| {
                matches!(
                    f.candidate.target,
                    Target::Reference | Target::TagEnd { .. }
                ) || !matches!(f.status, Status::Unpinned(_))
            });
            if only_references && !untagged_fallback {
                assert_eq!(back, want, "{name}");
            }
            let no_digests = !originally[0].refs.iter().any(|f| match &f.status {
                Status::Pinned(_) => true,
                Status::Action(a) => a.reference.is_pinned(),
                _ => false,
            });
            if only_references && no_digests && !untagged_fallback {
                exact += 1;
                assert_eq!(back, src, "{name}: unpinning is not the inverse of pinning");
            }
        }
    }
    assert!(commented > 100, "only {commented} tag comments written");
    assert!(exact > 40, "only {exact} files round-trip exactly");
}

/// The prefilter never drops a file that holds a candidate: every corpus file with candidates passes it,
/// and each file with every needle of its kind taken out (so that it fails the prefilter) has no candidates
/// when parsed either (or does not parse: the one documented difference, an error not reported).
#[test]
fn a_file_the_prefilter_drops_holds_no_candidate() {
    for (category, category_kind, _) in categories() {
        for (name, path, kind) in files(category, category_kind) {
            let src = std::fs::read_to_string(&path).expect("corpus file");
            let needles = kind.info().needles;
            if needles.is_empty() {
                continue;
            }
            let found = kind.find(&src).map(|f| f.candidates.len()).unwrap_or(0);
            assert!(found == 0 || kind.may_hold(&src), "{name}");
            let mut without = src.clone();
            for needle in needles {
                // Break every occurrence in the middle (`image` → `ima?ge`, `\\` → `/`).
                let mid = needle.len() / 2;
                let broken = format!("{}?{}", &needle[..mid], &needle[mid..]);
                let broken = if *needle == "\\" {
                    "/".to_owned()
                } else {
                    broken
                };
                without = without.replace(needle, &broken);
            }
            assert!(!kind.may_hold(&without), "{name}");
            if let Ok(findings) = kind.find(&without) {
                assert_eq!(findings.candidates, vec![], "{name} without its needles");
            }
        }
    }
}
