"""Footer fields, one rule per test: labels in English and Chinese, several fields on a line,
registration numbers by their shape, and nothing guessed."""

from __future__ import annotations

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
    fields = parse_footer(["©2020 Baidu 使用百度前必读 | 百科协议 | 京ICP证030173号"])
    assert fields["copyright"] == "©2020 Baidu 使用百度前必读"


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
