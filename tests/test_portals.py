"""The sichuan-zh and gov-cn profiles on their reconstructed pages (fixtures/site-zh/,
fixtures/site-govcn/): whole-Article goldens, and hand-written expectations for the values
that matter, so that a wrong extractor cannot pass by regenerating its goldens.

Each page's bytes are what a server would send (UTF-8 or GBK); ``http_charset`` in the
folder's cases.toml is what its Content-Type header would say (absent, right or wrong).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from portal_archive import extract, load_profile
from portal_archive.extract import profile_for_url

from .conftest import FIXTURES

SITE_DIRS = {"sichuan-zh": FIXTURES / "site-zh", "gov-cn": FIXTURES / "site-govcn"}


@dataclass(frozen=True)
class Case:
    name: str
    profile: str
    url: str
    path: Path
    http_charset: str | None

    def extract(self) -> dict[str, Any]:
        article = extract(
            self.path.read_bytes(),
            self.url,
            profile=load_profile(self.profile),
            charset=self.http_charset,
        )
        return article.to_dict()


def _cases() -> list[Case]:
    cases = []
    for profile, folder in SITE_DIRS.items():
        for row in tomllib.loads((folder / "cases.toml").read_text("utf-8"))["case"]:
            assert row["profile"] == profile
            cases.append(
                Case(
                    row["name"], profile, row["url"], folder / row["file"], row.get("http_charset")
                )
            )
    return cases


CASES = _cases()
BY_NAME = {case.name: case for case in CASES}

# --- what each page says, written by hand from the page -----------------------------------
# Keys: an Article field (exact value); "footer.<name>" / "document.<name>" (exact value);
# "<field>~" (the value contains this); "paragraphs.count|first|last"; "body.has" (each
# string is one of the paragraphs); "text.has" (each string occurs in body_text).

ZH_FOOTER = {
    "footer.host": "四川省人民政府办公厅",
    "footer.organiser": "四川省大数据中心",
    "footer.site_id_code": "5100000062",
    "footer.icp": "蜀ICP备13001288号",
    "footer.security_record": "川公网安备 51010402000507号",
    "footer_lines": [
        "主办：四川省人民政府办公厅　承办：四川省大数据中心　网站标识码：5100000062",
        "蜀ICP备13001288号　川公网安备 51010402000507号",
    ],
}
GOV_FOOTER = {
    "footer.host": "国务院办公厅",
    "footer.operator": "中国政府网运行中心",
    "footer.site_id_code": "bm01000001",
    "footer.icp": "京ICP备05070218号",
    "footer.security_record": "京公网安备11010202000001号",
    "footer.copyright~": "中国政府网",
    "footer_lines": [
        "主办单位：国务院办公厅　运行维护单位：中国政府网运行中心",
        "版权所有：中国政府网",
        "网站标识码bm01000001　京ICP备05070218号　京公网安备11010202000001号",
    ],
}

EXPECTED: dict[str, dict[str, Any]] = {
    "zh-10248092": {
        "title": "省政府常务会议介绍",
        "published": "2017-04-22",
        "published_raw": "2017年04月22日 11时45分",
        "published_source": "profile:#articleattribute li",
        "updated": None,  # the header's 2020-07-26 is the render date, not an update
        "paragraphs.count": 3,
        "paragraphs.first": "省政府常务会议由省长、副省长(资政)、秘书长组成,半数以上组成人员到会方可召开。"  # noqa: E501
        "邀请省军区主要负责人参加。省政府顾问、办公厅主任、副秘书长,监察厅、省法制办和与议题直接"
        "相关部门的主要负责人列席会议。根据需要,邀请相关利益方、公众代表、专家、媒体等列席会议。"
        "省政府常务会议由省长召集和主持,原则上每两周召开1次,会期半天;遇有重大特殊情况,可随时召开。",
        "paragraphs.last": "提请省政府常务会议审议的议题由省长确定,或者由副省长、秘书长协调或审核后提出"  # noqa: E501
        "书面建议由省长确定。会议文件和议题于会前送达与会人员。",
        "source": "省政府办公厅",
        "column": None,
        "author": None,
        "language": "zh",
        "encoding": "gb18030",
        "encoding_reason": "meta",
        "document": {},
        "attachments": [],
        "images": [],
        **ZH_FOOTER,
    },
    "zh-disclosure": {
        "title": "四川省人民政府办公厅关于（合成测试）示例事项的通知",
        "published": "2024-03-15",
        "published_source": "profile:#articleattribute li",
        "paragraphs.count": 13,
        "paragraphs.first": "各市（州）人民政府，省政府各部门、各直属机构：",
        "paragraphs.last": "（此件公开发布）",
        # The signature block is the document's own text.
        "body.has": ["四川省人民政府办公厅", "2024年3月12日"],
        "text.has": ["镕", "喆"],
        "source": "省政府办公厅",
        "column": "最新文件",
        "encoding": "gb18030",
        "encoding_reason": "http-header",
        "document.index_number": "11510000TEST00001X/2024-00001",
        "document.subject": "综合政务/通知",
        "document.issuing_body": "四川省人民政府办公厅",
        "document.written_date": "2024-03-12",
        "document.document_number": "川办测〔2024〕1号",
        "document.validity": "有效",
        "attachments": [
            {"url": f"{BASE}files/W02024031500000{i}.{t}", "text": text, "type": t}
            for BASE in ["https://www.sc.gov.cn/10462/10464/10684/12419/2024/3/15/"]
            for i, text, t in [
                (1, "1.示例事项清单.pdf", "pdf"),
                (2, "2.示例申报表.doc", "doc"),
                (3, "3.示例统计表.xls", "xls"),
                (4, "4.示例说明.wps", "wps"),
                (5, "5.通知正式文本.ofd", "ofd"),
            ]
        ],
        **ZH_FOOTER,
    },
    "zh-images": {
        "title": "（合成测试）成都举办示例图片新闻活动",
        "published": "2025-01-06",
        "published_raw": "2025年01月06日 09时15分",
        "paragraphs.first": "1月5日，示例图片新闻活动在成都举行。（本段为合成测试文本，不是网站的真实内容。）",  # noqa: E501
        "paragraphs.last": "据介绍，此类活动今后将定期举办。",
        "source": "四川日报",
        "author": "测试记者",
        "column": "今日四川",
        "encoding": "utf-8",
        "images": [
            {
                "url": "https://www.sc.gov.cn/10462/10464/10797/2025/1/6/W020250106000001.jpg",
                "caption": "活动现场（合成测试图注一）",
            },
            {
                "url": "https://www.sc.gov.cn/10462/10464/10797/2025/1/6/W020250106000002.png",
                "caption": "合成测试图注二：示例展台",
            },
        ],
        "attachments": [],
        "document": {},
        **ZH_FOOTER,
    },
    "zh-wrong-label": {
        "title": "（合成测试）编码标签错误的示例页面",
        "published": "2024-11-05",
        "published_source": "label:发布时间",
        "published_raw~": "2024-11-05",
        "paragraphs.count": 3,
        "paragraphs.last": "读取时不应出现问号或替换字符。",
        "text.has": ["朱镕基", "张喆"],
        "source": None,
        "encoding": "gb18030",
        **ZH_FOOTER,
    },
    "govcn-yaowen": {
        "title": "（合成测试）示例会议部署示例工作",
        "published": "2025-01-06",
        "published_raw~": "2025-01-06",
        "published_source": "profile:div.pages-date",
        "updated": "2025-01-07",
        "updated_source": "meta:lastmodifiedtime",
        "paragraphs.count": 3,
        "paragraphs.first": "新华社北京1月6日电 示例会议6日在北京召开，部署示例工作。"
        "（本页为合成测试文本，不是中国政府网的真实内容。）",
        "paragraphs.last": "会议还研究了其他事项。",
        "source": "新华社",
        "column": "滚动",
        "language": "zh",
        "encoding": "utf-8",
        "document": {},
        **GOV_FOOTER,
    },
    "govcn-zhengce": {
        "title": "国务院办公厅关于（合成测试）示例事项的通知",
        # 发布日期 (and firstpublishedtime), not 成文日期, is when it was published.
        "published": "2025-01-06",
        "paragraphs.count": 8,
        "paragraphs.first": "国办测〔2025〕1号",
        "paragraphs.last": "（此件公开发布）",
        "body.has": ["2025年1月3日"],
        "column": "国务院文件",
        "encoding": "utf-8",
        "encoding_reason": "meta",
        "document.index_number": "000014349/2025-00001",
        "document.subject": "综合政务\\其他",
        "document.issuing_body": "国务院办公厅",
        "document.written_date": "2025-01-03",
        "document.document_number": "国办测〔2025〕1号",
        "attachments": [
            {
                "url": f"https://www.gov.cn/zhengce/content/202501/6996002/files/fj{i}.{t}",
                "text": text,
                "type": t,
            }
            for i, text, t in [
                (1, "1.示例清单", "pdf"),
                (2, "2.示例表格", "docx"),
                (3, "3.示例数据", "xlsx"),
                (4, "4.示例材料", "zip"),
            ]
        ],
        **GOV_FOOTER,
    },
    "govcn-xinwen-gbk": {
        "title": "（合成测试）旧版模板示例新闻",
        "published": "2016-05-10",
        "published_source": "profile:div.pages-date",
        "source": "新华网",
        "paragraphs.count": 4,
        "paragraphs.first": "新华网北京5月10日电 这是旧版中国政府网页面模板的合成测试文本，不是中国政府网的真实内容。",  # noqa: E501
        "paragraphs.last": "旧版页面的正文放在一个表格中，表格单元格里是若干段落。",
        "text.has": ["朱镕基", "张喆"],
        "encoding": "gb18030",
        "encoding_reason": "detected",
        "footer.icp": "京ICP备05070218号",
        "footer.copyright~": "中国政府网",
        "footer_lines": ["版权所有：中国政府网　京ICP备05070218号"],
    },
}

# (case, key) -> why the extractor gets it wrong today. Each is a bug report for the engineer
# who owns that part; strict, so a fix shows up as XPASS and the entry must go.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _actual(data: dict[str, Any], key: str) -> Any:
    key = key.rstrip("~")
    if key.startswith(("footer.", "document.")):
        group, _, name = key.partition(".")
        return data[group].get(name)
    if key == "paragraphs.count":
        return len(data["paragraphs"])
    if key == "paragraphs.first":
        return data["paragraphs"][0] if data["paragraphs"] else None
    if key == "paragraphs.last":
        return data["paragraphs"][-1] if data["paragraphs"] else None
    return data[key]


def _expectations() -> list[Any]:
    params = []
    for name, expected in EXPECTED.items():
        for key, value in expected.items():
            marks = []
            if (name, key) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(reason=KNOWN_BUGS[name, key], strict=True))
            params.append(pytest.param(name, key, value, marks=marks, id=f"{name}:{key}"))
    return params


_EXTRACTED: dict[str, dict[str, Any]] = {}


def _extracted(name: str) -> dict[str, Any]:
    if name not in _EXTRACTED:
        _EXTRACTED[name] = BY_NAME[name].extract()
    return _EXTRACTED[name]


def test_every_page_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(BY_NAME)
    assert {c.profile for c in CASES} == set(SITE_DIRS)


@pytest.mark.parametrize(("name", "key", "expected"), _expectations())
def test_page_says_what_we_read_by_eye(name: str, key: str, expected: Any) -> None:
    data = _extracted(name)
    if key == "body.has":
        missing = [p for p in expected if p not in data["paragraphs"]]
        assert not missing, f"not a paragraph: {missing}"
    elif key == "text.has":
        missing = [s for s in expected if s not in data["body_text"]]
        assert not missing, f"not in the text: {missing}"
    elif key.endswith("~"):
        actual = _actual(data, key)
        assert actual is not None and expected in actual
    else:
        assert _actual(data, key) == expected


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_no_character_is_lost(name: str) -> None:
    """Whatever the bytes and their labels, no U+FFFD and no '?' where the page had a
    character (none of these pages has a '?' in its title, body or footer)."""
    data = _extracted(name)
    text = json.dumps(data, ensure_ascii=False)
    assert "\ufffd" not in text
    for value in [data["title"] or "", data["body_text"], *data["footer_lines"]]:
        assert "?" not in value


def _golden_path(case: Case) -> Path:
    return FIXTURES / "golden" / case.profile / f"{case.name}.json"


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_extract_matches_golden(name: str, update_golden: bool) -> None:
    case = BY_NAME[name]
    golden = _golden_path(case)
    data = _extracted(name)
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(_dump(data), "utf-8")
    assert golden.exists(), f"no golden for {name}: run pytest --update-golden and review it"
    assert _dump(data) == golden.read_text("utf-8")


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_url_picks_the_profile(name: str) -> None:
    """Both Sichuan profiles share the host: the URL alone decides, and without a profile
    argument ``extract`` picks the right one."""
    case = BY_NAME[name]
    found = profile_for_url(case.url)
    assert found is not None and found.id == case.profile


SHAPES = {
    "sichuan-zh": {
        "articles": [
            "https://www.sc.gov.cn/10462/10778/10876/2017/4/22/10248092.shtml",
            "http://www.sc.gov.cn/10462/10464/10797/2020/7/23/50c0a85dba7a4ffcab6d7e5baa9ea147.shtml",  # noqa: E501
            "https://www.sc.gov.cn/10462/10464/10465/10595/2025/1/15/ca1e3502e04f4e3d9f072d46e471a05b.shtml",  # noqa: E501
            "https://www.sc.gov.cn/10462/c108923/2024/3/1/0123456789abcdef0123456789abcdef.shtml",
            "https://sc.gov.cn/10462/10464/11716/11718/2015/12/29/10363667.shtml",
        ],
        "listings": [
            "https://www.sc.gov.cn/10462/10464/10797/jrsc_list.shtml",
            "https://www.sc.gov.cn/10462/10464/10797/jrsc_list_2.shtml",
            "https://www.sc.gov.cn/10462/10464/13298/13299/zcjd_list_15.shtml",
            "https://www.sc.gov.cn/10462/10464/10684/12419/list_ft.shtml",
        ],
        "neither": [
            # The English portal's pages belong to sichuan-en.
            "https://www.sc.gov.cn/10462/10758/10760/10765/2017/12/28/10441831.shtml",
            "https://www.sc.gov.cn/10462/newsdlb/2019/7/9/ee461491d7d44724b8d8240e4f4607ff.shtml",
            "https://www.sc.gov.cn/so4/s?searchWord=x&siteCode=5100000062",
            "https://www.sc.gov.cn/10462/10464/10797/2020/7/23/notanid.shtml",
        ],
    },
    "gov-cn": {
        "articles": [
            "https://www.gov.cn/yaowen/liebiao/202501/content_6996001.htm",
            "https://www.gov.cn/zhengce/content/202501/content_6996002.htm",
            "https://www.gov.cn/zhengce/zhengceku/202609/content_7082302.htm",
            "http://www.gov.cn/xinwen/2020-06/01/content_5516649.htm",
            "http://gov.cn/fuwu/2022-07/30/content_5703632.htm",
        ],
        "listings": [
            "https://www.gov.cn/yaowen/index.htm",
            "https://www.gov.cn/yaowen/liebiao/home_1.htm",
            "https://www.gov.cn/lianbo/bumen/index.htm",
        ],
        "neither": [
            "https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json",
            "https://www.gov.cn/yaowen/liebiao/202501/content_6996001.pdf",
            "https://sousuo.www.gov.cn/zcwjk/policyDocumentLibrary",
        ],
    },
}


@pytest.mark.parametrize("pid", sorted(SHAPES))
def test_rules_classify_real_url_shapes(pid: str) -> None:
    profile = load_profile(pid)
    shapes = SHAPES[pid]
    for url in shapes["articles"]:
        assert profile.is_article(url) and not profile.is_listing(url), url
    for url in shapes["listings"]:
        assert profile.is_listing(url) and not profile.is_article(url), url
    for url in shapes["neither"]:
        assert not profile.is_article(url) and not profile.is_listing(url), url
    assert all(profile.is_listing(url) for url in profile.start_urls)


def test_sichuan_profiles_never_claim_each_others_articles() -> None:
    zh, en = load_profile("sichuan-zh"), load_profile("sichuan-en")
    for url in SHAPES["sichuan-zh"]["articles"]:
        assert not en.is_article(url), url
    for url in SHAPES["sichuan-zh"]["neither"][:2]:
        assert en.is_article(url) and not zh.is_article(url), url
