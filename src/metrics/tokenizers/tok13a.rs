//! The `13a` tokenizer: mteval-v13a.pl's tokenization, sacreBLEU's default.

use super::regexp;

pub fn tokenize(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    regexp::tokenize(&format!(" {line} "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mteval_examples() {
        assert_eq!(
            super::tokenize("Hello, world. 3.5-4"),
            "Hello , world . 3.5 - 4"
        );
        assert_eq!(super::tokenize("a &amp;quot; b"), "a & quot ; b");
    }
}
