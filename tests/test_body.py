"""The generic body finder on small pages: sections merged, comments and chrome left out,
tables kept as rows, and any nesting depth handled in bounded time."""

from __future__ import annotations

import time

from selectolax.lexbor import LexborHTMLParser

from portal_archive import extract
from portal_archive._body import densest_block
from portal_archive._html import PageText

PARA = (
    "The provincial government announced a new programme for rural roads on Monday, "
    "with funding for {n} counties and a timetable for the work."
)
NAV = (
    "<nav><ul>"
    + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(8))
    + "</ul></nav>"
)
FOOTER = (
    "<footer><p>Hosted by: General Office</p><p>Copyright 2025. All Rights Reserved.</p></footer>"
)


def _paras(prefix: str, count: int) -> str:
    return "".join(f"<p>{prefix} {PARA.format(n=i)}</p>" for i in range(count))


def _page(main: str) -> bytes:
    return (
        "<html><head><title>Rural roads</title></head><body>"
        f"{NAV}<h1>Rural roads programme announced</h1>{main}{FOOTER}</body></html>"
    ).encode()


def test_sibling_sections_are_merged() -> None:
    # Two sections of one article, each in its own container: both belong to the body.
    main = (
        "<div class='wrap'>"
        f"<div class='part-a'>{_paras('First section.', 3)}</div>"
        "<div class='ad'><a href='/x'>Advertisement</a></div>"
        f"<div class='part-b'>{_paras('Second section.', 2)}</div>"
        "</div>"
    )
    article = extract(_page(main))
    assert len(article.paragraphs) == 5
    assert article.paragraphs[0].startswith("First section.")
    assert article.paragraphs[-1].startswith("Second section.")
    assert "Advertisement" not in article.body_text


def test_comment_thread_with_its_form_is_left_out() -> None:
    comments = "".join(
        f"<li><p>Reader {i} wrote a long comment about how roads in the county have been "
        f"in a bad state for years and should be fixed.</p></li>"
        for i in range(2)
    )
    main = (
        "<div class='post'>"
        f"<div class='entry'>{_paras('Body.', 6)}</div>"
        f"<div class='talk'><h3>2 comments</h3><ol>{comments}</ol>"
        "<form><textarea name='c'></textarea><input type='submit' value='Post'></form></div>"
        "</div>"
    )
    article = extract(_page(main))
    assert len(article.paragraphs) == 6
    assert all(p.startswith("Body.") for p in article.paragraphs)
    assert "Reader" not in article.body_text and "comments" not in article.body_text


def test_tables_are_kept_as_rows() -> None:
    main = (
        f"<div class='text'>{_paras('Body.', 2)}"
        "<table><tr><th>County</th><th>Kilometres</th></tr>"
        "<tr><td>Pixian</td><td>120</td></tr><tr><td>Wenjiang</td><td>85</td></tr></table>"
        "</div>"
    )
    article = extract(_page(main))
    assert article.paragraphs[-3:] == (
        "County | Kilometres",
        "Pixian | 120",
        "Wenjiang | 85",
    )


def test_nav_breadcrumb_share_and_related_links_are_not_paragraphs() -> None:
    main = (
        "<div class='article'>"
        "<div class='crumbs'><a href='/'>Home</a> &gt; <a href='/news'>News</a></div>"
        f"{_paras('Body.', 4)}"
        "<div class='tools'>[Print] [Close]</div>"
        "<div class='share'>Share: <a href='/wb'>Weibo</a> <a href='/wx'>WeChat</a></div>"
        "<div class='related'><h4>Related</h4><ul>"
        + "".join(
            f"<li><a href='/r{i}'>Another story about provincial road building {i}</a></li>"
            for i in range(4)
        )
        + "</ul></div></div>"
    )
    article = extract(_page(main))
    assert len(article.paragraphs) == 4
    text = article.body_text
    for chrome in ("Home", "Print", "Close", "Weibo", "Another story", "Section 1", "Hosted by"):
        assert chrome not in text
    assert article.footer_lines == (
        "Hosted by: General Office",
        "Copyright 2025. All Rights Reserved.",
    )


