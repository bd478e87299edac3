use super::*;
use crate::formats::testing::{candidates, found, pinnable};

fn skip_of(src: &str, find: fn(&str) -> Result<Findings, FindError>) -> Vec<(String, String)> {
    found(src, find)
        .into_iter()
        .filter_map(|(text, _, skip)| Some((text.to_owned(), skip?)))
        .collect()
}

#[test]
fn kubernetes_workload_containers() {
    let src = r#"
resource "kubernetes_deployment_v1" "web" {
  metadata {
    name  = "web"
    image = "not-a-container:1"
  }
  spec {
    template {
      spec {
        init_container {
          name  = "init"
          image = "busybox:1.36"
        }
        container {
          name              = "web"
          image             = "nginx:1.25"
          image_pull_policy = "Always"
        }
        dynamic "container" {
          for_each = var.sidecars
          content {
            image = "envoyproxy/envoy:v1.30"
          }
        }
      }
    }
  }
}

resource "kubernetes_cron_job_v1" "job" {
  spec {
    job_template {
      spec {
        template {
          spec {
            container {
              image = "alpine:3.20"
            }
          }
        }
      }
    }
  }
}

resource "kubernetes_config_map" "c" {
  data = { image = "x:1" }
  container { image = "not-a-workload:1" }
}
"#;
    assert_eq!(
        pinnable(src, find_terraform),
        [
            "busybox:1.36",
            "nginx:1.25",
            "envoyproxy/envoy:v1.30",
            "alpine:3.20"
        ]
    );
    let policies: Vec<_> = candidates(src, find_terraform)
        .into_iter()
        .map(|c| c.pull_policy_set)
        .collect();
    assert_eq!(
        policies,
        [Some(false), Some(true), Some(false), Some(false)]
    );
}

#[test]
fn every_workload_type_of_the_provider() {
    for ty in KUBERNETES_WORKLOADS {
        let src = format!("resource \"{ty}\" \"x\" {{\n  spec {{\n    container {{\n      image = \"a:1\"\n    }}\n  }}\n}}\n");
        assert_eq!(pinnable(&src, find_terraform), ["a:1"], "{ty}");
    }
    // A data source of a workload type reads an existing object; it names no image to pull.
    let src =
        "data \"kubernetes_pod\" \"p\" {\n  spec {\n    container { image = \"a:1\" }\n  }\n}\n";
    assert!(candidates(src, find_terraform).is_empty());
}

#[test]
fn docker_image_resources_and_data_sources() {
    let src = "terraform {\n  required_providers {\n    docker = { source = \"kreuzwerker/docker\" }\n  }\n}\nresource \"docker_image\" \"ubuntu\" {\n  name         = \"ubuntu:24.04\"\n  keep_locally = true\n}\ndata \"docker_image\" \"redis\" {\n  name = \"redis:7@sha256:0123\"\n}\nresource \"docker_container\" \"c\" {\n  name  = \"c\"\n  image = docker_image.ubuntu.image_id\n}\n";
    assert_eq!(
        found(src, find_terraform),
        [
            ("ubuntu:24.04", "ubuntu:24.04".to_owned(), None),
            (
                "redis:7@sha256:0123",
                "redis:7@sha256:0123".to_owned(),
                None
            ),
        ]
    );
}

#[test]
fn docker_containers_services_and_registry_lookups() {
    // The Docker provider's documented shapes: a container and a swarm service with literal images, the
    // usual `image = docker_image.x.image_id`, and the `docker_registry_image` lookup that feeds
    // `pull_triggers`.
    let src = r#"data "docker_registry_image" "ubuntu" {
  name = "ubuntu:precise"
}

resource "docker_image" "ubuntu" {
  name          = data.docker_registry_image.ubuntu.name
  pull_triggers = [data.docker_registry_image.ubuntu.sha256_digest]
}

resource "docker_container" "foo" {
  name  = "foo"
  image = "nginx:1.7.8"
}

resource "docker_container" "bar" {
  name  = "bar"
  image = docker_image.ubuntu.image_id
}

resource "docker_container" "baz" {
  name  = "baz"
  image = data.docker_image.local.repo_digest
}

resource "docker_container" "var" {
  image = var.image
}

resource "docker_service" "foo" {
  name = "foo-service"

  task_spec {
    container_spec {
      image = "repo.mycompany.com:8080/foo-service:v1"
      labels {
        label = "image"
        value = "not:1"
      }
    }
  }

  endpoint_spec {
    ports {
      target_port = "8080"
    }
  }
}

