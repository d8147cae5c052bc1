mod publication;

#[test]
fn placeholder() {}
