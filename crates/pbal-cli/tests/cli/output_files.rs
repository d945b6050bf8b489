//! `-o FILE` and `--report FILE`: whole-or-nothing for regular files keeping their mode, a
//! symlink's target written (the link kept), FIFOs and devices written directly, `-` as
//! stdout; and `-` as the export read from stdin.

use std::path::Path;

use crate::common::{Pbal, fixture};

fn export() -> String {
    fixture("positions-custom.csv").display().to_string()
}

/// The plan as CSV on stdout, to compare with what a file gets.
fn plan_csv(pbal: &Pbal) -> String {
    let (code, stdout, stderr) = pbal.run(&["plan", &export(), "-c", "1000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(",BUY,"), "{stdout}");
    stdout
}

fn write_plan(pbal: &Pbal, output: &Path) -> (i32, String, String) {
    pbal.run(&[
        "plan",
        &export(),
        "-c",
        "1000",
        "-f",
        "csv",
        "-o",
        output.to_str().unwrap(),
    ])
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn an_existing_file_keeps_its_mode_and_a_new_one_gets_the_umask_default() {
    use std::os::unix::fs::PermissionsExt;
    let pbal = Pbal::new();
    let expected = plan_csv(&pbal);
    let private = pbal.write("private.csv", "old\n");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, stderr) = write_plan(&pbal, &private);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&private).unwrap(), expected);
    assert_eq!(mode(&private), 0o600);

    // A new file gets what any new file gets here (the umask's), not a temporary file's.
    let reference = pbal.write("reference", "");
    let new = pbal.home.path().join("new.csv");
    let (code, _, stderr) = write_plan(&pbal, &new);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(mode(&new), mode(&reference));

    // The HTML report follows the same rule.
    let report = pbal.write("report.html", "old\n");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, _, stderr) = pbal.run(&["plan", &export(), "--report", report.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    assert_eq!(mode(&report), 0o640);
    // No temporary file is left next to them.
    let left: Vec<_> = std::fs::read_dir(pbal.home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".pbal-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[cfg(unix)]
#[test]
fn a_symlink_stays_a_link_and_its_target_gets_the_content() {
    let pbal = Pbal::new();
    let expected = plan_csv(&pbal);
    std::fs::create_dir(pbal.home.path().join("real")).unwrap();
    let target = pbal.write("real/plan.csv", "old\n");
    let link = pbal.home.path().join("plan.csv");
    std::os::unix::fs::symlink("real/plan.csv", &link).unwrap();
    let (code, _, stderr) = write_plan(&pbal, &link);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    // A link to a file not written yet creates it.
    let dangling = pbal.home.path().join("next.csv");
    std::os::unix::fs::symlink("real/next.csv", &dangling).unwrap();
    let (code, _, stderr) = write_plan(&pbal, &dangling);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(pbal.home.path().join("real/next.csv")).unwrap(),
        expected
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_written_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let pbal = Pbal::new();
    let expected = plan_csv(&pbal);
    let fifo = pbal.home.path().join("plan.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    // Without mkfifo there is nothing to test here.
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, _, stderr) = write_plan(&pbal, &fifo);
    let still_fifo = std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo();
    assert!(still_fifo, "the FIFO was replaced");
    // Opening for reading and writing never blocks on Linux: it lets the reader finish even
    // when pbal never opened the FIFO.
    drop(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap(),
    );
    let read = reader.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read, expected);
}

#[cfg(unix)]
#[test]
fn a_character_device_is_written_directly() {
    use std::os::unix::fs::FileTypeExt;
    let pbal = Pbal::new();
    let (code, stdout, stderr) = write_plan(&pbal, Path::new("/dev/null"));
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device());
}

#[test]
fn a_dash_is_stdout() {
    let pbal = Pbal::new();
    let expected = plan_csv(&pbal);
    let (code, stdout, stderr) = write_plan(&pbal, Path::new("-"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, expected);
    assert!(!pbal.home.path().join("-").exists());
}

#[test]
fn a_dash_export_is_stdin() {
    let pbal = Pbal::new();
    let expected = plan_csv(&pbal);
    let piped = |args: &[&str], input: Vec<u8>| {
        let out = pbal.cmd().args(args).write_stdin(input).output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let bytes = std::fs::read(fixture("positions-custom.csv")).unwrap();
    let (code, stdout, stderr) = piped(&["plan", "-", "-c", "1000", "-f", "csv"], bytes.clone());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, expected);
    let (code, stdout, _) = piped(&["positions", "-"], bytes);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("VSMAX"), "{stdout}");
    // Errors name stdin, with the line and column.
    let bad = b"Symbol,PositionValue,MarkPrice\nAAA,100,abc\n".to_vec();
    let (code, _, stderr) = piped(&["plan", "-", "-c", "100"], bad);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "error: stdin:2: column \"MarkPrice\": \"abc\" is not a number\n"
    );
}
