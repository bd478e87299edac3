//! Why a lookup failed, as data: each variant holds what went wrong and where, and its message is made in
//! `Display`. Text that came from a registry is escaped before it is kept.

use super::auth;
use super::Anonymous;

/// Why a lookup failed. Messages name the registry and never hold a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// What was asked for does not exist there (`mirrors`: how each mirror asked first failed).
    #[error("{what}{}", mirrors_note(mirrors))]
    NotFound { what: Missing, mirrors: Vec<String> },
    /// The registry or git server does not let pin in.
    #[error("{why}{}", mirrors_note(mirrors))]
    Unauthorized {
        why: Box<Denial>,
        mirrors: Vec<String>,
    },
    /// The registry (or its token service) answered what pin does not accept.
    #[error("{why}{}", mirrors_note(mirrors))]
    Registry {
        why: Box<Fault>,
        mirrors: Vec<String>,
    },
    /// A request to `host` failed in a way worth no special advice (a dropped connection, a reset);
    /// `cause` is the HTTP library's chain of causes, escaped.
    #[error("cannot reach {host}: {cause}{}", mirrors_note(mirrors))]
    Transport {
        host: String,
        cause: String,
        mirrors: Vec<String>,
    },
    /// `host` cannot be reached at all (it does not resolve, refuses connections, never answers, or its
    /// certificate is not trusted): every lookup that needs it fails alike, so reports can say it once.
    /// `mirrors`: how each mirror asked first failed (`m.example: …`).
    #[error("{host}: {}{}", why.words(host), mirrors_note(mirrors))]
    Unreachable {
        host: String,
        why: Unreachability,
        mirrors: Vec<String>,
    },
    /// A setting or its environment is wrong (a flag's value, a certificate file, a credential helper, the
    /// routes of registries.conf); said once, before or instead of the lookups. It stays text: its words
    /// come mostly from other modules' errors and the OS (file and PEM errors, `RouteError`, what a
    /// credential helper printed), each names the flag or file it is about, and no report tells them apart.
    #[error("{0}")]
    Config(String),
    /// The digest resolved, but the signature policy does not accept it (unsigned, badly signed, rejected).
    #[error("{why}{}", mirrors_note(mirrors))]
    Signature { why: Refusal, mirrors: Vec<String> },
}

/// Why the signature policy refuses a digest. `rule` names the policy and, for a policy file, the scope
/// that applied (`--policy policy.json, docker.io/library`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The policy rejects `image` outright.
    #[error("the policy rejects {image} ({rule}); nothing written")]
    Rejected { image: String, rule: String },
    /// No signature or attestation satisfies the rule; `why` is the verifier's account of each one found.
    #[error("{why} ({rule}); nothing written")]
    Unverified { why: String, rule: String },
    /// The `what` (`signatures`, `attestations`) of `image@digest` could not be looked up.
    #[error("cannot look up the {what} of {image}@{digest}: {error}")]
    LookupFailed {
        what: &'static str,
        image: String,
        digest: String,
        error: Box<ResolveError>,
    },
}

impl From<Refusal> for ResolveError {
    fn from(why: Refusal) -> ResolveError {
        ResolveError::Signature {
            why,
            mirrors: Vec::new(),
        }
    }
}

