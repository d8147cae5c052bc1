//! Integration tests of `oj::synth`: determinism, file shapes, consistency and calibration.

use oj::synth::{Figure, SynthOptions, generate};

const QUESTIONS: &str = include_str!("../../pipelines/enkat.yaml");

#[test]
fn calibration_print() {
    let dir = tempfile::tempdir().unwrap();
    let scale: f64 = std::env::var("SYNTH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.05);
    let opts = SynthOptions {
        out: dir.path().to_path_buf(),
        years: 2012..=2017,
        scale,
        seed: 1,
        faults: vec![],
    };
    let t = std::time::Instant::now();
    let r = generate(&opts, QUESTIONS).unwrap();
    eprintln!("{r}\n{:?}", t.elapsed());
    let _ = Figure::Households;
}
