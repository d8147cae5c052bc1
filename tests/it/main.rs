#[test]
fn placeholder() {}
mod synth;
