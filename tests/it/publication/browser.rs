//! The report and a profile opened in headless Chromium: the DOM the browser builds holds the
//! expected figures, no console error or blocked load is logged, and a screenshot of plausible
//! size is produced. Runs where `/usr/bin/chromium` exists (the CI script installs it). Without
//! it, each test fails in CI (`CI` set, as CI services do) and locally prints "skipped: no
//! chromium" and passes.

use super::fixture::Fixture;
use oj::render::{region_profile_html, report_html};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether the tests run in CI: `CI` is set to anything but empty, `0` or `false`.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

fn chromium() -> Option<&'static Path> {
    let path = Path::new(CHROMIUM);
    if path.exists() {
        Some(path)
    } else if in_ci() {
        panic!("no chromium at {CHROMIUM}: CI must run the browser test (.ci/run installs it)");
    } else {
        // Written to the stderr handle, not through eprintln!, so the test harness does not
        // capture it: the skip shows in every test run's output.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no chromium at {CHROMIUM} (browser test of the publication; it fails in CI)"
        );
        None
    }
}

/// Runs headless Chromium with `extra` arguments on `page`, killing it after two minutes.
fn run(browser: &Path, dir: &Path, page: &Path, extra: &[String]) -> Output {
    let url = url::Url::from_file_path(page).unwrap().to_string();
    let profile = dir.join("chromium-profile");
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra.iter().cloned());
    args.push(url);
    let mut child = Command::new(browser)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Lines of Chromium's log about the page's console: our pages run no script, so any console
/// message is a problem – an uncaught error, or a load or script refused by the page's
/// Content-Security-Policy (something external was requested). Chromium logs them as
/// `INFO:CONSOLE:<line>` (older versions: `ERROR:CONSOLE`).
fn page_problems(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect()
}

fn write_page(dir: &Path, name: &str, html: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, html).unwrap();
    path
}

#[test]
fn report_dom_in_chromium_holds_the_figures() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let page = write_page(
        dir.path(),
        "rapport.html",
        &report_html(&f.input()).unwrap(),
    );
    let out = run(browser, dir.path(), &page, &["--dump-dom".to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    // Riket 4,3 (2016: 4,5; −0,2) as in the fixture's reg_mottagare_andel row.
    assert!(dom.contains(
        "<td>Andel biståndsmottagare i befolkningen, %</td><td class=\"num\">4,3</td><td class=\"num\">4,5</td><td class=\"num\">\u{2212}0,2</td>"
    ), "{dom:.3000}");
    assert!(dom.contains("<td class=\"num\">10 564 321</td>"));
    // Håbo is bortfall: the marker, not a number.
    assert!(dom.contains(
        r#"<td>Håbo</td><td class="num"><span class="marker" title="bortfall/saknas">-</span></td>"#
    ));
    // The browser parsed the charts as SVG elements.
    assert!(dom.matches("<svg ").count() >= 6);
    assert!(dom.contains("Kommunenkät 2017 &lt;Socialstyrelsen &amp; SKL&gt;"));
    let problems = page_problems(&out.stderr);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn profile_dom_in_chromium_shows_suppressed_cells_as_markers() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let html = region_profile_html(&f.input(), "0114").unwrap();
    let page = write_page(dir.path(), "0114.html", &html);
    let out = run(browser, dir.path(), &page, &["--dump-dom".to_string()]);
    assert!(out.status.success());
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains(r#"<td>Kvinnor</td><td class="num"><span class="marker" title="sekretess">..</span></td>"#), "{dom:.3000}");
    assert!(dom.contains("<td>Totalt</td><td class=\"num\">5,1</td><td class=\"num\">3,9</td>"));
    let problems = page_problems(&out.stderr);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn report_screenshot_is_a_plausible_png() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let page = write_page(
        dir.path(),
        "rapport.html",
        &report_html(&f.input()).unwrap(),
    );
    let shot = dir.path().join("rapport.png");
    let out = run(
        browser,
        dir.path(),
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,1800".to_string(),
            "--hide-scrollbars".to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A 1200×1800 page of text, tables and charts compresses to tens or hundreds of kB; a blank
    // page would be a few kB.
    assert!(
        png.len() > 30_000 && png.len() < 10_000_000,
        "{} bytes",
        png.len()
    );
    // To look at the outputs yourself: OJ_KEEP_BROWSER_OUTPUT=<dir> keeps the report, its
    // screenshot, the 0114 profile and the workbook there.
    if let Ok(keep) = std::env::var("OJ_KEEP_BROWSER_OUTPUT") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&shot, Path::new(&keep).join("rapport.png")).unwrap();
        std::fs::copy(&page, Path::new(&keep).join("rapport.html")).unwrap();
        let profile = region_profile_html(&f.input(), "0114").unwrap();
        std::fs::write(Path::new(&keep).join("0114.html"), profile).unwrap();
        let book = oj::render::workbook(&f.input()).unwrap();
        std::fs::write(
            Path::new(&keep).join("oj_ekonomiskt_bistand_2017.xlsx"),
            book,
        )
        .unwrap();
    }
}

#[test]
fn console_check_catches_blocked_loads_and_script_errors() {
    // The check must be able to fail: a page that requests an external image (blocked by the
    // same Content-Security-Policy the report uses) and runs a failing script.
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
               content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"></head>\
               <body><img src=\"https://example.invalid/x.png\"><p>x</p></body></html>";
    let page = write_page(dir.path(), "bad.html", bad);
    let out = run(browser, dir.path(), &page, &["--dump-dom".to_string()]);
    let problems = page_problems(&out.stderr);
    assert!(
        problems
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{problems:#?}"
    );
    let failing = "<!DOCTYPE html><html><body><script>undefinedFunction()</script></body></html>";
    let page = write_page(dir.path(), "failing.html", failing);
    let out = run(browser, dir.path(), &page, &["--dump-dom".to_string()]);
    let problems = page_problems(&out.stderr);
    assert!(
        problems.iter().any(|l| l.contains("Uncaught")),
        "{problems:#?}"
    );
}