/// Why a registry or git server does not let pin in. A credential appears only as a [`auth::Login`] (who,
/// and where it came from), never its secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// `registry` answered `status` (401 or 403) to the request for `repository`, made as `asker`.
    #[error("{registry} refused access to {repository} ({status}) {}", asker.words(registry))]
    Refused {
        registry: String,
        repository: String,
        status: reqwest::StatusCode,
        asker: Asker,
    },
    /// The registry asks for Basic auth, and its login is an identity token, which only a token service takes.
    #[error("{registry} asks for a password (Basic auth), and the login for it is {login}, which only a token \
             service accepts")]
    BasicWithToken {
        registry: String,
        login: auth::Login,
    },
    /// The registry asks for a login and none is sent (`anonymous` says why).
    #[error("{registry} requires a login{}", match anonymous {
        Anonymous::Withheld => format!("; credentials are {}", super::tokens::withheld(registry)),
        Anonymous::NoneFound => " and no credentials were found for it".to_string(),
        Anonymous::Because(why) => format!(" and no credentials were found for it; {why}"),
    })]
    LoginRequired {
        registry: String,
        anonymous: Anonymous,
    },
    /// The registry's challenge names a scheme pin does not support (`challenge`: the header, escaped).
    #[error("{registry} asks for an authentication scheme pin does not support: \"{challenge}\"")]
    Scheme { registry: String, challenge: String },
    /// The registry's token service is plain HTTP on a host the user did not name insecure, and there are
    /// credentials to send: refused. `realm` and `host` are escaped.
    #[error("{registry} asks for its credentials to be sent to the plain-HTTP token service \"{realm}\"; \
             refused (pass --insecure-registry {host} if that host is meant to be reached without TLS)")]
    ClearTextToken {
        registry: String,
        realm: String,
        host: String,
    },
    /// The registry's token service answered 401 or 403 for `repository`, asked as `asker`.
    #[error("the token service of {registry} refused {}", match asker {
        Asker::Login(l) if l.kind == auth::CredentialKind::IdentityToken => {
            format!("{l} (log in again to renew it)")
        }
        Asker::Login(l) => format!("the credentials for user {:?} from {}", l.username, l.source),
        Asker::Anonymous(Anonymous::Because(why)) => {
            format!("anonymous access to {repository}: {why}")
        }
        Asker::Anonymous(_) => format!("anonymous access to {repository}; log in first"),
    })]
    TokenRefused {
        registry: String,
        repository: String,
        asker: Asker,
    },
    /// A git server answered 401 for `repository` (`host/OWNER/REPO.git`), asked with `login` or with none.
    #[error("{repository}: {}", match login {
        Some(l) => format!("the server refused {l}"),
        None => "the server asks for credentials (401) and none were found (GH_TOKEN or GITHUB_TOKEN for \
                 github.com, ~/.netrc, a git credential helper); a repository that does not exist may be \
                 answered so too".to_string(),
    })]
    GitRefused {
        repository: String,
        login: Option<auth::Login>,
    },
    /// A git server answered 403 for `repository`.
    #[error("{repository}: the server refused access (403)")]
    GitForbidden { repository: String },
}

impl From<Denial> for ResolveError {
    fn from(why: Denial) -> ResolveError {
        ResolveError::Unauthorized {
            why: Box::new(why),
            mirrors: Vec::new(),
        }
    }
}

/// Who asked a registry that refused: a login, or no one (and why not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asker {
    Login(auth::Login),
    Anonymous(Anonymous),
}

impl Asker {
    /// `with the credentials of "alice" from …`, `anonymously (no credentials found)`.
    fn words(&self, registry: &str) -> String {
        match self {
            Asker::Login(l) => format!("with {l}"),
            Asker::Anonymous(Anonymous::Withheld) => {
                format!(
                    "anonymously (credentials are {})",
                    super::tokens::withheld(registry)
                )
            }
            Asker::Anonymous(Anonymous::Because(why)) => format!("anonymously ({why})"),
            Asker::Anonymous(Anonymous::NoneFound) => {
                "anonymously (no credentials found)".to_string()
            }
        }
    }
}

