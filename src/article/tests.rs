use super::*;

#[test]
fn placeholder_compiles() {
    assert!(BlockKind::Paragraph.is_prose());
}