resource "docker_service" "templated" {
  task_spec {
    container_spec {
      image = "${data.docker_registry_image.ubuntu.name}@${data.docker_registry_image.ubuntu.sha256_digest}"
    }
  }
}

resource "docker_registry_image" "pushed" {
  name = "registry.example/app:1"
}
"#;
    let got = found(src, find_terraform);
    assert_eq!(
        got.iter()
            .map(|(text, _, skip)| (*text, skip.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("ubuntu:precise", Some(REGISTRY_LOOKUP)),
            (
                "data.docker_registry_image.ubuntu.name",
                Some(NOT_A_STRING)
            ),
            ("nginx:1.7.8", None),
            ("var.image", Some(NOT_A_STRING)),
            ("repo.mycompany.com:8080/foo-service:v1", None),
            (
                "${data.docker_registry_image.ubuntu.name}@${data.docker_registry_image.ubuntu.sha256_digest}",
                Some(TEMPLATE)
            ),
        ]
    );
    assert_eq!(
        pinnable(src, find_terraform),
        ["nginx:1.7.8", "repo.mycompany.com:8080/foo-service:v1"]
    );
    // The prefilter lets a file with only these resources through.
    let src = "resource \"docker_service\" \"s\" {\n  task_spec {\n    container_spec {\n      image = \"redis:7\"\n    }\n  }\n}\n";
    assert!(crate::formats::Kind::Terraform.may_hold(src));
    assert_eq!(pinnable(src, find_terraform), ["redis:7"]);
}

#[test]
fn templates_variables_and_escapes_are_skipped() {
    let src = r#"resource "docker_image" "a" {
  name = "${var.repo}:${var.tag}"
}
resource "docker_image" "b" {
  name = var.image
}
resource "docker_image" "c" {
  name = "caf\u00e9:1"
}
resource "docker_image" "d" {
  name = "x:%{ if var.prod }1%{ else }2%{ endif }"
}
resource "docker_image" "e" {
  name = "a:$${b}"
}
"#;
    let skips = skip_of(src, find_terraform);
    assert_eq!(
        skips,
        [
            ("${var.repo}:${var.tag}".to_owned(), TEMPLATE.to_owned()),
            ("var.image".to_owned(), NOT_A_STRING.to_owned()),
            (
                "caf\\u00e9:1".to_owned(),
                "escape sequences in the string; its bytes are not its text".to_owned()
            ),
            (
                "x:%{ if var.prod }1%{ else }2%{ endif }".to_owned(),
                TEMPLATE.to_owned()
            ),
            (
                "a:$${b}".to_owned(),
                "escape sequences in the string; its bytes are not its text".to_owned()
            ),
        ]
    );
    // The value of an escaped string is its text, for the message.
    let c = &candidates(src, find_terraform)[2];
    assert_eq!(c.value, "café:1");
}

#[test]
fn heredocs_are_pinned_inside_their_delimiters() {
    let src = "resource \"docker_image\" \"a\" {\n  name = <<EOT\nnginx:1.25\nEOT\n}\nresource \"docker_image\" \"b\" {\n  name = <<-EOT\n    redis:7\n    EOT\n}\nresource \"docker_image\" \"c\" {\n  name = <<EOT\n${var.image}\nEOT\n}\nresource \"docker_image\" \"d\" {\n  name = <<EOT\na:1\nb:2\nEOT\n}\n";
    let got = found(src, find_terraform);
    assert_eq!(got[0].0, "nginx:1.25");
    assert_eq!(got[0].2, None);
    assert_eq!(got[1].0, "redis:7");
    assert_eq!(got[1].2, None);
    assert_eq!(got[2].2.as_deref(), Some(TEMPLATE));
    assert_eq!(got[3].2.as_deref(), Some("a heredoc of more than one line"));
    assert_eq!(got.len(), 4);
}

#[test]
fn crlf_no_final_newline_and_byte_order_mark() {
    let src = "resource \"docker_image\" \"a\" {\r\n  name = \"a:1\"\r\n}\r\nresource \"docker_image\" \"b\" {\r\n  name = <<EOT\r\nb:2\r\nEOT\r\n}";
    assert_eq!(pinnable(src, find_terraform), ["a:1", "b:2"]);
    let src = "\u{feff}source \"docker\" \"u\" {\n  image = \"ubuntu:22.04\"\n}";
    let c = &candidates(src, find_packer)[0];
    assert_eq!(&src[c.span.clone()], "ubuntu:22.04");
    let src = "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"docker\"\n      config { image = \"é/x:1\" }\n    }\n  }\n}";
    assert_eq!(pinnable(src, find_nomad), ["é/x:1"]);
}

