"""Footer fields, one rule per test: labels in English and Chinese, several fields on a line,
registration numbers by their shape, and nothing guessed."""

from __future__ import annotations

from portal_archive import extract
from portal_archive._footer import parse_footer


def test_several_chinese_fields_on_one_line_are_split() -> None:
    line = (
        "主办：四川省人民政府办公厅  承办：四川省大数据中心 "
        "网站标识码：5100000062 蜀ICP备05003285号"
    )
    assert parse_footer([line]) == {
        "host": "四川省人民政府办公厅",
        "organiser": "四川省大数据中心",
        "site_id_code": "5100000062",
        "icp": "蜀ICP备05003285号",
    }


def test_label_glued_to_the_previous_value_still_splits() -> None:
    assert parse_footer(["主办：四川省政府承办：四川省大数据中心"]) == {
        "host": "四川省政府",
        "organiser": "四川省大数据中心",
    }


def test_chinese_suffix_form_names_the_field_after_the_value() -> None:
    # youth.cn (readability test page "youth"): "X主办　Y承办".
    assert parse_footer(["共青团中央主办　共青团中央网络影视中心承办"]) == {
        "host": "共青团中央",
        "organiser": "共青团中央网络影视中心",
    }


def test_suffix_form_with_you_and_tigong() -> None:
    assert parse_footer(["本网站由四川省大数据中心提供技术支持"]) == {
        "technical_support": "四川省大数据中心"
    }


def test_unknown_chinese_label_ends_the_value_before_it() -> None:
    # banyuetan.org: the licence number is not the host's name.
    fields = parse_footer(["主办：半月谈杂志社 互联网新闻信息服务许可证：1012014004"])
    assert fields == {"host": "半月谈杂志社"}


def test_qualified_phone_label_is_not_the_site_phone() -> None:
    assert "phone" not in parse_footer(["期刊订阅电话：400-081-2017 客服电话：400-851-5558"])


def test_operator_and_maintainer_labels() -> None:
    assert parse_footer(["网站运维：四川省大数据中心"]) == {"operator": "四川省大数据中心"}
    assert parse_footer(["运行维护单位：中国政府网运行中心"]) == {"operator": "中国政府网运行中心"}
    assert parse_footer(["Maintained by: Sichuan Telecom"]) == {"operator": "Sichuan Telecom"}


def test_co_organiser_and_technical_support() -> None:
    assert parse_footer(["协办：成都市人民政府办公厅 技术支持：中国电信四川分公司"]) == {
        "co_organiser": "成都市人民政府办公厅",
        "technical_support": "中国电信四川分公司",
    }


def test_government_site_id_code_takes_the_code_only() -> None:
    assert parse_footer(["政府网站标识码 bm01000001 京公网安备11010202000001号"]) == {
        "site_id_code": "bm01000001",
        "security_record": "京公网安备11010202000001号",
    }


def test_icp_with_bar_and_full_width_dash_is_normalised() -> None:
    fields = parse_footer(["京｜ICP备11020872号－17　京公网安备110105007246"])
    assert fields == {"icp": "京ICP备11020872号-17", "security_record": "京公网安备110105007246"}


def test_icp_licence_keeps_its_province() -> None:
    assert parse_footer(["京ICP证030173号"]) == {"icp": "京ICP证030173号"}


def test_english_labels_stay_as_they_were() -> None:
    lines = [
        "Hosted by: General Office of the People's Government of Sichuan Province",
        "Website Identification Code: 5100000062 Sichuan ICP No. 13001288",
        "Sichuan Computer Information Network and Internet Security Record No. 51010402000507",
    ]
    assert parse_footer(lines) == {
        "host": "General Office of the People's Government of Sichuan Province",
        "site_id_code": "5100000062",
        "icp": "Sichuan ICP No. 13001288",
        "security_record": "51010402000507",
    }


def test_english_copyright_notice_is_kept_whole() -> None:
    line = (
        "Copyright held by the General Office of Sichuan Provincial People’s Government. "
        "All Rights Reserved."
    )
    assert parse_footer([line]) == {"copyright": line}


def test_copyright_notice_ends_at_the_next_field() -> None:
    fields = parse_footer(
        [
            "Copyright (C) 半月谈杂志社 2010-2018, All Rights Reserved "
            "运营管理中心：半月谈新媒体科技有限公司"
        ]
    )
    assert fields["copyright"] == "Copyright (C) 半月谈杂志社 2010-2018, All Rights Reserved"