def test_paragraphs_keep_reading_order_across_blocks() -> None:
    main = (
        "<article>"
        + "".join(
            f"<section><h2>Part {i}</h2>{_paras(f'Part {i}.', 2)}</section>" for i in range(3)
        )
        + "</article>"
    )
    article = extract(_page(main))
    order = [p.split(".")[0] for p in article.paragraphs if not p.startswith("Part ") or "." in p]
    assert order == ["Part 0", "Part 0", "Part 1", "Part 1", "Part 2", "Part 2"]


def test_block_lines_are_slices_of_the_one_walk() -> None:
    tree = LexborHTMLParser(_page(f"<div id='x'>{_paras('Body.', 2)}</div>").decode())
    assert tree.body is not None
    page = PageText(tree.body)
    node = tree.css_first("#x")
    assert node is not None
    # lines_of falls back to a fresh walk for a node it never met: it must have met this one.
    assert page.block_of(node) is not None
    assert [line.text for line in page.lines_of(node)] == [
        line.text for line in PageText(node).lines()
    ]
    body = densest_block(page)
    assert body is not None and body.block.node.mem_id == node.mem_id


def test_ten_thousand_deep_nesting_returns_in_bounded_time() -> None:
    html = "<div>" * 10_000 + PARA.format(n=3) + "</div>" * 10_000
    start = time.perf_counter()
    article = extract(html.encode())
    assert time.perf_counter() - start < 10
    assert article.paragraphs == (PARA.format(n=3),)


def test_short_article_beside_a_longer_notice_is_the_body() -> None:
    # The densest text on the page is a cookie notice, far below the title; the article
    # right under the title is short, but it is what the page is about.
    notice = "".join(
        f"<p>We and our {i} partners store and access information on your device, such as "
        "cookies, and process personal data for personalised ads and content measurement.</p>"
        for i in range(6)
    )
    menu = "".join(f"<li><a href='/m{i}'>Menu entry {i}</a></li>" for i in range(40))
    more = "".join(f"<li><a href='/s{i}'>Another story {i}</a></li>" for i in range(30))
    html = (
        f"<html><body><ul>{menu}</ul><div class='main'><h1>Bridge reopens</h1>"
        f"<div class='text'>{_paras('Short.', 3)}</div></div><ul>{more}</ul>"
        f"<div class='consent'>{notice}</div>{FOOTER}</body></html>"
    )
    article = extract(html.encode())
    assert article.title == "Bridge reopens"
    assert len(article.paragraphs) == 3
    assert all(p.startswith("Short.") for p in article.paragraphs)


def test_nav_aside_and_footer_elements_are_never_the_body_nor_in_it() -> None:
    sidebar = "".join(
        f"<p>Teaser {i}: a long summary of another story that runs on for a while so that "
        "the sidebar holds more text than the article itself does.</p>"
        for i in range(8)
    )
    main = (
        "<article>"
        f"{_paras('Body.', 3)}"
        "<aside><p>Pull quote: the roads will be finished by the end of the year, "
        "the minister said.</p></aside>"
        "<footer><p>About the author: a reporter who has covered transport for ten "
        "years.</p></footer>"
        "</article>"
        f"<aside class='column'>{sidebar}</aside>"
    )
    article = extract(_page(main))
    assert len(article.paragraphs) == 3
    assert all(p.startswith("Body.") for p in article.paragraphs)


def test_pictures_captions_and_credits_are_not_paragraphs() -> None:
    main = (
        "<div class='story'>"
        f"{_paras('Body.', 2)}"
        "<figure><img src='/a.jpg'><figcaption>The new bridge at dawn</figcaption></figure>"
        "<div class='image'><img src='/b.jpg' width='304'><p>Workers on the site in June."
        "</p></div>"
        "<p>© Provincial Press Office | Jane Doe</p>"
        "<div class='gallery'>"
        + "".join(
            f"<div><img src='/g{i}.jpg'><em>Picture {i} © Agency</em></div>" for i in range(3)
        )
        + "</div>"
        f"{_paras('More.', 2)}"
        "</div>"
    )
    article = extract(_page(main), "https://www.example.gov.cn/news/1.html")
    assert [p.split(" ")[0] for p in article.paragraphs] == ["Body.", "Body.", "More.", "More."]
    assert [image.caption for image in article.images][:1] == ["The new bridge at dawn"]


