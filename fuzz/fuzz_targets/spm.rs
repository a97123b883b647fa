//! The SentencePiece `.spm` protobuf parser and model builder on arbitrary bytes; a model that
//! loads must encode and decode without panicking.
#![no_main]
use entente::tokenizer::spm::ModelProto;
use entente::tokenizer::SentencePiece;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(proto) = ModelProto::parse(data) else {
        return;
    };
    let Ok(sp) = SentencePiece::from_proto(proto) else {
        return;
    };
    for text in [
        "Bonjour le monde, ça va ? 12 € «oui»",
        "",
        "  \u{a0}x\t",
        "ﬁn 😀",
    ] {
        let pieces = sp.encode(text);
        let _ = sp.decode_pieces(&pieces);
        let _ = sp.normalize(text);
    }
});
