//! The golden-file check itself (here, not in `golden.rs`, which every test binary includes).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::golden::{assert_golden, Goldens};

/// The message of the panic of `finish`.
fn failure(goldens: Goldens) -> String {
    let panic =
        catch_unwind(AssertUnwindSafe(|| goldens.finish())).expect_err("a difference fails");
    panic.downcast_ref::<String>().expect("a message").clone()
}

#[test]
fn an_equal_file_passes_and_a_different_or_missing_one_fails_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "one\ntwo\nthree\n").unwrap();
    assert_golden(&file, "one\ntwo\nthree\n");

    let mut goldens = Goldens::blessing_if(false);
    goldens.check(&file, "one\n2\nthree\n");
    goldens.check(dir.path().join("missing.txt"), "new\n");
    let message = failure(goldens);
    assert!(message.contains(" one\n-two\n+2\n three\n"), "{message}");
    assert!(
        message.contains("missing.txt is missing; the test got:\nnew\n"),
        "{message}"
    );
    assert!(message.contains("2 golden file(s) differ"), "{message}");
    // Nothing is written unless asked.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "one\ntwo\nthree\n");
    assert!(!dir.path().join("missing.txt").exists());
}

#[test]
fn blessing_writes_the_files_that_differ_and_still_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "old\n").unwrap();
    let mut goldens = Goldens::blessing_if(true);
    goldens.check(&file, "new\n");
    goldens.check(dir.path().join("sub/b.txt"), "made\n");
    let message = failure(goldens);
    assert!(message.contains("-old\n+new\n"), "{message}");
    assert!(message.contains("PIN_BLESS wrote"), "{message}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "new\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub/b.txt")).unwrap(),
        "made\n"
    );
    // Once written, the same check passes.
    let mut goldens = Goldens::blessing_if(true);
    goldens.check(&file, "new\n");
    goldens.finish();
}