def test_chinese_copyright_with_holder_before_the_label() -> None:
    assert parse_footer(["中国日报版权所有"]) == {"copyright": "中国日报版权所有"}


def test_copyright_notice_stops_at_a_link_bar() -> None:
    # baike.baidu.com: "使用百度前必读" is a link after the notice, then a bar of links.
    fields = parse_footer(["©2020 Baidu 使用百度前必读 | 百科协议 | 京ICP证030173号"])
    assert fields["copyright"] == "©2020 Baidu"


def test_latin_notice_keeps_its_own_chinese_rights_line() -> None:
    line = "Copyright © 2020 Sichuan Daily 四川日报社版权所有"
    assert parse_footer([line]) == {"copyright": line}


def test_copyright_link_label_is_not_a_notice() -> None:
    assert parse_footer(["Copyright Policy", "Copyright"]) == {}
    assert parse_footer(["Copyright Policy", "Copyright 2001 - 2021 IZ Medien GmbH"]) == {
        "copyright": "Copyright 2001 - 2021 IZ Medien GmbH"
    }


def test_traditional_chinese_rights_notice() -> None:
    assert parse_footer(["中央通訊社版權所有"]) == {"copyright": "中央通訊社版權所有"}


def test_contact_fields_in_chinese() -> None:
    assert parse_footer(
        ["地址：成都市督院街30号  邮编：610016  电话：028-86601234 传真：028-86601235"]
    ) == {
        "address": "成都市督院街30号",
        "postcode": "610016",
        "phone": "028-86601234",
    }


def test_abbreviation_keeps_its_full_stop() -> None:
    assert parse_footer(["Technical Support: China Telecom Co., Ltd."]) == {
        "technical_support": "China Telecom Co., Ltd."
    }


def test_lines_without_labels_give_nothing() -> None:
    assert (
        parse_footer(["关于我们｜联系我们｜广告服务", "信息网络传播视听节目许可证0105108号"]) == {}
    )


def test_owner_before_the_sign_ends_the_notice_at_the_year() -> None:
    assert parse_footer(["BBC © 2014 非本网站内容BBC概不负责"]) == {"copyright": "BBC © 2014"}


def test_label_inside_prose_is_not_a_label() -> None:
    # jis.gov.jm: a photo caption after the article, "The event was hosted by the KSAMC …".
    assert parse_footer(["The event was hosted by the KSAMC in partnership with others."]) == {}
    assert parse_footer(["Hosted by Plus.line"]) == {"host": "Plus.line"}


def test_picture_credit_is_not_the_site_notice() -> None:
    assert parse_footer(["© Foto: Johanna Link / Donna Magazin"]) == {}


def test_lower_case_label_with_a_colon_is_a_label() -> None:
    assert parse_footer(["e-mail: info@example.org"]) == {"email": "info@example.org"}
    assert parse_footer(["hosted by: Example Office"]) == {"host": "Example Office"}


def test_notice_after_a_row_of_links_starts_at_the_sign() -> None:
    # readability test page "pixnet": the links' texts, then the notice, on one line.
    line = "回到頁首 回到主文 免費註冊 客服中心 痞客邦首頁 © 2003 - 2017 PIXNET Travel"
    assert parse_footer([line]) == {"copyright": "© 2003 - 2017 PIXNET Travel"}


def test_notice_inside_a_sentence_ends_with_its_rights_reserved() -> None:
    line = "We cover the industry. © 2000-2019 Example.com, Inc. All Rights Reserved. About Us"
    assert parse_footer([line]) == {
        "copyright": "© 2000-2019 Example.com, Inc. All Rights Reserved."
    }


def test_notice_at_the_start_of_a_line_beats_one_inside_a_line() -> None:
    lines = [
        "Market data provided by Morningstar. © 2016 Morningstar, Inc. All Rights Reserved.",
        "© 2016 Cable News Network. All Rights Reserved.",
    ]
    assert parse_footer(lines) == {"copyright": "© 2016 Cable News Network. All Rights Reserved."}


def test_notice_ends_with_all_rights_reserved() -> None:
    line = (
        "Copyright 2020 The Jamaica Information Service. All Rights Reserved. "
        "Read our Privacy Policy."
    )
    assert parse_footer([line]) == {
        "copyright": "Copyright 2020 The Jamaica Information Service. All Rights Reserved."
    }


def test_holder_after_all_rights_reserved_stays_in_the_notice() -> None:
    line = "© 2022 All Rights Reserved Bund der Energieverbraucher e.V."
    assert parse_footer([line]) == {"copyright": line}