/// What is wrong with a registry's answer, or with a registry's way of answering. Text a registry sent is
/// escaped before it is kept here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The manifest request for `repository:tag` got a status pin has no other words for.
    #[error("{registry} answered {status} for {repository}:{tag}")]
    Status {
        registry: String,
        repository: String,
        tag: String,
        status: reqwest::StatusCode,
    },
    /// The token service answered a status that is neither success nor a refusal.
    #[error("the token service of {registry} answered {status}")]
    TokenStatus {
        registry: String,
        status: reqwest::StatusCode,
    },
    /// `host` answered a transient `status` on each of `attempts`; `rate_limit` is what its rate-limit
    /// headers say, when the status was 429.
    #[error("{host} answered {status} {attempts} times{}; giving up", match rate_limit {
        Some(detail) => format!(" (its rate limit): {detail}"),
        None => String::new(),
    })]
    GaveUp {
        host: String,
        status: reqwest::StatusCode,
        attempts: u32,
        rate_limit: Option<String>,
    },
    /// A body larger than the limit of `mib` MiB.
    #[error("{registry} sent a response larger than {mib} MiB")]
    TooLarge { registry: String, mib: usize },
    /// Asked for `repository@reference` (a digest), the registry answered with the manifest `digest`.
    #[error("{registry} answered the request for {repository}@{reference} with the manifest {digest}; an \
             answer for another digest is not believed")]
    OtherDigest {
        registry: String,
        repository: String,
        reference: String,
        digest: String,
    },
    /// The `Docker-Content-Digest` header (`claimed`, escaped, at most 140 characters) is not the digest
    /// `computed` from the body.
    #[error("{registry} sent Docker-Content-Digest \"{claimed}\" for a manifest whose digest is {computed}")]
    DigestMismatch {
        registry: String,
        claimed: String,
        computed: String,
    },
    /// The blob asked for by `digest` hashes to another digest.
    #[error("{registry} sent a blob for {repository}@{digest} with another digest")]
    BlobDigest {
        registry: String,
        repository: String,
        digest: String,
    },
    /// A digest that is not one (`digest`: escaped, at most 100 characters).
    #[error("{registry} sent a malformed digest \"{digest}\"; nothing written")]
    MalformedDigest { registry: String, digest: String },
    /// A Docker schema 1 manifest (`media_type`, escaped): its digest is not what runtimes pin.
    #[error("{registry} serves {repository}:{reference} as a Docker schema 1 manifest ({media_type}): its \
             digest is not what runtimes pin, so pin refuses it; push the image again with a current Docker, \
             buildah or skopeo")]
    Schema1 {
        registry: String,
        repository: String,
        reference: String,
        media_type: String,
    },
    /// The manifest body is not the manifest it claims to be; `what` says what it is instead.
    #[error("{registry} sent {what} for {repository}:{reference}; nothing written")]
    NotAManifest {
        registry: String,
        repository: String,
        reference: String,
        what: String,
    },
    /// The image config of `image` (`repository@digest`) does not parse; `error` is the parser's.
    #[error("{registry} sent an image config for {image} that is not one: {error}")]
    NotAConfig {
        registry: String,
        image: String,
        error: String,
    },
    /// `image` (`registry/repository@digest`) is an index inside an index: it has no config.
    #[error("{image}: an index inside an index has no config to read")]
    NestedIndex { image: String },
    /// A signature manifest (`repository:name`) that does not parse.
    #[error("{registry} sent a signature manifest {manifest} that is not one: {error}")]
    NotASignature {
        registry: String,
        manifest: String,
        error: String,
    },
    /// The referrers API answered something other than an index.
    #[error("{registry} sent a referrers answer that is not an index: {error}")]
    NotAReferrersIndex { registry: String, error: String },
    /// The challenge's token realm (escaped) is not a URL.
    #[error("{registry} sent a bad token realm \"{realm}\": {error}")]
    BadRealm {
        registry: String,
        realm: String,
        error: String,
    },
    /// The token realm (escaped) has a scheme other than https or http.
    #[error("{registry} sent a token realm \"{realm}\" with the unsupported scheme {scheme}")]
    RealmScheme {
        registry: String,
        realm: String,
        scheme: String,
    },
    /// The token service's answer is not the JSON it should be.
    #[error("bad token response from {registry}: {error}")]
    BadTokenResponse { registry: String, error: String },
    /// The token service's answer has no token in it.
    #[error("the token response from {registry} holds no token")]
    NoToken { registry: String },
    /// The lookup of `key` gave a digest of `algorithm` (escaped), which a reference cannot carry.
    #[error("{key} resolved to a {algorithm} digest; an image reference can carry only sha256 digests, so it \
             cannot be pinned")]
    Unpinnable { key: String, algorithm: String },
    /// A git server's answer for `repository` (`host/OWNER/REPO`) breaks git's protocol; `error` says how.
    #[error("{repository}: {error}")]
    GitProtocol { repository: String, error: String },
    /// A protocol v0 server's refs do not hold `commit`, and v0 cannot ask for any other commit.
    #[error("{repository}: no branch or tag points at {commit}, and the server speaks only git's protocol v0, \
             in which any other commit is refused whether it exists or not: cannot tell")]
    GitV0 { repository: String, commit: String },
    /// The git server failed (`refused`: refused) to send `commit`; `message` is its words, escaped.
    #[error("{repository}: the server {} to send {commit}: {message}", if *refused { "refused" } else { "failed" })]
    GitSend {
        repository: String,
        commit: String,
        refused: bool,
        message: String,
    },
    /// The answer to a fetch of `commit` ended with neither a pack nor an error.
    #[error(
        "{repository}: the server's answer to a fetch of {commit} ended without a pack or an error"
    )]
    GitNoPack { repository: String, commit: String },
    /// The repository's object ids are `format` (escaped), not SHA-1.
    #[error("{repository} uses {format} object ids; a `uses:` pin is a 40-digit SHA-1 commit id")]
    GitObjectFormat { repository: String, format: String },
    /// A git server's status pin has no other words for.
    #[error("{repository}: the server answered {status}")]
    GitStatus {
        repository: String,
        status: reqwest::StatusCode,
    },
    /// Not a git smart-HTTP answer: `content_type` (escaped) is not `application/{kind}`.
    #[error("{repository}: not a git smart-HTTP server (it answered with {content_type:?}, not \
             application/{kind}); --actions-server names a server with the OWNER/REPO.git layout of GitHub")]
    NotGit {
        repository: String,
        content_type: String,
        kind: String,
    },
}

