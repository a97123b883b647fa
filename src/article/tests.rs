//! Whole pages through [`Article::from_html`]: articles in scripts other than the Latin one,
//! and pages that hold none.

use super::*;

fn body(page: &str) -> Result<Vec<(BlockKind, String)>, ArticleError> {
    let article = Article::from_html(page.as_bytes(), "test.html", None, None)?;
    Ok(article
        .blocks
        .into_iter()
        .filter(|b| b.kind.is_body())
        .map(|b| (b.kind, b.text))
        .collect())
}

#[test]
fn a_korean_article_of_short_lines_is_an_article() {
    // Every line is under 40 characters: in Hangul a line that short is a full sentence.
    let page = "<html lang='ko'><body><ul class='gnb'><li><a href='/a'>정치</a></li>\
        <li><a href='/b'>경제</a></li><li><a href='/c'>사회</a></li></ul><div id='articleBody'>\
        정부가 내년도 예산을 올해보다 5% 늘리기로 했다.<br><br>\
        기획재정부는 7일 국무회의에서 예산안을 의결했다.<br><br>\
        늘어난 예산은 주로 복지와 교육에 쓰인다.<br><br>\
        야당은 재정 건전성을 우려하며 반대했다.</div></body></html>";
    let blocks = body(page).expect("an article");
    assert_eq!(blocks.len(), 4, "{blocks:?}");
    assert_eq!(
        blocks[0].1,
        "정부가 내년도 예산을 올해보다 5% 늘리기로 했다."
    );
}

#[test]
fn furigana_is_not_part_of_the_text() {
    let page = "<html lang='ja'><body><article><p><ruby>子<rt>こ</rt></ruby>どもへの\
        <ruby>虐待<rp>(</rp><rt>ぎゃくたい</rt><rp>)</rp></ruby>をなくすための法律ができて、\
        親が子どもを教育するために、体罰を禁止することになりました。</p></article></body></html>";
    let blocks = body(page).expect("an article");
    assert_eq!(
        blocks[0].1,
        "子どもへの虐待をなくすための法律ができて、親が子どもを教育するために、体罰を禁止することになりました。"
    );
}

#[test]
fn a_chinese_sentence_with_a_year_and_a_time_is_prose() {
    // Written without spaces, the whole sentence is one "word": it is not a short date line.
    let sentence = "武汉市政府（2020-02-19 10:30）宣布将新建两所医院，以收治更多的新冠肺炎患者。";
    assert_eq!(kinds::furniture_kind(sentence), None);
    assert!(kinds::furniture_kind("发布时间：2020-02-19 10:30").is_some());
}

#[test]
fn sentences_end_in_every_script() {
    for text in [
        "这是一个句子。",
        "هل هذا سؤال؟",
        "यह एक वाक्य है।",
        "It ends.",
    ] {
        assert!(kinds::ends_like_a_sentence(text), "{text}");
    }
    assert!(!kinds::ends_like_a_sentence("这是一个标题"));
}

#[test]
fn a_page_of_links_and_menus_holds_no_article() {
    let page = "<html><body><nav><a href='/'>Accueil</a></nav><ul><li><a href='/a'>Monde</a>\
        </li><li><a href='/b'>Politique</a></li></ul><p>Menu</p></body></html>";
    assert!(matches!(body(page), Err(ArticleError::NoArticle)));
}

#[test]
fn the_description_shown_above_the_article_is_its_standfirst() {
    let paragraph = "<p>Le conseil municipal a voté mardi soir un budget en hausse, après un long \
                     débat sur la rénovation des écoles de la ville et de leurs cantines.</p>";
    let page = format!(
        "<html><head><meta property='og:description' content='Wärmepumpen boomen - auch weil \
         das Heizen mit Gas und Öl teuer geworden ist. Aber viele Deutsche können von Gas und Öl \
         nicht lassen, sagt der Verband.'></head><body>\
         <header><h1>Le budget</h1><div class='header__abstract'> Wärmepumpen   boomen - auch \
         weil das <b>Heizen</b> mit Gas und Öl teuer geworden ist. Aber viele Deutsche können \
         von Gas und Öl nicht lassen, sagt der Verband. </div></header>\
         <article>{}</article></body></html>",
        paragraph.repeat(4)
    );
    let article = Article::from_html(page.as_bytes(), "t.html", None, None).expect("an article");
    assert_eq!(
        article.lead.as_deref(),
        Some(
            "Wärmepumpen boomen - auch weil das Heizen mit Gas und Öl teuer geworden ist. \
             Aber viele Deutsche können von Gas und Öl nicht lassen, sagt der Verband."
        )
    );
}

fn headings(blocks: &[(BlockKind, String)]) -> usize {
    blocks
        .iter()
        .filter(|(k, _)| *k == BlockKind::Heading)
        .count()
}

#[test]
fn an_article_written_as_sections_comes_out_whole() {
    // Six sections of a heading and paragraphs, one much longer: it alone scores best, and the
    // others are its cousins, not its siblings.
    let section = |k: usize, words: usize| {
        format!(
            "<div class='section'><h2>Partie {k}</h2><div class='inner-{k}'><p>{}</p><p>{}</p>\
             </div></div>",
            "Le conseil municipal a voté un budget, après un débat, sur les écoles. ".repeat(words),
            "La rénovation des cantines commencera au printemps, selon le maire. ".repeat(words),
        )
    };
    let sections: String = (1..=6)
        .map(|k| section(k, if k == 3 { 6 } else { 1 }))
        .collect();
    let page = format!(
        "<html><body><div class='x1'>{sections}</div><div class='widget'><ul>\
         <li><a href='/a'>Un autre article du site</a></li><li><a href='/b'>Encore un</a></li>\
         <li><a href='/c'>Et un troisième</a></li></ul></div></body></html>"
    );
    let blocks = body(&page).expect("an article");
    assert_eq!(headings(&blocks), 6, "{blocks:?}");
}