# --- finding the footer: by position (after the body) and by its own marks -----------------

_ARTICLE = (
    "<h1>标题</h1><div class=article>"
    + "<p>"
    + "正文内容，段落文字。" * 12
    + "</p>" * 1
    + ("<p>" + "第二段正文内容，段落文字。" * 10 + "</p></div>")
)


def _footer_of(html: str) -> tuple[dict[str, str], tuple[str, ...]]:
    article = extract(f"<html><body>{html}</body></html>", "http://example.invalid/a.html")
    return article.footer, article.footer_lines


def test_registration_line_whose_number_is_a_link_is_kept() -> None:
    footer, lines = _footer_of(
        _ARTICLE + "<div class=footer><p><a href=/m>网站地图</a> | <a href=/c>联系我们</a></p>"
        "<p>蜀ICP备13001288号　<a href=/b>川公网安备 51010402000507号</a></p></div>"
    )
    # The link bar goes, the registration line stays though most of it is link text.
    assert lines == ("蜀ICP备13001288号　川公网安备 51010402000507号",)
    assert footer == {"icp": "蜀ICP备13001288号", "security_record": "川公网安备 51010402000507号"}


def test_footer_split_over_sibling_blocks_is_gathered() -> None:
    # chinadaily: the registration numbers in one block, the notice in another.
    footer, _ = _footer_of(
        _ARTICLE + "<div class=foot><ul><li><a href=/g>京公网安备11010502032503号</a></li>"
        "<li><a href=/i>京ICP备13028878号-6</a></li></ul></div>"
        "<div class=other><div class=copyright>中国日报版权所有</div></div>"
    )
    assert footer == {
        "security_record": "京公网安备11010502032503号",
        "icp": "京ICP备13028878号-6",
        "copyright": "中国日报版权所有",
    }


def test_a_footer_mark_needs_no_footer_name() -> None:
    # BBC: the notice in <p id=blq-disclaim>, in a block named for its colour.
    footer, lines = _footer_of(_ARTICLE + "<div id=grey><p>BBC © 2014 非本网站内容</p></div>")
    assert footer == {"copyright": "BBC © 2014"}
    assert lines == ("BBC © 2014 非本网站内容",)


def test_footer_name_is_matched_in_any_case() -> None:
    footer, _ = _footer_of(
        _ARTICLE + "<div class=channel-mobileFooter><p>Copyright held by Example Office</p></div>"
    )
    assert footer == {"copyright": "Copyright held by Example Office"}


def test_weak_words_outside_a_footer_are_not_a_footer() -> None:
    # A headline after the article, and a header line before it.
    footer, lines = _footer_of(
        "<div class=top>中共中央宣传部委托新华通讯社主办</div>"
        + _ARTICLE
        + "<div class=related><h3>Copyright reform passes</h3>"
        + "<p>本次活动由省文联主办，为期三天。</p></div>"
    )
    assert footer == {}
    assert lines == ()


def test_footer_inside_a_page_wide_body_is_found_by_its_name_and_mark() -> None:
    # When the body found is a wrapper that holds the footer too, nothing comes after it.
    footer, _ = _footer_of(
        "<div class=wrap>"
        + _ARTICLE
        + "<footer><p>Copyright © 2022 Frollein Herr</p></footer></div>"
    )
    assert footer == {"copyright": "Copyright © 2022 Frollein Herr"}


def test_hint_words_are_found_alike_in_lowered_bytes_and_lowered_text() -> None:
    # _footer_block finds them in the page's UTF-8 lowered by bytes.lower(), which leaves
    # non-ASCII alone; str.lower() also turns the Kelvin sign into "k" and "İ" into "i" and a
    # combining dot.
    from portal_archive._footer import FOOTER_HINT_WORDS

    for word in FOOTER_HINT_WORDS:
        assert word == word.lower() and "\n" not in word
        assert "k" not in word and not word.endswith("i")


def test_footer_hint_in_capitals_next_to_non_ascii_text() -> None:
    footer, lines = _footer_of(
        _ARTICLE + "<div class=footer><p>Ünsere Seite</p>"
        "<p>ÉDITIONS MÉTÉO COPYRIGHT © 2024. ALL RIGHTS RESERVED.</p></div>"
    )
    assert lines == ("Ünsere Seite", "ÉDITIONS MÉTÉO COPYRIGHT © 2024. ALL RIGHTS RESERVED.")