impl From<Fault> for ResolveError {
    fn from(why: Fault) -> ResolveError {
        ResolveError::Registry {
            why: Box::new(why),
            mirrors: Vec::new(),
        }
    }
}

/// What a registry or git server does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    /// The registry answered 404 for the tag.
    #[error("{registry} has no manifest for {repository}:{tag}")]
    Manifest {
        registry: String,
        repository: String,
        tag: String,
    },
    /// `--platform`: the tag's index has no manifest for it; `available` lists the platforms it has
    /// (escaped).
    #[error("{image} has no {platform} manifest; it has: {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    Platform {
        image: String,
        platform: String,
        available: Vec<String>,
    },
    /// An index whose every entry is an attestation, not an image.
    #[error("{image} is an index with no image in it")]
    NoImage { image: String },
    /// `--offline`: the lockfile `lockfile` holds no answer for `key`.
    #[error("{key} is not in {lockfile}; run once without --offline to record it")]
    NotRecorded { key: String, lockfile: String },
    /// A git server answered 404 for the repository.
    #[error("{repository}: no such repository (the server answered 404)")]
    Repository { repository: String },
    /// The repository has no ref `why` can name (`why` says which, and what it has).
    #[error("{repository} {why}")]
    Ref { repository: String, why: String },
}

impl From<Missing> for ResolveError {
    fn from(what: Missing) -> ResolveError {
        ResolveError::NotFound {
            what,
            mirrors: Vec::new(),
        }
    }
}

/// Why a host cannot be reached at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreachability {
    /// Its name does not resolve.
    NoName,
    /// Nothing listens there.
    Refused,
    /// No connection within `seconds` (`--connect-timeout`).
    NoConnection { seconds: u64 },
    /// Connected, but no (whole) answer within `seconds` (`--timeout`).
    NoAnswer { seconds: u64 },
    /// Its certificate is not trusted; `cause` is the TLS library's reason (`UnknownIssuer`), escaped.
    Untrusted { cause: String },
    /// It does not speak TLS (a plain-HTTP registry asked over HTTPS).
    NotTls,
}

impl Unreachability {
    /// The reason in words, with what to do about it where there is something (`host` is named in the flag
    /// to pass).
    fn words(&self, host: &str) -> String {
        match self {
            Unreachability::NoName => "cannot resolve host".to_string(),
            Unreachability::Refused => "connection refused".to_string(),
            Unreachability::NoConnection { seconds } => {
                format!("no connection within {seconds} s (--connect-timeout)")
            }
            Unreachability::NoAnswer { seconds } => {
                format!("no answer within {seconds} s (--timeout)")
            }
            Unreachability::Untrusted { cause } => format!(
                "its TLS certificate is not trusted ({cause}); trust the CA that signed it with \
                 --ca-cert FILE or SSL_CERT_FILE=FILE"
            ),
            Unreachability::NotTls => format!(
                "it does not speak TLS; if it is a plain-HTTP registry, pass --insecure-registry {host}"
            ),
        }
    }
}

/// `; mirrors tried first: …` after a message, when mirrors were asked before the registry itself.
fn mirrors_note(mirrors: &[String]) -> String {
    if mirrors.is_empty() {
        String::new()
    } else {
        format!("; mirrors tried first: {}", mirrors.join("; "))
    }
}