#[test]
fn ignore_comments_of_either_style() {
    let src = "resource \"docker_image\" \"a\" {\n  name = \"a:1\" # pin: ignore\n}\nresource \"docker_image\" \"b\" {\n  // pin: ignore\n  name = \"b:1\"\n}\nresource \"docker_image\" \"c\" {\n  name = \"c:1\" // pin:ignore\n}\nresource \"docker_image\" \"d\" {\n  name = \"d:1\" # pin: ignored\n}\nresource \"docker_image\" \"e\" {\n  name = \"e:1 # pin: ignore\"\n}\ntarget \"t\" {\n  contexts = { a = \"docker-image://f:1\", b = \"docker-image://g:1\" } # pin: ignore\n}\n";
    let got: Vec<_> = found(src, find_terraform)
        .into_iter()
        .map(|(t, _, s)| (t, s))
        .collect();
    assert_eq!(
        got,
        [
            ("a:1", Some("marked `# pin: ignore`".to_owned())),
            ("b:1", Some("marked `// pin: ignore`".to_owned())),
            ("c:1", Some("marked `// pin: ignore`".to_owned())),
            ("d:1", None),
            ("e:1 # pin: ignore", None),
        ]
    );
    let skips = skip_of(src, find_bake);
    assert_eq!(
        skips,
        [("g:1".to_owned(), "marked `# pin: ignore`".to_owned())]
    );
}

#[test]
fn look_alikes_name_no_image() {
    for src in [
        "",
        "variable \"image\" {\n  default = \"nginx:1.25\"\n}\n",
        "locals {\n  image = \"nginx:1.25\"\n}\nmodule \"m\" {\n  source = \"./m\"\n  image  = \"nginx:1.25\"\n}\n",
        "resource \"aws_ecs_task_definition\" \"t\" {\n  container_definitions = jsonencode([{ image = \"nginx:1.25\" }])\n}\n",
        "resource \"docker_registry_image\" \"c\" {\n  name = \"nginx:1.25\"\n}\n",
        "data \"docker_service\" \"s\" {\n  task_spec {\n    container_spec { image = \"nginx:1.25\" }\n  }\n}\n",
        "resource \"docker_service\" \"s\" {\n  container_spec { image = \"nginx:1.25\" }\n}\n",
        "container {\n  image = \"nginx:1.25\"\n}\n",
    ] {
        assert!(candidates(src, find_terraform).is_empty(), "{src:?}");
        assert!(candidates(src, find_nomad).is_empty(), "{src:?}");
        assert!(candidates(src, find_bake).is_empty(), "{src:?}");
        assert!(candidates(src, find_packer).is_empty(), "{src:?}");
    }
}

#[test]
fn nomad_tasks_of_container_drivers() {
    let src = r#"job "web" {
  datacenters = ["dc1"]
  group "g" {
    task "docker" {
      driver = "docker"
      config {
        image = "redis:7"
        ports = ["db"]
      }
    }
    task "podman" {
      driver = "podman"
      config {
        image = "docker.io/library/nginx:1.25"
      }
    }
    task "exec" {
      driver = "exec"
      config {
        image   = "not-an-image"
        command = "/bin/true"
      }
    }
    task "old" {
      driver = "docker"
      config = {
        image = "memcached:1.6"
      }
    }
    task "var" {
      driver = "docker"
      config {
        image = "${var.registry}/app:${var.tag}"
      }
    }
  }
}
"#;
    let got = found(src, find_nomad);
    let texts: Vec<_> = got.iter().map(|c| (c.0, c.2.is_none())).collect();
    assert_eq!(
        texts,
        [
            ("redis:7", true),
            ("docker.io/library/nginx:1.25", true),
            ("memcached:1.6", true),
            ("${var.registry}/app:${var.tag}", false),
        ]
    );
}

