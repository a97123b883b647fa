//! One test per French rule the segmenter must honour.

use super::*;

fn split(text: &str) -> Vec<&str> {
    split_sentences(text)
}

#[test]
fn plain_sentences() {
    assert_eq!(
        split("Il pleut. Le match est reporté. Rendez-vous demain."),
        ["Il pleut.", "Le match est reporté.", "Rendez-vous demain."]
    );
}

#[test]
fn titles_never_end_a_sentence() {
    assert_eq!(
        split("M. Dupont et Mme. Durand sont arrivés. MM. Martin et Mlle. Roux aussi. Le Dr. Fabre et le Pr. Klein ont parlé."),
        [
            "M. Dupont et Mme. Durand sont arrivés.",
            "MM. Martin et Mlle. Roux aussi.",
            "Le Dr. Fabre et le Pr. Klein ont parlé."
        ]
    );
    assert_eq!(
        split("Il habite rue St. Michel."),
        ["Il habite rue St. Michel."]
    );
}

#[test]
fn reference_abbreviations() {
    assert_eq!(
        split("Voir p. 12 et cf. Chapitre 3. Certains fruits, p. ex. Les pommes, mûrissent."),
        [
            "Voir p. 12 et cf. Chapitre 3.",
            "Certains fruits, p. ex. Les pommes, mûrissent."
        ]
    );
}

#[test]
fn abbreviation_at_sentence_end() {
    assert_eq!(
        split("Il a acheté des pommes, des poires, etc. Le reste est parti."),
        [
            "Il a acheté des pommes, des poires, etc.",
            "Le reste est parti."
        ]
    );
    assert_eq!(
        split("Rome fut fondée en 753 av. J.-C. Elle devint un empire."),
        ["Rome fut fondée en 753 av. J.-C.", "Elle devint un empire."]
    );
    assert_eq!(
        split("Pommes, poires, etc. et le reste."),
        ["Pommes, poires, etc. et le reste."]
    );
    assert_eq!(split("La fin, etc."), ["La fin, etc."]);
}

#[test]
fn initials() {
    assert_eq!(
        split("J. Chirac a parlé à l'A. F. P. hier. Puis il est parti."),
        ["J. Chirac a parlé à l'A. F. P. hier.", "Puis il est parti."]
    );
    assert_eq!(
        split("Selon l'A.F.P. Le président est parti."),
        ["Selon l'A.F.P.", "Le président est parti."]
    );
}

#[test]
fn numbers_and_units() {
    assert_eq!(
        split("La croissance atteint 5,2 %. Le prix est de 12 000 €. La note passe à 3.5 points. Le 1er mai à 11 h 30. Au XXIe s. les villes ont grandi."),
        [
            "La croissance atteint 5,2 %.",
            "Le prix est de 12 000 €.",
            "La note passe à 3.5 points.",
            "Le 1er mai à 11 h 30.",
            "Au XXIe s. les villes ont grandi."
        ]
    );
    assert_eq!(
        split("Il est né en 1950. 12 personnes étaient présentes."),
        ["Il est né en 1950.", "12 personnes étaient présentes."]
    );
    assert_eq!(
        split("1. Introduction générale"),
        ["1. Introduction générale"]
    );
}

#[test]
fn ellipsis() {
    assert_eq!(
        split("Et puis… Rien. Il attendait... Personne ne vint. C'était… étrange."),
        [
            "Et puis…",
            "Rien.",
            "Il attendait...",
            "Personne ne vint.",
            "C'était… étrange."
        ]
    );
    assert_eq!(
        split("« Nous voulons (…) La paix », dit-il. Il part [...] Demain."),
        [
            "« Nous voulons (…) La paix », dit-il.",
            "Il part [...] Demain."
        ]
    );
}

#[test]
fn question_and_exclamation_runs() {
    assert_eq!(
        split("Vraiment?! Oui. Quoi ?! Non !!! Comment ? ! Ainsi ?? Bon."),
        [
            "Vraiment?!",
            "Oui.",
            "Quoi ?!",
            "Non !!!",
            "Comment ? !",
            "Ainsi ??",
            "Bon."
        ]
    );
    assert_eq!(split("Bravo ! s'écria-t-il."), ["Bravo ! s'écria-t-il."]);
}

#[test]
fn french_spacing_with_nbsp() {
    let text =
        "Pourquoi\u{a0}? Parce que\u{a0}! Voici\u{202f}: rien\u{202f}; rien. Fin\u{202f}? Oui.";
    assert_eq!(
        split(text),
        [
            "Pourquoi\u{a0}?",
            "Parce que\u{a0}!",
            "Voici\u{202f}: rien\u{202f}; rien.",
            "Fin\u{202f}?",
            "Oui."
        ]
    );
}

#[test]
fn closing_quotes_stay_with_their_sentence() {
    assert_eq!(
        split("Il a dit : « Je pars. » Puis il est sorti."),
        ["Il a dit : « Je pars. »", "Puis il est sorti."]
    );
    assert_eq!(
        split("Il a dit : «\u{a0}Je pars !\u{a0}» Elle a répondu."),
        ["Il a dit : «\u{a0}Je pars !\u{a0}»", "Elle a répondu."]
    );
    assert_eq!(
        split("Elle a crié \"Stop!\" Ensuite le silence. \"Bien\" dit-il."),
        [
            "Elle a crié \"Stop!\"",
            "Ensuite le silence.",
            "\"Bien\" dit-il."
        ]
    );
    assert_eq!(
        split("Il a écrit “Fin.” Le livre s'arrête."),
        ["Il a écrit “Fin.”", "Le livre s'arrête."]
    );
    assert_eq!(
        split("« Quoi ? » demanda-t-il."),
        ["« Quoi ? » demanda-t-il."]
    );
}