impl ResolveError {
    /// The same failure, after the `mirrors` asked first failed too (each `registry: error`).
    pub(super) fn after_mirrors(self, mirrors: Vec<String>) -> ResolveError {
        use ResolveError::*;
        let note = mirrors_note(&mirrors);
        let add = |m: String| m + &note;
        match self {
            NotFound { what, .. } => NotFound { what, mirrors },
            Unauthorized { why, .. } => Unauthorized { why, mirrors },
            Registry { why, .. } => Registry { why, mirrors },
            Transport { host, cause, .. } => Transport {
                host,
                cause,
                mirrors,
            },
            Unreachable { host, why, .. } => Unreachable { host, why, mirrors },
            Config(m) => Config(add(m)),
            Signature { why, .. } => Signature { why, mirrors },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirrors_tried_first_follow_the_message_and_keep_the_kind() {
        let e = ResolveError::Unreachable {
            host: "r.example".into(),
            why: Unreachability::Refused,
            mirrors: Vec::new(),
        };
        let tried = vec!["m.example: timed out".to_string()];
        let after = e.after_mirrors(tried.clone());
        assert_eq!(
            after,
            ResolveError::Unreachable {
                host: "r.example".into(),
                why: Unreachability::Refused,
                mirrors: tried.clone(),
            }
        );
        assert_eq!(
            after.to_string(),
            "r.example: connection refused; mirrors tried first: m.example: timed out"
        );
        let missing = Missing::Manifest {
            registry: "r.example".into(),
            repository: "a".into(),
            tag: "1".into(),
        };
        assert_eq!(
            ResolveError::from(missing).after_mirrors(tried).to_string(),
            "r.example has no manifest for a:1; mirrors tried first: m.example: timed out"
        );
    }

    /// The denials say what they said as text: each expectation is the old format string, filled in by hand.
    #[test]
    fn denials_keep_their_words() {
        let login = auth::Login {
            username: "alice".into(),
            kind: auth::CredentialKind::Password,
            source: "~/.docker/config.json".into(),
        };
        let token = auth::Login {
            username: "<token>".into(),
            kind: auth::CredentialKind::IdentityToken,
            source: "~/.docker/config.json".into(),
        };
        let cases = [
            (
                Denial::Refused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    status: reqwest::StatusCode::FORBIDDEN,
                    asker: Asker::Login(login.clone()),
                },
                "r.example refused access to a/b (403 Forbidden) with the credentials of \"alice\" from \
                 ~/.docker/config.json",
            ),
            (
                Denial::Refused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    status: reqwest::StatusCode::UNAUTHORIZED,
                    asker: Asker::Anonymous(Anonymous::NoneFound),
                },
                "r.example refused access to a/b (401 Unauthorized) anonymously (no credentials found)",
            ),
            (
                Denial::LoginRequired {
                    registry: "r.example".into(),
                    anonymous: Anonymous::Because("install it".into()),
                },
                "r.example requires a login and no credentials were found for it; install it",
            ),
            (
                Denial::BasicWithToken {
                    registry: "r.example".into(),
                    login: token.clone(),
                },
                "r.example asks for a password (Basic auth), and the login for it is the identity token from \
                 ~/.docker/config.json, which only a token service accepts",
            ),
            (
                Denial::TokenRefused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    asker: Asker::Login(login.clone()),
                },
                "the token service of r.example refused the credentials for user \"alice\" from \
                 ~/.docker/config.json",
            ),
            (
                Denial::TokenRefused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    asker: Asker::Anonymous(Anonymous::Withheld),
                },
                "the token service of r.example refused anonymous access to a/b; log in first",
            ),
            (
                Denial::GitRefused {
                    repository: "git.example/o/r.git".into(),
                    login: Some(login),
                },
                "git.example/o/r.git: the server refused the credentials of \"alice\" from ~/.docker/config.json",
            ),
        ];
        for (denial, words) in cases {
            assert_eq!(ResolveError::from(denial).to_string(), words);
        }
    }

    /// Faults whose words depend on their data say what the old format strings said, filled in by hand.
    #[test]
    fn faults_keep_their_words() {
        let cases = [
            (
                Fault::GaveUp {
                    host: "r.example".into(),
                    status: reqwest::StatusCode::TOO_MANY_REQUESTS,
                    attempts: 3,
                    rate_limit: Some("retry after 60 s".into()),
                },
                "r.example answered 429 Too Many Requests 3 times (its rate limit): retry after 60 s; giving up",
            ),
            (
                Fault::GaveUp {
                    host: "r.example".into(),
                    status: reqwest::StatusCode::BAD_GATEWAY,
                    attempts: 1,
                    rate_limit: None,
                },
                "r.example answered 502 Bad Gateway 1 times; giving up",
            ),
            (
                Fault::GitSend {
                    repository: "git.example/o/r".into(),
                    commit: "abc".into(),
                    refused: true,
                    message: "no".into(),
                },
                "git.example/o/r: the server refused to send abc: no",
            ),
            (
                Fault::GitSend {
                    repository: "git.example/o/r".into(),
                    commit: "abc".into(),
                    refused: false,
                    message: "disk full".into(),
                },
                "git.example/o/r: the server failed to send abc: disk full",
            ),
            (
                Fault::NotGit {
                    repository: "git.example/o/r".into(),
                    content_type: "text/html".into(),
                    kind: "x-git-upload-pack-advertisement".into(),
                },
                "git.example/o/r: not a git smart-HTTP server (it answered with \"text/html\", not \
                 application/x-git-upload-pack-advertisement); --actions-server names a server with the \
                 OWNER/REPO.git layout of GitHub",
            ),
        ];
        for (fault, words) in cases {
            assert_eq!(ResolveError::from(fault).to_string(), words);
        }
    }
}
