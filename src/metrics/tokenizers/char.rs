//! The `char` tokenizer: every character is a token (`" ".join(line)` in sacreBLEU).

pub fn tokenize(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    for (i, c) in line.chars().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
