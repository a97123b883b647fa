//! `format: "html"`: the text of an HTML fragment translated, its markup kept. The fragment is
//! parsed by html5ever (through `scraper`) as a browser would, each text node outside
//! script/style is translated as a small article, and the tree is written back.

use ego_tree::NodeId;
use scraper::{Html, Node};

/// Elements whose text is code or data, not prose.
const RAW_TEXT: &[&str] = &[
    "script", "style", "noscript", "template", "textarea", "code", "pre",
];

/// A parsed fragment and the text nodes to translate.
pub struct HtmlDocument {
    html: Html,
    nodes: Vec<NodeId>,
    /// The prose of each node, trimmed; its surrounding whitespace is kept in the output.
    pub texts: Vec<String>,
}

impl HtmlDocument {
    pub fn parse(fragment: &str) -> Self {
        let html = Html::parse_fragment(fragment);
        let mut nodes = Vec::new();
        let mut texts = Vec::new();
        for node in html.tree.nodes() {
            let Node::Text(text) = node.value() else {
                continue;
            };
            let raw = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| RAW_TEXT.contains(&e.name()))
            });
            if raw || text.trim().is_empty() {
                continue;
            }
            nodes.push(node.id());
            texts.push(text.trim().to_string());
        }
        HtmlDocument { html, nodes, texts }
    }

    /// The fragment with each text node replaced by its translation (one per entry of
    /// `texts`), the whitespace around it kept.
    pub fn render(mut self, translations: &[String]) -> String {
        for (&id, new) in self.nodes.iter().zip(translations) {
            if let Some(mut node) = self.html.tree.get_mut(id) {
                if let Node::Text(text) = node.value() {
                    let old: &str = &text.text;
                    let lead = &old[..old.len() - old.trim_start().len()];
                    let trail = &old[old.trim_end().len()..];
                    let replaced = format!("{lead}{new}{trail}");
                    text.text = replaced.as_str().into();
                }
            }
        }
        self.html.root_element().inner_html()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_nodes_are_replaced_and_markup_kept() {
        let doc = HtmlDocument::parse(
            "<p class=\"x\">Bonjour <b>le monde</b> !</p><script>var a = 1;</script> <a href=\"/l?a=1&amp;b=2\">Lien</a>",
        );
        assert_eq!(doc.texts, ["Bonjour", "le monde", "!", "Lien"]);
        let upper: Vec<String> = doc.texts.iter().map(|t| t.to_uppercase()).collect();
        assert_eq!(
            doc.render(&upper),
            "<p class=\"x\">BONJOUR <b>LE MONDE</b> !</p><script>var a = 1;</script> <a href=\"/l?a=1&amp;b=2\">LIEN</a>"
        );
    }

    #[test]
    fn text_is_escaped_on_output_and_broken_markup_is_repaired() {
        let doc = HtmlDocument::parse("<div><p>Un < deux");
        assert_eq!(doc.texts, ["Un < deux"]);
        assert_eq!(
            doc.render(&["1 < 2 & <b>".into()]),
            "<div><p>1 &lt; 2 &amp; &lt;b&gt;</p></div>"
        );
    }
}