#[test]
fn bake_contexts_with_docker_image_values() {
    let src = r#"variable "TAG" { default = "1" }
group "default" { targets = ["app"] }
target "app" {
  dockerfile = "Dockerfile"
  tags       = ["me/app:latest"]
  contexts = {
    alpine = "docker-image://alpine:3.20"
    "go"   = "docker-image://golang:1.22@sha256:abcd"
    src    = "./src"
    base   = "target:base"
    tagged = "docker-image://me/base:${TAG}"
  }
}
target "base" {
  args = { image = "docker-image://not-a-context:1" }
}
"#;
    let got = found(src, find_bake);
    assert_eq!(
        got,
        [
            ("alpine:3.20", "alpine:3.20".to_owned(), None),
            (
                "golang:1.22@sha256:abcd",
                "golang:1.22@sha256:abcd".to_owned(),
                None
            ),
            (
                "me/base:${TAG}",
                "me/base:${TAG}".to_owned(),
                Some(TEMPLATE.to_owned())
            ),
        ]
    );
}

#[test]
fn packer_docker_sources() {
    let src = r#"packer {
  required_plugins {
    docker = {
      version = ">= 1.0.8"
      source  = "github.com/hashicorp/docker"
    }
  }
}
source "docker" "ubuntu" {
  image  = "ubuntu:22.04"
  commit = true
}
source "amazon-ebs" "x" {
  image = "not-docker"
}
source "docker" "py" {
  image = var.python_image
}
build {
  sources = ["source.docker.ubuntu"]
}
"#;
    let got = found(src, find_packer);
    assert_eq!(got[0], ("ubuntu:22.04", "ubuntu:22.04".to_owned(), None));
    assert_eq!(got[1].2.as_deref(), Some(NOT_A_STRING));
    assert_eq!(got.len(), 2);
}

#[test]
fn parse_errors_point_at_the_problem() {
    let src = "resource \"docker_image\" \"a\" {\n  name = \"a:1\"\n  é = = 2\n}\n";
    let e = find_terraform(src).unwrap_err();
    let (line, _) = crate::formats::LineIndex::new(src).line_col(src, e.offset);
    assert_eq!(line, 3, "{e:?}");
    assert!(src.is_char_boundary(e.offset));
    assert!(e.message.starts_with("not valid HCL"), "{e:?}");
    let src = "\u{feff}a = \n";
    let e = find_terraform(src).unwrap_err();
    assert!(e.offset >= 3 && e.offset <= src.len(), "{e:?}");
}

#[test]
fn truncated_input_never_panics() {
    let src = "resource \"kubernetes_pod\" \"p\" {\n  spec {\n    container {\n      image = <<-EOT\n        é:1\n        EOT\n      name = \"${x}\"\n    }\n  }\n}\n";
    for (i, _) in src.char_indices().chain([(src.len(), ' ')]) {
        let prefix = &src[..i];
        for find in [find_terraform, find_nomad, find_bake, find_packer] {
            match find(prefix) {
                Ok(f) => {
                    for c in f.candidates {
                        assert!(prefix.get(c.span.clone()).is_some(), "{prefix:?}");
                    }
                }
                Err(e) => assert!(prefix.is_char_boundary(e.offset), "{prefix:?} {e:?}"),
            }
        }
    }
}

#[test]
fn containers_written_as_attributes() {
    let src = "resource \"kubernetes_pod\" \"p\" {\n  spec {\n    container = [\n      {\n        image = \"nginx\"\n        image_pull_policy = \"Always\"\n      },\n      { image = \"redis:7\" }\n    ]\n    init_container = { image = \"busybox:1\" }\n  }\n}\n";
    let got: Vec<_> = candidates(src, find_terraform)
        .into_iter()
        .map(|c| (src[c.span].to_owned(), c.pull_policy_set))
        .collect();
    assert_eq!(
        got,
        [
            ("nginx".to_owned(), Some(true)),
            ("redis:7".to_owned(), Some(false)),
            ("busybox:1".to_owned(), Some(false)),
        ]
    );
}

/// Real files with a few bytes deleted, inserted or replaced (a fixed pseudo-random sequence): every finder
/// answers, never panics, and gives only spans on character boundaries.
#[test]
fn mutated_corpus_files_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let files = [
        "terraform/gke-deploy-service.tf",
        "nomad/otel-contrib-otel-collector.nomad",
        "bake/frankenphp-docker-bake-templated.hcl",
        "packer/terratest-packer-docker-example.pkr.hcl",
    ];
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).expect("corpus file"))
        .collect();
    for src in crate::formats::testing::mutants(
        &texts,
        0x9e37_79b9_7f4a_7c15,
        "{}[]()\"'$%<>=#/\\\n\r :,.é~EOT",
        800,
    ) {
        for find in [find_terraform, find_nomad, find_bake, find_packer] {
            crate::formats::testing::assert_sound(&src, find);
        }
    }
}