def test_steps_each_with_its_picture_are_the_article_not_captions() -> None:
    # A recipe or a photo story: every step is a picture with a short text, and the steps
    # hold all of the text. Dropped one by one as captions, nothing would be left.
    main = (
        "<div class='steps'>"
        + "".join(
            f"<div><img src='/s{i}.jpg'><p>Step {i}. {PARA.format(n=i)}</p></div>" for i in range(6)
        )
        + "</div>"
    )
    article = extract(_page(main))
    assert len(article.paragraphs) == 6
    assert all(p.startswith("Step") for p in article.paragraphs)


def test_the_heading_of_a_link_list_goes_with_the_list() -> None:
    main = (
        "<div class='story'>"
        f"{_paras('Body.', 4)}"
        "<h3>Read more</h3><ul>"
        + "".join(f"<li><a href='/r{i}'>Another story about roads {i}</a></li>" for i in range(4))
        + "</ul></div>"
    )
    article = extract(_page(main))
    assert len(article.paragraphs) == 4
    assert "Read more" not in article.body_text


def test_a_dateline_goes_but_the_documents_signature_date_stays() -> None:
    text = "各单位：现将有关事项通知如下，请认真贯彻执行，确保各项工作落到实处。" * 2
    html = (
        "<html><body><h1>关于示例事项的通知</h1><div>"
        "<p>2024年3月10日</p>"
        f"<p>{text}</p><p>{text}</p>"
        "<p>四川省人民政府办公厅</p><p>2024年3月12日</p>"
        "<p>发布时间：2024-03-15</p>"
        "</div></body></html>"
    )
    paragraphs = extract(html.encode(), "https://example.org/a.html").paragraphs
    assert paragraphs[0] == text
    assert paragraphs[-2:] == ("四川省人民政府办公厅", "2024年3月12日")
    assert "2024年3月10日" not in paragraphs and "发布时间：2024-03-15" not in paragraphs


def test_a_stub_page_without_any_block_of_text_still_gives_its_text_and_metadata() -> None:
    html = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Ship name poll", "datePublished": "2016-04-17"}</script></head>'
        "<body>This is just an example!</body></html>"
    )
    article = extract(html.encode(), "https://example.org/poll.html")
    assert article.paragraphs == ("This is just an example!",)
    assert article.published is not None and article.published.isoformat() == "2016-04-17"


def test_a_block_holding_the_title_is_the_article_even_with_a_comment_form() -> None:
    # The article's own container also holds its comment form, and a sidebar outweighs the
    # short article: the container is no "form" to drop, only the form inside it goes.
    sidebar = "<aside>" + _paras("Sidebar teaser.", 4) + "</aside>"
    main = (
        "<div class='outer'><div class='content'>"
        "<h2>Pleiades, M45</h2>"
        f"<p>Sharp stars and blue nebulae. {PARA.format(n=1)}</p>"
        "<form><label>Comment</label><textarea></textarea><input name='mail'></form>"
        "</div>"
        f"<div class='more'>{_paras('Book tip.', 3)}</div>{sidebar}</div>"
    )
    page = (
        f"<html><head><title>Pleiades, M45</title></head><body>{NAV}{main}{FOOTER}</body></html>"
    ).encode()
    article = extract(page)
    assert article.title == "Pleiades, M45"
    assert article.paragraphs[0].startswith("Sharp stars and blue nebulae.")
    assert "Comment" not in article.paragraphs


def test_a_thread_of_reply_forms_outweighing_the_article_is_not_the_body() -> None:
    # Every comment carries its own reply form: the thread is the densest block, and all
    # of it is chrome. The body is found again without it.
    comments = "".join(
        f"<div class='comment'><p>Reader {i} wrote: {PARA.format(n=i)} And more besides.</p>"
        "<form><textarea></textarea><button>Reply</button></form></div>"
        for i in range(6)
    )
    links = "".join(f"<li><a href='/r{i}'>Another recipe number {i}</a></li>" for i in range(30))
    main = (
        f"<div class='main'><div class='recipe'>{_paras('Step.', 2)}</div><ul>{links}</ul></div>"
        f"<div class='thread'>{comments}</div>"
    )
    article = extract(_page(main))
    assert article.title == "Rural roads programme announced"
    assert [p[:5] for p in article.paragraphs] == ["Step.", "Step."]