#[test]
fn parentheses() {
    assert_eq!(
        split("Le texte est adopté (par 300 voix.) Le débat reprend (voir ci-dessous). Puis la séance est levée."),
        [
            "Le texte est adopté (par 300 voix.)",
            "Le débat reprend (voir ci-dessous).",
            "Puis la séance est levée."
        ]
    );
}

#[test]
fn dialogue_dashes() {
    assert_eq!(
        split("— Tu viens ? — Non, je reste. – D'accord."),
        ["— Tu viens ?", "— Non, je reste.", "– D'accord."]
    );
}

#[test]
fn urls_emails_hashtags_and_mentions() {
    assert_eq!(
        split("Lisez www.lemonde.fr/international/article.html. Écrivez à redaction@lemonde.fr. #LaRussie #OTAN Suivez @lemondefr."),
        [
            "Lisez www.lemonde.fr/international/article.html.",
            "Écrivez à redaction@lemonde.fr.",
            "#LaRussie #OTAN Suivez @lemondefr."
        ]
    );
    assert_eq!(
        split("Voir https://exemple.fr/a.b?c=1!d pour plus."),
        ["Voir https://exemple.fr/a.b?c=1!d pour plus."]
    );
}

#[test]
fn lowercase_start_after_an_ordinary_word() {
    // Web text often starts sentences in lowercase; after an abbreviation it does not.
    assert_eq!(
        split(
            "Le service était à la hauteur. je reviendrai. Voir p. ex. la carte, etc. et le menu."
        ),
        [
            "Le service était à la hauteur.",
            "je reviendrai.",
            "Voir p. ex. la carte, etc. et le menu."
        ]
    );
    assert_eq!(
        split("Il part à 5 h. puis revient."),
        ["Il part à 5 h. puis revient."]
    );
}

#[test]
fn semicolon_before_a_capital_ends_a_sentence() {
    assert_eq!(
        split("Il pleut ; le match est reporté ; Selon la météo, demain aussi."),
        [
            "Il pleut ; le match est reporté ;",
            "Selon la météo, demain aussi."
        ]
    );
}

#[test]
fn emoticons_end_sentences() {
    assert_eq!(
        split("Trop cher ;) Un endroit simple :-) Je reviendrai (peut-être)."),
        [
            "Trop cher ;)",
            "Un endroit simple :-)",
            "Je reviendrai (peut-être)."
        ]
    );
}

#[test]
fn straight_quotes_follow_their_parity() {
    assert_eq!(
        split("Il prend 0.27 %. \" J'ai senti une ouverture \", dit-il. Il a dit \"non. \" Puis rien."),
        [
            "Il prend 0.27 %.",
            "\" J'ai senti une ouverture \", dit-il.",
            "Il a dit \"non. \"",
            "Puis rien."
        ]
    );
}

#[test]
fn truncated_last_paragraph_is_kept() {
    let text = "Rosneft affirme être le plus grand exportateur. Il vend (7 % de la de";
    assert_eq!(
        split(text),
        [
            "Rosneft affirme être le plus grand exportateur.",
            "Il vend (7 % de la de"
        ]
    );
}

#[test]
fn each_line_is_a_paragraph() {
    let text = "Titre sans point\n  • il y a 2 ans\n\nPhoto du 4 février 2022. ALEXEI DRUZININE/AP\r\n\n\nLire aussi l'article";
    let seg = Segmenter::default();
    let got: Vec<(usize, usize, &str)> = seg
        .segment(text)
        .iter()
        .map(|s| (s.para, s.sent, s.text(text)))
        .collect();
    assert_eq!(
        got,
        [
            (0, 0, "Titre sans point"),
            (1, 0, "• il y a 2 ans"),
            (2, 0, "Photo du 4 février 2022."),
            (2, 1, "ALEXEI DRUZININE/AP"),
            (3, 0, "Lire aussi l'article"),
        ]
    );
}

#[test]
fn join_lines_reflows_hard_wrapped_text() {
    let text = "Le président est\narrivé hier. Il\nrepart demain.\n\nNouveau paragraphe.\n";
    let seg = Segmenter::new(SegmentOptions { join_lines: true });
    let got: Vec<(usize, String)> = seg
        .segment(text)
        .iter()
        .map(|s| (s.para, single_line(s.text(text)).into_owned()))
        .collect();
    assert_eq!(
        got,
        [
            (0, "Le président est arrivé hier.".to_string()),
            (0, "Il repart demain.".to_string()),
            (1, "Nouveau paragraphe.".to_string()),
        ]
    );
}

#[test]
fn empty_and_blank_input() {
    assert!(split("").is_empty());
    assert!(split(" \n\t\n\u{a0}\n").is_empty());
}

#[test]
fn pysbd_golden_rules_for_french() {
    // The 5 French cases of pySBD's golden rules, from the reference data (skipped without it).
    let Some(path) = crate::testdata::require("eval/segment/pysbd_golden_fr.jsonl") else {
        return;
    };
    let data = std::fs::read_to_string(path).unwrap();
    let mut cases = 0;
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = case["text"].as_str().unwrap();
        let expected: Vec<&str> = case["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(split(text), expected, "pySBD golden case: {text}");
        cases += 1;
    }
    assert_eq!(cases, 5);
}
