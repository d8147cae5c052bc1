#[test]
fn placeholder() {}

mod release;