#[test]
fn a_stream_of_teasers_does_not_outscore_the_article() {
    let teaser = |k: usize| {
        format!(
            "<li><h3><a href='/story-{k}'>Another story that the site would like you to read next, number {k}</a></h3>\
             <p>A summary of that other story, with a comma, another comma, and more words to make \
             it long enough to count as a paragraph of prose on its own.</p></li>"
        )
    };
    let stream: String = (1..=8).map(teaser).collect();
    let page = format!(
        "<html><body><div id='x9'><p>The council voted on Tuesday to raise the budget by three \
         percent, after a debate that lasted most of the evening.</p><p>The mayor said the money \
         would go to schools, roads and the public library, which has been closed since May.</p>\
         </div><div id='more'><ul>{stream}</ul></div></body></html>"
    );
    let blocks = body(&page).expect("an article");
    assert!(
        blocks
            .iter()
            .all(|(_, t)| !t.contains("Another story") && !t.contains("A summary")),
        "{blocks:?}"
    );
    assert!(blocks
        .iter()
        .any(|(_, t)| t.starts_with("The council voted")));
}

#[test]
fn an_article_nested_deep_by_a_page_builder_comes_out_whole() {
    // Each section wrapped five deep in containers of its own (classes unique to each, as page
    // builders write them): the sections meet five levels above the best one.
    let section = |k: usize, repeats: usize| {
        let open: String = (1..=5)
            .map(|d| format!("<div class='el-{k}-{d}'>"))
            .collect();
        format!(
            "{open}<h2>Partie {k}</h2><p>{}</p><p>{}</p>{}",
            "Le conseil municipal a voté un budget, après un débat, sur les écoles. "
                .repeat(repeats),
            "La rénovation des cantines commencera au printemps, selon le maire. ".repeat(repeats),
            "</div>".repeat(5)
        )
    };
    let sections: String = (1..=6)
        .map(|k| section(k, if k == 3 { 6 } else { 1 }))
        .collect();
    let page = format!("<html><body><div class='post'>{sections}</div></body></html>");
    let blocks = body(&page).expect("an article");
    assert_eq!(headings(&blocks), 6, "{blocks:?}");
}

#[test]
fn a_double_encoded_page_and_scraped_text_come_out_mended() {
    // What a site that encodes UTF-8 twice serves: "’" as "â€™", "é" as "Ã©", "à" as "Ã" and
    // a non-breaking space.
    let page = "<html><head><meta charset='utf-8'><title>Lâ€™Ã©tÃ© Ã\u{a0} Paris</title></head>\
        <body><article><h1>Lâ€™Ã©tÃ© Ã\u{a0} Paris</h1>\
        <p>La ville a connu lâ€™Ã©tÃ© le plus chaud de son histoire, selon MÃ©tÃ©o-France.</p>\
        <p>Les parcs sont restÃ©s ouverts la nuit pour que les habitants puissent dormir au frais.</p>\
        </article></body></html>";
    let article = Article::from_html(page.as_bytes(), "test.html", None, None).expect("article");
    assert_eq!(article.title.as_deref(), Some("L’été à Paris"));
    assert!(article
        .text()
        .contains("l’été le plus chaud de son histoire, selon Météo-France."));
    let text =
        "Lâ€™Ã©tÃ© Ã\u{a0} Paris\n\nLa ville a connu lâ€™Ã©tÃ© le plus chaud de son histoire.\n\n\
        Les parcs sont restÃ©s ouverts la nuit.\n";
    let article = Article::from_text(text, "test.txt").expect("article");
    assert_eq!(article.title.as_deref(), Some("L’été à Paris"));
    assert!(article
        .text()
        .contains("Les parcs sont restés ouverts la nuit."));
}

#[test]
fn a_story_whose_class_names_say_furniture_is_read_again_without_them() {
    // The story sits in two `content-nav-section`s ("nav": furniture by name) under different
    // parents, neither holding half of the page's long paragraphs: by names alone nothing is
    // left, so the page is read again without them (the footer stays out: it is one by tag).
    let sentence = "Le conseil municipal a adopté mardi un budget en hausse de cinq pour cent, \
        consacré surtout aux écoles et aux transports. ";
    let section = |n: usize| -> String {
        (0..2)
            .map(|k| format!("<p>Partie {}. {}</p>", 2 * n + k + 1, sentence.repeat(2)))
            .collect()
    };
    let page = format!(
        "<html><body><h1>Le budget est voté</h1><div class='wrap'>\
         <div class='content-nav-section'>{}</div></div>\
         <div class='content-nav-section'>{}</div><footer><p>{}</p></footer></body></html>",
        section(0),
        section(1),
        sentence.repeat(3)
    );
    let blocks = body(&page).expect("the story");
    let parts: Vec<&str> = blocks.iter().map(|(_, t)| &t[..9]).collect();
    assert_eq!(parts, ["Partie 1.", "Partie 2.", "Partie 3.", "Partie 4."]);
}
