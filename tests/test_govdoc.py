"""The information-disclosure header (索引号, 发文字号 …), one layout or rule per test."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from portal_archive import extract
from portal_archive._govdoc import read_document


def _read(html: str) -> dict[str, str]:
    return read_document(LexborHTMLParser(html))


def test_table_of_label_and_value_cells() -> None:
    html = (
        "<table><tr><td>索引号：</td><td>11510000MB1234567X/2024-00012</td>"
        "<td>主题分类：</td><td>综合政务</td></tr>"
        "<tr><td>发文机关：</td><td>四川省人民政府办公厅</td>"
        "<td>成文日期：</td><td>2024年03月05日</td></tr>"
        "<tr><td>发文字号：</td><td>川办发〔2024〕5号</td><td>有效性：</td><td>有效</td></tr></table>"
    )
    assert _read(html) == {
        "index_number": "11510000MB1234567X/2024-00012",
        "subject": "综合政务",
        "issuing_body": "四川省人民政府办公厅",
        "written_date": "2024-03-05",
        "document_number": "川办发〔2024〕5号",
        "validity": "有效",
    }


def test_several_label_value_pairs_on_one_line() -> None:
    # As on a Jinhua policy page: "发布机构:科技部门户网站 文号:国科发专〔2017〕145号".
    html = (
        "<div>发布机构:科技部门户网站 文号:国科发专〔2017〕145号</div>"
        "<div>公开日期: 2018-03-05 有效性: 有效</div>"
    )
    assert _read(html) == {
        "issuing_body": "科技部门户网站",
        "document_number": "国科发专〔2017〕145号",
        "published_date": "2018-03-05",
        "validity": "有效",
    }


def test_labels_padded_with_spaces() -> None:
    html = (
        "<div>索　引　号 20191202-189769</div>"
        "<div>发 布 机 构 市人民政府办公室 发 文 日 期 2019-11-29</div>"
    )
    assert _read(html) == {
        "index_number": "20191202-189769",
        "issuing_body": "市人民政府办公室",
        "written_date": "2019-11-29",
    }


def test_value_on_the_line_after_its_label() -> None:
    html = (
        "<dl><dt>索引号</dt><dd>0001/2024-01</dd><dt>发文字号</dt><dd>川府发〔2024〕5号</dd></dl>"
    )
    assert _read(html) == {"index_number": "0001/2024-01", "document_number": "川府发〔2024〕5号"}


def test_keywords_and_disclosing_body() -> None:
    html = "<p>索引号：0001</p><p>主题词：营商环境 改革</p><p>公开主体：四川省发展和改革委员会</p>"
    assert _read(html) == {
        "index_number": "0001",
        "keywords": "营商环境 改革",
        "disclosing_body": "四川省发展和改革委员会",
    }


def test_one_field_alone_is_not_a_header() -> None:
    assert _read("<p>发文字号：川府发〔2024〕5号</p><p>正文。</p>") == {}


def test_title_and_category_alone_are_not_a_header() -> None:
    assert _read("<p>标题：某某通知</p><p>分类：新闻</p>") == {}


def test_label_inside_running_text_is_not_a_label() -> None:
    assert _read("<p>根据文号规定办理，成文日期另行通知。</p><p>索引号：0001</p>") == {}


def test_written_date_that_is_not_a_date_is_left_out() -> None:
    html = "<p>索引号：0001</p><p>发文字号：川府发〔2024〕5号</p><p>成文日期：见正文</p>"
    assert _read(html) == {"index_number": "0001", "document_number": "川府发〔2024〕5号"}


def test_extract_fills_article_document() -> None:
    html = (
        "<html><body><table><tr><td>索引号：</td><td>0001</td><td>发文字号：</td>"
        "<td>川府发〔2024〕5号</td></tr></table>"
        "<div><p>" + "各市（州）人民政府，省政府各部门：现将有关事项通知如下。" * 4 + "</p></div>"
        "</body></html>"
    )
    article = extract(html.encode("utf-8"), "https://www.example.gov.cn/a.html")
    assert article.document == {"index_number": "0001", "document_number": "川府发〔2024〕5号"}
    assert article.to_dict()["document"] == dict(article.document)