/// `(text of span, value, target, skip)` of every candidate of a Terraform/OpenTofu file.
fn terraform_targets(src: &str) -> Vec<(String, String, Target, Option<String>)> {
    let findings = find_terraform(src).unwrap();
    crate::formats::check_spans(src, &findings).unwrap();
    findings
        .candidates
        .into_iter()
        .map(|c| {
            (
                src[c.span.clone()].to_owned(),
                c.value,
                c.target,
                c.skip.map(|s| s.to_string()),
            )
        })
        .collect()
}

#[test]
fn opentofu_oci_module_sources() {
    let src = "module \"vpc\" {\n  source = \"oci://example.com/modules/vpc?tag=1.0.0\"\n}\nmodule \"sub\" {\n  source = \"oci://example.com/modules/net//subnets?tag=v2\"\n}\nmodule \"latest\" {\n  source = \"oci://example.com/modules/dns\"\n}\nmodule \"pinned\" {\n  source = \"oci://example.com/modules/vpc?digest=sha256:aaaa\"\n}\nmodule \"registry\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\nmodule \"computed\" {\n  source = \"oci://example.com/${var.name}?tag=1\"\n}\n";
    let replace = Target::Replace {
        prefix: "digest=".to_owned(),
    };
    let got = terraform_targets(src);
    assert_eq!(
        got,
        [
            (
                "tag=1.0.0".to_owned(),
                "example.com/modules/vpc:1.0.0".to_owned(),
                replace.clone(),
                None
            ),
            (
                "tag=v2".to_owned(),
                "example.com/modules/net:v2".to_owned(),
                replace.clone(),
                None
            ),
            (
                String::new(),
                "example.com/modules/dns".to_owned(),
                Target::InsertDigest {
                    prefix: "?digest=".to_owned(),
                    suffix: String::new()
                },
                None
            ),
            (
                "digest=sha256:aaaa".to_owned(),
                "example.com/modules/vpc@sha256:aaaa".to_owned(),
                replace,
                None
            ),
            (
                "oci://example.com/${var.name}?tag=1".to_owned(),
                "oci://example.com/${var.name}?tag=1".to_owned(),
                Target::Reference,
                Some(TEMPLATE.to_owned())
            ),
        ]
    );
    let findings = find_terraform(src).unwrap();
    assert!(findings
        .candidates
        .iter()
        .all(|c| c.artifact == Some(crate::formats::Artifact::OpentofuModule)));
    // Written: the tag argument becomes the digest argument.
    let d = format!("sha256:{}", "e".repeat(64));
    let c = &findings.candidates[0];
    let edit = crate::rewrite::Edit {
        range: c.span.clone(),
        replacement: c.target.text(String::new, &d),
    };
    let out = crate::rewrite::apply(src, &[edit]).unwrap();
    assert!(out.contains(&format!(
        "source = \"oci://example.com/modules/vpc?digest={d}\"\n"
    )));
}

#[test]
fn helm_releases_from_oci_registries_are_listed() {
    let src = "resource \"helm_release\" \"redis\" {\n  name       = \"redis\"\n  repository = \"oci://registry-1.docker.io/bitnamicharts\"\n  chart      = \"redis\"\n  version    = \"19.6.4\"\n}\nresource \"helm_release\" \"direct\" {\n  name    = \"app\"\n  chart   = \"oci://ghcr.io/org/charts/app\"\n  version = \"0.3.0\"\n}\nresource \"helm_release\" \"http\" {\n  repository = \"https://charts.bitnami.com/bitnami\"\n  chart      = \"nginx\"\n  version    = \"15.0.0\"\n}\n";
    let got = terraform_targets(src);
    assert_eq!(
        got,
        [
            (
                "19.6.4".to_owned(),
                "registry-1.docker.io/bitnamicharts/redis:19.6.4".to_owned(),
                Target::Listed,
                Some(crate::formats::gitops::charts::TERRAFORM.to_owned())
            ),
            (
                "0.3.0".to_owned(),
                "ghcr.io/org/charts/app:0.3.0".to_owned(),
                Target::Listed,
                Some(crate::formats::gitops::charts::TERRAFORM.to_owned())
            ),
        ]
    );
}
