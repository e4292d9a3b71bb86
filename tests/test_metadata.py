"""What a page says about itself (issue 3): title, subtitle, dates with their provenance,
author, column, source, language. One rule per test, on small inline pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal_archive import extract
from portal_archive._dates import find_date, find_labelled_date, labelled_dates, url_date
from portal_archive.extract import parse_article
from portal_archive.models import Article, Page

FETCHED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
BODY = "<p>" + "The provincial government announced a new plan for rural roads. " * 4 + "</p>"
BODY_ZH = "<p>" + "四川省人民政府办公厅关于印发农村公路建设实施方案的通知。" * 4 + "</p>"


def page(head: str = "", body: str = "", *, text: str = BODY, lang: str = "en") -> str:
    return (
        f'<html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
        f"<body>{body}<div class='content'>{text}</div></body></html>"
    )


def run(html: str, url: str | None = "https://example.org/news/item.html") -> Article:
    return extract(html.encode("utf-8"), url, fetched_at=FETCHED)


# -- dates: each layer and its provenance -----------------------------------------------------


def test_jsonld_date_published_inside_graph() -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebSite", "name": "Example"},'
        '{"@type": "NewsArticle", "headline": "Roads",'
        '"datePublished": "2024-05-01T09:30:00+08:00",'
        '"dateModified": "2024-05-03T10:00:00+08:00"}]}</script>'
    )
    article = run(page(ld, "<h1>Roads</h1>"))
    assert article.published == date(2024, 5, 1)
    assert article.published_source == "json-ld:datePublished"
    assert article.published_raw == "2024-05-01T09:30:00+08:00"
    assert article.updated == date(2024, 5, 3)
    assert article.updated_source == "json-ld:dateModified"


def test_jsonld_list_in_cdata_and_article_before_other_objects() -> None:
    ld = (
        '<script type="application/ld+json"><![CDATA[ [{"@type": "VideoObject", '
        '"datePublished": "2021-01-01"}, {"@type": "Article", "datePublished": "2024-06-02"}]'
        " ]]></script>"
    )
    article = run(page(ld, "<h1>Roads</h1>"))
    assert (article.published, article.published_source) == (
        date(2024, 6, 2),
        "json-ld:datePublished",
    )


def test_broken_jsonld_is_skipped() -> None:
    ld = '<script type="application/ld+json">{"datePublished": "2024-06-02",</script>'
    article = run(page(ld, "<h1>Roads</h1>"))
    assert article.published is None and article.published_source is None


def test_government_cms_meta_dates() -> None:
    head = (
        '<meta name="PubDate" content="2017-04-22 11:45">'
        '<meta name="lastmodifiedtime" content="2017-04-23 08:00:00">'
    )
    article = run(page(head, "<h1>Roads</h1>"))
    assert (article.published, article.published_source, article.published_raw) == (
        date(2017, 4, 22),
        "meta:PubDate",
        "2017-04-22 11:45",
    )
    assert (article.updated, article.updated_source) == (
        date(2017, 4, 23),
        "meta:lastmodifiedtime",
    )


def test_opengraph_article_meta() -> None:
    head = '<meta property="article:published_time" content="2023-11-09T05:30:59+00:00">'
    article = run(page(head, "<h1>Roads</h1>"))
    assert article.published == date(2023, 11, 9)
    assert article.published_source == "meta:article:published_time"


def test_microdata_on_a_visible_element() -> None:
    body = '<h1>Roads</h1><abbr itemprop="datePublished" title="2018-06-05T08:00:00">June</abbr>'
    article = run(page("", body))
    assert (article.published, article.published_source) == (
        date(2018, 6, 5),
        "itemprop:datePublished",
    )


def test_visible_label_beats_a_cms_pubdate_that_disagrees() -> None:
    head = '<meta name="PubDate" content="2024-09-30 00:00">'  # the page's regeneration time
    body = "<h1>农村公路建设实施方案</h1><div>发布时间：2024-05-01 10:49 来源：省交通厅</div>"
    article = run(page(head, body, text=BODY_ZH, lang="zh-CN"))
    assert article.published == date(2024, 5, 1)
    assert article.published_source == "label:发布时间"
    assert article.published_raw == "发布时间：2024-05-01 10:49 来源：省交通厅"


def test_cms_pubdate_that_agrees_with_the_label_keeps_the_meta_provenance() -> None:
    head = '<meta name="PubDate" content="2024-05-01 10:49">'
    body = "<h1>农村公路建设实施方案</h1><div>发布时间：2024-05-01</div>"
    article = run(page(head, body, text=BODY_ZH, lang="zh-CN"))
    assert (article.published, article.published_source) == (date(2024, 5, 1), "meta:PubDate")


def test_time_datetime_near_the_article_not_in_related_lists() -> None:
    body = (
        "<ul class='related'><li><a href='/a'>Older story</a> "
        "<time datetime='2019-01-01'>1 Jan</time></li></ul>"
        "<h1>Roads</h1><p><time datetime='2022-01-21T16:30:34+01:00'>21.01.2022</time></p>"
    )
    article = run(page("", body))
    assert (article.published, article.published_source, article.published_raw) == (
        date(2022, 1, 21),
        "time:datetime",
        "2022-01-21T16:30:34+01:00",
    )


def test_unlabelled_date_line_next_to_the_title() -> None:
    # Xinhua's <span class="h-time"> 2020-02-19 20:29:58</span>: found by position.
    body = (
        "<div class='nav'><a href='/'>首页</a></div><h1>武汉的声音</h1>"
        "<div><span class='x-time'> 2020-02-19 20:29:58</span></div>"
    )
    article = run(page("", body, text=BODY_ZH, lang="zh-CN"))
    assert (article.published, article.published_source, article.published_raw) == (
        date(2020, 2, 19),
        "line",
        "2020-02-19 20:29:58",
    )


def test_english_month_name_on_a_byline() -> None:
    body = "<h1>Roads</h1><div>By Jane Doe | Published January 6, 2025 at 5:00 p.m.</div>"
    article = run(page("", body))
    assert (article.published, article.published_source) == (
        date(2025, 1, 6),
        "label:Published",
    )
    assert article.author == "Jane Doe"


def test_date_in_running_body_text_is_never_read() -> None:
    text = (
        "<p>On 2024-05-01 the provincial government announced a new plan for rural roads, "
        "and on January 6, 2025 it opened the first section to traffic in Chengdu.</p>"
    )
    article = run(page("", "<h1>Roads</h1>", text=text), url="https://example.org/news/a.html")
    assert article.published is None and article.updated is None
    assert article.published_source is None and article.published_raw is None


def test_date_in_the_url_is_the_last_resort() -> None:
    url = "http://www.xinhuanet.com/politics/2020-02/19/c_1125597921.htm"
    article = run(page("", "<h1>Roads</h1>"), url=url)
    assert (article.published, article.published_source, article.published_raw) == (
        date(2020, 2, 19),
        "url",
        "/2020-02/19",
    )
    with_meta = run(page('<meta name="PubDate" content="2020-02-18">', "<h1>Roads</h1>"), url)
    assert with_meta.published_source == "meta:PubDate"


def test_no_date_after_the_fetch_time() -> None:
    head = '<meta name="PubDate" content="2025-03-05 09:00">'  # four days after FETCHED
    article = run(page(head, "<h1>Roads</h1><div>Date: 2025-02-27</div>"))
    assert (article.published, article.published_source) == (date(2025, 2, 27), "label:Date")
    # The fetch day itself is fine in any time zone: UTC+8 is already on 2 March at 08:00 UTC.
    same_day = run(page('<meta name="PubDate" content="2025-03-01 16:00">', "<h1>Roads</h1>"))
    assert same_day.published == date(2025, 3, 1)


def test_extract_without_fetched_at_uses_the_current_time() -> None:
    html = page('<meta name="PubDate" content="2099-01-01">', "<h1>Roads</h1>")
    assert extract(html.encode(), "https://example.org/a.html").published is None


def test_parse_article_passes_the_fetch_time_of_the_page() -> None:
    html = page('<meta name="PubDate" content="2024-06-01">', "<h1>Roads</h1>").encode()

    def fetched(at: datetime) -> Article:
        url = "https://example.org/a.html"
        return parse_article(
            Page(
                url=url,
                fetch_url=url,
                final_url=url,
                status=200,
                headers=(),
                body=html,
                fetched_at=at,
            )
        )

    assert fetched(datetime(2024, 7, 1, tzinfo=UTC)).published == date(2024, 6, 1)
    assert fetched(datetime(2024, 5, 1, tzinfo=UTC)).published is None


def test_strong_label_beats_a_written_date() -> None:
    body = (
        "<h1>关于印发实施方案的通知</h1><table><tr><td>成文日期：</td><td>2016年05月06日</td></tr>"
        "<tr><td>发布日期：</td><td>2016年05月10日</td></tr></table>"
    )
    article = run(page("", body, text=BODY_ZH, lang="zh-CN"))
    assert (article.published, article.published_source) == (
        date(2016, 5, 10),
        "label:发布日期",
    )


@pytest.mark.parametrize(
    ("line", "kind", "day"),
    [
        ("Updated:2025.01.06", "updated", date(2025, 1, 6)),
        ("Updated: 2025-01-06", "updated", date(2025, 1, 6)),
        ("Release time: 2024-05-01", "published", date(2024, 5, 1)),
        ("Date: 2025-01-06", "published", date(2025, 1, 6)),
        ("发布时间：2017年04月22日 11时45分", "published", date(2017, 4, 22)),
        ("发布日期：2025-01-06", "published", date(2025, 1, 6)),
        ("时间：2025-01-06 10:49:00", "published", date(2025, 1, 6)),
        ("日期：2025.01.06", "published", date(2025, 1, 6)),
        ("成文日期：2016年05月06日", "published", date(2016, 5, 6)),
        ("2017年04月22日 11时45分", "published", date(2017, 4, 22)),
        ("2025.01.06", "published", date(2025, 1, 6)),
        ("2025-01-06 10:49:00", "published", date(2025, 1, 6)),
        ("来源：新华社 发布时间：2024-05-01", "published", date(2024, 5, 1)),
        ("Posted on January 6, 2025", "published", date(2025, 1, 6)),
        ("Last updated 6 Jan 2025", "updated", date(2025, 1, 6)),
        ("Updated 3:45 PM ET, Mon November 6, 2023", "updated", date(2023, 11, 6)),
        ("Stand 27.01.2022", "updated", date(2022, 1, 27)),
    ],
)
def test_the_labels_of_issue_3(line: str, kind: str, day: date) -> None:
    assert find_labelled_date(line) == (kind, day)


@pytest.mark.parametrize(
    "line",
    [
        "On December 26, 2024 the conference opened in Chengdu.",
        "The date of the meeting: it was moved from 2024-05-01 to a later day in June.",
        "November 21, 2017",  # a notice's closing date line is document text, kept in the body
        "Visit us at 12:30 on the square",
    ],
)
def test_lines_that_give_no_date(line: str) -> None:
    assert find_labelled_date(line) is None


def test_labelled_dates_keep_the_label_and_raw_string() -> None:
    [published, updated] = labelled_dates("发布时间：2024-05-01 更新时间：2024-05-03")
    assert (published.kind, published.label, published.raw) == (
        "published",
        "发布时间",
        "2024-05-01",
    )
    assert (updated.kind, updated.label, updated.value) == ("updated", "更新时间", date(2024, 5, 3))


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("January 6, 2025", date(2025, 1, 6)),
        ("Jan. 6th, 2025", date(2025, 1, 6)),
        ("6 Jan 2025", date(2025, 1, 6)),
        ("31. März 2003", date(2003, 3, 31)),
        ("21.01.2022", date(2022, 1, 21)),
        ("Mayor 6 2025", None),
        ("02/03/2025", None),  # day-first or month-first: not read
    ],
)
def test_find_date_month_names_and_day_first(text: str, day: date | None) -> None:
    found = find_date(text)
    assert (found[0] if found else None) == day


@pytest.mark.parametrize(
    ("path", "day"),
    [
        ("/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml", date(2025, 1, 6)),
        ("/politics/2020-02/19/c_1125597921.htm", date(2020, 2, 19)),
        ("/art/2021/3/4/art_1_2.html", date(2021, 3, 4)),
        ("/xxgk/202501/t20250106_123.html", date(2025, 1, 6)),
        ("/zhengce/content/202501/content_7000000.htm", None),  # no day: not guessed
        ("/10462/10758/index.shtml", None),
    ],
)
def test_url_dates(path: str, day: date | None) -> None:
    found = url_date(path)
    assert (found[0] if found else None) == day


# -- title and subtitle -----------------------------------------------------------------------


def test_title_skips_a_site_name_h1_that_links_home() -> None:
    head = '<meta property="og:title" content="Rural roads plan approved - Example News">'
    body = "<h1><a href='/'>Example News</a></h1><h2>Rural roads plan approved</h2>"
    assert run(page(head, body)).title == "Rural roads plan approved"


def test_title_is_the_visible_h1_not_the_declared_spelling() -> None:
    head = "<meta property='og:title' content='Korsetts - Shops, Designer, online kaufen'>"
    body = "<h1>Korsetts – Shops, Designer, online kaufen</h1>"
    assert run(page(head, body)).title == "Korsetts – Shops, Designer, online kaufen"


def test_title_without_a_heading_drops_the_site_name() -> None:
    head = (
        "<title>Rural roads plan approved | Example News</title>"
        "<meta property='og:site_name' content='Example News'>"
    )
    assert run(page(head, "")).title == "Rural roads plan approved"


def test_title_keeps_a_dash_that_is_part_of_it() -> None:
    head = "<title>Part 49 – Büssing-NAG (1931 – 1945) - Fahrzeuge</title>"
    body = "<h1>Part 49 – Büssing-NAG (1931 – 1945)</h1>"
    assert run(page(head, body)).title == "Part 49 – Büssing-NAG (1931 – 1945)"


def test_title_ignores_a_date_inside_the_h1() -> None:
    body = (
        "<h1><span><time datetime='2022-02-01'>1. Februar 2022</time></span>"
        " Raab trifft Länder</h1>"
    )
    assert run(page("", body)).title == "Raab trifft Länder"


def test_title_drops_the_kicker_printed_above_the_headline() -> None:
    head = "<meta property='og:title' content='Klimaschutz: Bohren, bis es heiß wird'>"
    body = (
        "<h1><span class='kicker'>Klimaschutz</span><span class='visually-hidden'>: </span>"
        "<span class='title'>Bohren, bis es heiß wird</span></h1>"
    )
    assert run(page(head, body)).title == "Bohren, bis es heiß wird"


def test_title_keeps_a_styled_first_word_that_the_page_declares_as_one_phrase() -> None:
    head = "<title>Ehezoff der Pochers eskaliert</title>"
    body = "<h1><span class='mc'>Ehezoff</span> der Pochers eskaliert</h1>"
    assert run(page(head, body)).title == "Ehezoff der Pochers eskaliert"


def test_title_is_the_part_of_the_h1_the_page_declares_without_its_deck() -> None:
    head = "<meta property='og:title' content='Dezuka Suisan: Fish Cakes, Hot and Fresh'>"
    body = (
        "<h1><span>Dezuka Suisan: Fish Cakes, Hot <span>and</span> Fresh</span>"
        "<small>Welcome to the Flavor Capital of Northern Japan</small></h1>"
    )
    assert run(page(head, body)).title == "Dezuka Suisan: Fish Cakes, Hot and Fresh"


def test_title_leaves_out_a_byline_the_h1_holds_below_a_line_break() -> None:
    # Nikkei: the page declares the headline with a photo credit and the site's name, and
    # the <h1> holds the writer's name on a line of its own.
    headline = "米朝首脳直通電話　習氏に挑むトランプ戦術の成否"
    head = (
        f"<title>{headline} （写真＝ロイター） ：日本経済新聞</title>"
        f"<meta property='og:title' content='{headline}（写真＝ロイター）'>"
    )
    body = (
        "<h1><span>米朝首脳直通電話　習氏に挑むトランプ戦術の成否</span><span></span><br/>"
        "<span>編集委員　中沢克二</span></h1>"
    )
    assert run(page(head, body)).title == headline


def test_title_joins_inline_markup_as_written() -> None:
    body = "<h1>Frauen im <abbr title='Technisches Hilfswerk'>THW</abbr>: Zukunft</h1>"
    assert run(page("", body)).title == "Frauen im THW: Zukunft"


def test_title_drops_a_site_name_that_has_a_separator_in_it() -> None:
    head = (
        "<title>Pour le néolibéralisme, la retraite est un archaïsme | AOC media - Analyse"
        " Opinion Critique</title>"
        "<meta property='og:site_name' content='AOC media - Analyse Opinion Critique'>"
    )
    assert run(page(head, "")).title == "Pour le néolibéralisme, la retraite est un archaïsme"


def test_title_drops_a_part_named_after_the_host() -> None:
    head = (
        "<title>Roads plan | Examplenews Online, the Portal for Everyone</title>"
        "<link rel='canonical' href='https://www.examplenews.org/2025/roads.html'>"
    )
    assert run(page(head, "")).title == "Roads plan"


def test_title_drops_a_last_part_that_holds_the_host_name_after_other_words() -> None:
    head = (
        "<title>Europas Topathleten fit für München 2022"
        " - European Championships Munich 2022</title>"
    )
    url = "https://www.munich2022.com/de/news/europas-topathleten"
    assert run(page(head, ""), url).title == "Europas Topathleten fit für München 2022"


def test_title_is_the_h1_the_breadcrumb_names_not_a_part_of_og_title() -> None:
    # og:title is the campaign's ("Christmas Gift Guide | Journelles | …"); the JSON-LD
    # breadcrumb ends with the page itself, which is the <h1>.
    crumbs = (
        '{"@type": "BreadcrumbList", "itemListElement": ['
        '{"@type": "ListItem", "position": 1, "name": "Startseite"},'
        '{"@type": "ListItem", "position": 2, "name": "Mein cosy Home Gift Guide"}]}'
    )
    head = (
        "<title>Christmas Gift Guide | Journelles | Jetzt entdecken!</title>"
        "<meta property='og:title' content='Christmas Gift Guide | Journelles | Jetzt entdecken!'>"
        f"<script type='application/ld+json'>{crumbs}</script>"
    )
    body = (
        "<h1>Mein cosy Home Gift Guide</h1><h1>Unser Newsletter!</h1><h2>Christmas Gift Guide</h2>"
    )
    assert run(page(head, body)).title == "Mein cosy Home Gift Guide"


def test_title_drops_the_date_printed_before_the_headline() -> None:
    head = "<title>23.01.2022 - Wierer darf beim Abschluss noch jubeln - Biathlon Antholz</title>"
    body = "<h1>23.01.2022 - Wierer darf beim Abschluss noch jubeln</h1>"
    assert run(page(head, body)).title == "Wierer darf beim Abschluss noch jubeln"


def test_title_after_a_logo_heading_and_a_blog_path() -> None:
    head = "<title>Four Years Remaining » Blog Archive » Interning of Small Integers</title>"
    body = (
        "<h1><a href='https://fouryears.eu'>Four Years Remaining</a></h1>"
        "<h2><a href='/2019/10/21/interning/'>Interning of Small Integers</a></h2>"
    )
    assert run(page(head, body)).title == "Interning of Small Integers"


def test_title_before_the_site_name_and_its_motto() -> None:
    head = "<title>Das Musikvideo der Welt : Krimiblog | Ermittlungen eines Genres | 2005</title>"
    body = "<h1 class='vcard'><a href='/' title='Home'>Krimiblog</a></h1>"
    assert run(page(head, body)).title == "Das Musikvideo der Welt"


def test_title_in_a_link_to_the_page_itself_is_no_logo() -> None:
    # og:title cut short by the CMS; the heading links to "#", not to the front page.
    head = (
        "<title>Rural roads plan approved</title>"
        "<meta property='og:title' content='Rural roads plan'>"
    )
    body = "<h2><a href='#'>Rural roads plan approved</a></h2>"
    assert run(page(head, body)).title == "Rural roads plan approved"


def test_logo_linking_home_in_a_web_archive_copy() -> None:
    head = "<title>Rural roads plan approved | ExampleBlog</title>"
    body = (
        "<h1><a href='https://web.archive.org/web/2008/http://www.example.de/'>ExampleBlog</a></h1>"
    )
    assert run(page(head, body)).title == "Rural roads plan approved"


def test_title_drops_a_site_name_glued_to_it() -> None:
    head = "<title>Truckwash A31Example Branchenbuch | Example Branchenbuch</title>"
    body = "<h1><a href='/' rel='home'>Example Branchenbuch</a></h1>"
    assert run(page(head, body)).title == "Truckwash A31"


def test_title_is_the_h1_that_is_one_part_of_the_declared_title() -> None:
    # The site name is too long to be told apart, and menus have h1s of their own.
    head = "<title>Nord findet seine Meister - Berliner Leichtathletik-Verband e.V.</title>"
    body = (
        "<h1>Quicklink</h1><ul><li><a href='/a'>A</a></li></ul><h1>Nord findet seine Meister</h1>"
    )
    assert run(page(head, body)).title == "Nord findet seine Meister"


def test_an_application_name_that_is_the_headline_names_no_site() -> None:
    head = (
        "<meta property='og:title' content='Rural roads plan approved'>"
        "<meta name='application-name' content='Rural roads plan approved'>"
    )
    body = "<h1><a href='/en'>Example News</a></h1><h1>Rural roads plan approved</h1>"
    assert run(page(head, body)).title == "Rural roads plan approved"


def test_title_is_the_h2_that_starts_the_declared_title_not_the_section_h1() -> None:
    head = (
        "<title>Example | Kultur | Literatur | 30.11. | Buch der Woche - Hannah Jones</title>"
        "<meta property='og:title' content='30.11. | Buch der Woche - Hannah Jones'>"
    )
    body = "<h1>Literatur</h1><h2>30.11. | Buch der Woche</h2>"
    assert run(page(head, body)).title == "30.11. | Buch der Woche"


def test_title_without_the_permalink_pilcrow() -> None:
    body = "<h1>Shared Mutable History<a class='headerlink' href='#shared'>¶</a></h1>"
    assert run(page("", body)).title == "Shared Mutable History"


def test_subtitle_is_the_heading_right_below_the_title() -> None:
    body = "<h1>Rural roads plan approved</h1><h2>Ten thousand kilometres by 2027</h2>"
    assert run(page("", body)).subtitle == "Ten thousand kilometres by 2027"


def test_subtitle_from_a_label() -> None:
    body = "<h1>农村公路建设实施方案</h1><p>副标题：到2027年新改建农村公路一万公里</p>"
    assert run(page("", body, text=BODY_ZH, lang="zh")).subtitle == "到2027年新改建农村公路一万公里"


def test_no_subtitle_when_nothing_marks_one() -> None:
    body = "<h1>Rural roads plan approved</h1><p>Short lead.</p><h2>Related news</h2>"
    assert run(page("", body)).subtitle is None


# -- author, source, column, language --------------------------------------------------------


def test_author_from_meta() -> None:
    assert run(page('<meta name="author" content="Li Wei">', "<h1>Roads</h1>")).author == "Li Wei"


def test_author_from_jsonld_list() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "author": '
        '[{"@type": "Person", "name": "Josh Dawsey"},'
        ' {"@type": "Person", "name": "Seung Min Kim"}]}'
        "</script>"
    )
    assert run(page(ld, "<h1>Roads</h1>")).author == "Josh Dawsey, Seung Min Kim"


def test_author_from_a_chinese_label() -> None:
    body = "<h1>农村公路建设实施方案</h1><div>来源：四川日报 作者：张三 时间：2024-05-01</div>"
    article = run(page("", body, text=BODY_ZH, lang="zh"))
    assert (article.author, article.source) == ("张三", "四川日报")


def test_author_from_a_reporter_credit() -> None:
    body = "<h1>农村公路建设实施方案</h1><div>（记者 李四）</div>"
    assert run(page("", body, text=BODY_ZH, lang="zh")).author == "李四"


def test_no_author_when_none_is_given() -> None:
    assert run(page("", "<h1>Roads</h1>")).author is None


def test_source_from_cms_meta() -> None:
    head = '<meta name="ContentSource" content="四川省交通运输厅">'
    assert run(page(head, "<h1>Roads</h1>")).source == "四川省交通运输厅"


def test_source_on_the_dateline() -> None:
    body = "<h1>武汉的声音</h1><div>2020-02-19 20:29:58 来源：新华网</div>"
    assert run(page("", body, text=BODY_ZH, lang="zh")).source == "新华网"


def test_source_right_after_the_time_of_the_dateline() -> None:
    # gov.cn writes the source in a <span> straight after the time, with no space between.
    body = "<h1>武汉的声音</h1><div>2025-01-06 10:49<span>来源：新华社</span></div>"
    assert run(page("", body, text=BODY_ZH, lang="zh")).source == "新华社"


def test_column_from_cms_meta_then_jsonld_then_breadcrumb() -> None:
    assert (
        run(page('<meta name="ColumnName" content="今日四川">', "<h1>R</h1>")).column == "今日四川"
    )
    ld = (
        '<script type="application/ld+json">'
        '{"@type": "Article", "articleSection": ["Politics"]}</script>'
    )
    assert run(page(ld, "<h1>Roads</h1>")).column == "Politics"
    crumb = "<div class='breadcrumb'><a href='/'>Home</a> &gt; <a href='/news'>News</a></div>"
    assert run(page("", crumb + "<h1>Roads</h1>")).column == "News"


def test_language_from_html_lang_then_og_locale() -> None:
    assert run(page("", "<h1>Roads</h1>", lang="en-GB")).language == "en"
    html = page('<meta property="og:locale" content="zh_CN">', "<h1>Roads</h1>").replace(
        ' lang="en"', ""
    )
    assert run(html).language == "zh"


# -- cost: the caller's walk of the page ----------------------------------------------------


def test_metadata_from_the_callers_page_walk_matches_the_whole_page() -> None:
    from selectolax.lexbor import LexborHTMLParser

    from portal_archive._body import densest_block
    from portal_archive._html import PageText
    from portal_archive._metadata import PageMeta, read_metadata, read_title

    nav = "".join(f"<li><a href='/c{i}'>Column {i}</a></li>" for i in range(80))
    html = page(
        "",
        f"<ul class='nav'>{nav}</ul><div class='breadcrumb'><a href='/'>Home</a> &gt; "
        "<a href='/news'>News</a></div><h1>Roads plan approved</h1>"
        "<div>来源：四川日报 发布时间：2024-05-01 10:00</div><p>By Jane Doe</p>",
        text=BODY * 3 + "<p>Updated: 2024-05-03</p>",
    )
    tree = LexborHTMLParser(html)
    meta = PageMeta(tree)
    title = read_title(tree, meta, url="https://example.org/a.html")
    text = PageText(tree.body)
    body = densest_block(text)
    assert body is not None
    whole = read_metadata(tree, meta, profile=None, title=title, paragraphs=[])
    windowed = read_metadata(
        tree, meta, profile=None, title=title, paragraphs=[], page=text, body=body.block
    )
    assert windowed == whole
    assert (windowed.published, windowed.updated) == (date(2024, 5, 1), date(2024, 5, 3))
    assert (windowed.source, windowed.author, windowed.column) == ("四川日报", "Jane Doe", "News")


_PROSE = "<p>" + "Der Deutsche Schwimm-Verband gibt die neuen Levelpässe heraus. " * 4 + "</p>"


def _sidebar_h1_page(opening: str) -> str:
    return (
        "<html><head><title>Synchronschwimmen - Aktuelles - Synchronschwimmen</title></head>"
        "<body><div class='side'><h1>Quicklinks</h1><ul><li><a href='/a'>Vereinsfinder</a></li>"
        "<li><a href='/b'>Termine</a></li></ul></div>"
        f"<div class='main'>{opening}{_PROSE}{_PROSE}</div></body></html>"
    )


def test_a_weak_h1_outside_the_body_yields_to_the_headline_the_body_opens_with() -> None:
    page = _sidebar_h1_page("<h2>Levelpässe für das Synchronschwimmen ab sofort bestellbar</h2>")
    article = extract(page)
    assert article.title == "Levelpässe für das Synchronschwimmen ab sofort bestellbar"
    assert not any("Levelpässe für das" in p and "bestellbar" in p for p in article.paragraphs)


@pytest.mark.parametrize(
    "opening",
    [
        "<h2>Die Themen im Überblick:</h2>",  # a label, not a headline
        "<h2>17.7.2011</h2>",  # a date
        "<h2>Hauptinhalt der Seite</h2>",  # shares no word with what the page calls itself
    ],
)
def test_the_body_opening_heading_must_look_like_the_pages_headline(opening: str) -> None:
    assert extract(_sidebar_h1_page(opening)).title == "Quicklinks"


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ("", "<h1><a href='//[::1'>Rural roads plan</a></h1>"),  # found by Hypothesis
        ("<meta property='og:url' content='http://[::1/x'>", "<h1>Rural roads plan</h1>"),
        ("<link rel='canonical' href='//[bad'>", "<h1>Rural roads plan</h1>"),
    ],
    ids=["heading-link", "og-url", "canonical"],
)
def test_an_address_urlsplit_refuses_does_not_fail_the_extraction(head: str, body: str) -> None:
    assert run(page(head, body)).title == "Rural roads plan"
