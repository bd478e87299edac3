use super::*;

fn names(src: &str) -> Vec<(String, Name)> {
    read(src)
        .unwrap()
        .builds
        .into_iter()
        .map(|b| {
            // The span holds the name as written (a literal's content, or the expression).
            if let Name::Unknown(text) = &b.name {
                assert_eq!(&src[b.span.clone()], text);
            }
            (b.function, b.name)
        })
        .collect()
}

fn known(function: &str, name: &str) -> (String, Name) {
    (function.to_owned(), Name::Known(name.to_owned()))
}

fn unknown(function: &str, text: &str) -> (String, Name) {
    (function.to_owned(), Name::Unknown(text.to_owned()))
}

#[test]
fn built_in_builds_by_position_and_keyword() {
    let src = "docker_build('shop/web', '.')\n\
               docker_build(context = '.', ref = \"shop/api:dev\")\n\
               custom_build(\n  'shop/worker',\n  'make image',\n  ['src'],\n)\n";
    assert_eq!(
        names(src),
        [
            known("docker_build", "shop/web"),
            known("docker_build", "shop/api:dev"),
            known("custom_build", "shop/worker"),
        ]
    );
    let t = read(src).unwrap();
    assert_eq!(&src[t.builds[0].span.clone()], "shop/web");
    assert_eq!(&src[t.builds[2].span.clone()], "shop/worker");
}

#[test]
fn comments_strings_definitions_and_methods_are_not_calls() {
    let src = "# docker_build('in/comment', '.')\n\
               x = \"docker_build('in/string', '.')\"\n\
               doc = '''\ncustom_build('in/docstring', 'make', [])\n'''\n\
               def docker_build(ref, context):\n  pass\n\
               lib.docker_build('method/call', '.')\n\
               docker_build('real/one', '.')  # docker_build('after', '.')\n";
    assert_eq!(names(src), [known("docker_build", "real/one")]);
}

#[test]
fn string_forms_and_escapes() {
    let src = r#"docker_build('''shop/triple''', '.')
docker_build(r'shop/raw', '.')
docker_build("shop/\"q\"", '.')
docker_build('shop/it\'s', '.')
docker_build("shop/\x41", '.')
docker_build('a' + 'b', '.')
"#;
    assert_eq!(
        names(src),
        [
            known("docker_build", "shop/triple"),
            known("docker_build", "shop/raw"),
            known("docker_build", "shop/\"q\""),
            known("docker_build", "shop/it's"),
            // An escape the tokenizer does not decode: the value is not known.
            unknown("docker_build", r#""shop/\x41""#),
            unknown("docker_build", "'a' + 'b'"),
        ]
    );
}

#[test]
fn nested_calls_and_expressions() {
    let src = "docker_build(ref = os.getenv('IMAGE', 'x/y'), context = '.')\n\
               docker_build(IMAGE, '.', live_update = [sync('.', '/app'), run('docker_build(\"no\")')])\n\
               docker_build('img-%s' % name, '.')\n\
               docker_build(**kwargs)\n\
               docker_build('first', *rest)\n\
               custom_build(*args)\n\
               docker_build()\n";
    assert_eq!(
        names(src),
        [
            unknown("docker_build", "os.getenv('IMAGE', 'x/y')"),
            unknown("docker_build", "IMAGE"),
            unknown("docker_build", "'img-%s' % name"),
            unknown("docker_build", "**kwargs"),
            known("docker_build", "first"),
            unknown("custom_build", "*args"),
        ]
    );
}

#[test]
fn extensions_count_only_when_loaded_from_tilt_extensions() {
    let src = "load('ext://ko', 'ko_build')\n\
               load('ext://restart_process', dbr = 'docker_build_with_restart')\n\
               load('ext://pack', 'pack')\n\
               load('ext://earthly', 'earthly_build')\n\
               load('./lib/Tiltfile', 'podman_build')\n\
               ko_build('shop/ko', './cmd/app')\n\
               dbr('shop/restart', '.', entrypoint = ['/app'], live_update = [])\n\
               docker_build_with_restart('not/bound', '.')\n\
               pack(path = '.', name = 'shop/pack')\n\
               earthly_build('.', '+image', 'shop/earthly', 'IMAGE')\n\
               podman_build('other/file', '.')\n";
    assert_eq!(
        names(src),
        [
            known("ko_build", "shop/ko"),
            known("dbr", "shop/restart"),
            known("pack", "shop/pack"),
            known("earthly_build", "shop/earthly"),
        ]
    );
}

#[test]
fn deployed_paths_are_string_literals() {
    let src = "k8s_yaml('k8s/web.yaml')\n\
               k8s_yaml(['k8s/a.yaml', \"k8s/b.yaml\",])\n\
               k8s_yaml(kustomize('overlays/dev'))\n\
               k8s_yaml(helm('charts/web', name = 'web'))\n\
               k8s_yaml(listdir('gen'))\n\
               k8s_yaml(yaml = ('t/1.yaml', 't/2.yaml'))\n\
               k8s_yaml(['ok.yaml', base + '.yaml'])\n\
               docker_compose('compose.yml')\n\
               local_resource('build', 'make', deps = ['src'])\n";
    assert_eq!(
        read(src).unwrap().deploys,
        [
            "k8s/web.yaml",
            "k8s/a.yaml",
            "k8s/b.yaml",
            "overlays/dev",
            "charts/web",
            "t/1.yaml",
            "t/2.yaml",
            "compose.yml",
        ]
    );
}

#[test]
fn unreadable_files_are_errors_at_their_place() {
    let e = read("docker_build('web, '.')\n").unwrap_err();
    assert_eq!(e.offset, 21, "{e:?}");
    let e = read("x = 1\ndocker_build('web', '.'\n").unwrap_err();
    assert_eq!(e.offset, 18, "{e:?}");
}

#[test]
fn the_finder_reports_every_name_skipped() {
    let src = "docker_build('shop/web', '.')\ncustom_build(NAME, 'make', [])\n";
    let f = find(src).unwrap();
    assert_eq!(f.candidates.len(), 2);
    assert_eq!(f.candidates[0].value, "shop/web");
    assert_eq!(
        f.candidates[0]
            .skip
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(BUILT)
    );
    assert_eq!(&src[f.candidates[0].span.clone()], "shop/web");
    assert_eq!(f.candidates[1].value, "NAME");
    assert_eq!(
        f.candidates[1]
            .skip
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(unknown_reason("custom_build").as_str())
    );
    assert_eq!(crate::formats::check_spans(src, &f), Ok(()));
}

/// Cut anywhere, a Tiltfile reads or fails with an offset inside it, never panics.
#[test]
fn every_prefix_reads_or_fails_cleanly() {
    let src = "load('ext://ko', 'ko_build')\n# é\nko_build(ref = r'''x''', deps = ['.'])\nk8s_yaml(['a.yaml', \"b\\\"\"])\ndocker_build(**kw)\n";
    for (i, _) in src.char_indices().chain([(src.len(), ' ')]) {
        match find(&src[..i]) {
            Ok(f) => assert_eq!(crate::formats::check_spans(&src[..i], &f), Ok(())),
            Err(e) => assert!(src.is_char_boundary(e.offset) && e.offset <= i),
        }
    }
}
