mod transform;

#[test]
fn placeholder() {}
