"""Benchmark of the archive as a research instrument (issue 4).

Builds archives of synthetic articles (half English, half Chinese, ~5 KB of text and a
~8 KB raw HTML page each) and reports, in one run:

- ingest rate through ``Archive.save_article`` (the crawl path: one transaction per
  article), and through ``Archive.save_articles`` when the archive offers it, against the
  floor: a bare ``sqlite3`` ``executemany`` of the same rows into the same tables (same
  schema and FTS5 tokenizer, made by ``Archive.open`` on a new file) in one transaction;
- search latency p50/p95/max for English and Chinese queries, newest-first and ranked;
- bytes per article (file size, and per table from ``dbstat``);
- reparse pages per second.

The two ingest paths run interleaved, chunk by chunk, in one process, so a noisy machine
slows both alike: quote the ratio, not the absolute rates.

    python bench/bench_archive.py --quick
    python bench/bench_archive.py --sizes 10000 100000 --profile 5000 --out BENCHMARKS.md

Standard library and the project only.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import cProfile
import functools
import html
import io
import itertools
import json
import math
import os
import platform
import pstats
import random
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from _sections import write_section  # noqa: E402 - bench/ is on sys.path

from portal_archive import Archive
from portal_archive._footer import parse_footer
from portal_archive._schema import search_entry
from portal_archive._search import fts_query, prepare, sort_key
from portal_archive.archive import _RANKED_WINDOW as RANKED_WINDOW
from portal_archive.archive import _ZLIB_LEVEL as ZLIB_LEVEL
from portal_archive.archive import EXTRACTOR_VERSION
from portal_archive.archive import _article_to_row as article_to_row
from portal_archive.extract import parse_article
from portal_archive.models import Article, Page
from portal_archive.reparse import reparse

SECTION = "## Archive (issue 4)"
CHUNK = 1000
#: Articles per ``Archive.transaction()`` in the grouped path (the crawl's way of committing).
GROUP = 100
P95_TARGET_MS = 50.0
INGEST_TARGET = 0.70
MIN_RUNS = 20

# ---------------------------------------------------------------------------------------
# Synthetic corpus
# ---------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


EN_FUNCTION = _words(
    "the of and to in a for on is with by as that at from be was will are has have it its"
    " this an were which also more their been than into all over new year said other such"
)
EN_DOMAIN = _words(
    "province provincial sichuan government county city people project construction service"
    " reform rural enterprise investment industry meeting policy public health education"
    " economic growth plan national local office department committee forum cooperation"
    " agriculture village poverty environment ecological protection safety transport"
    " infrastructure innovation technology digital industrial park trade zone pilot export"
    " import market finance tax employment income culture tourism heritage panda chengdu"
    " chongqing region regional coordination governance law official delegation visit"
    " exchange support improve promote strengthen implement ensure quality efficient modern"
    " green energy water power railway highway airport hospital school university training"
    " talent science research data platform system management security disaster relief"
    " recovery emergency housing urban community resident farmer worker youth women elderly"
    " medical insurance pension subsidy fund budget revenue expenditure price consumption"
    " retail logistics manufacturing equipment electronic information software internet"
    " network communication bureau commission administration council congress session"
    " report progress target task measure standard action campaign initiative program"
)
# Placed at the ranks that give them these document frequencies among English articles.
EN_TARGETS = {"development": 0.70, "work": 0.55, "social": 0.40}

ZH_CHARS = (
    "的一是不了人我在有他这为之大来以个中上们到说时国和地也子出会可要就你对生能而那得于着下自后年"
    "过发作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本"
    "前开但因只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很"
    "最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度"
    "门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电"
    "数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马"
    "科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万"
    "取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议"
    "往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石"
    "级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻"
    "易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势"
    "参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续"
    "施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿"
    "千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股"
    "拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充"
    "负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检差富灵协角"
    "占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左"
    "右份穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核"
    "暗姐介坏讨丽良序升监临亮露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪"
    "缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘谢鲁遇康虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶"
    "春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣择寻厂睡博勒"
)
ZH_FUNCTION = _words("的 了 和 在 是 对 为 将 等 中 与 及 以 各 有 也 要 并 由 把 进一步 同时")
ZH_DOMAIN = _words(
    "四川 全省 省委 省政府 经济 社会 工作 建设 推进 推动 加强 改革 创新 项目 企业 服务 群众 会议"
    " 重点 落实 提升 实施 高质量 城乡 农村 生态 环境 保护 安全 生产 教育 医疗 卫生 文化 旅游 交通"
    " 基础设施 投资 产业 制造业 数字 科技 人才 政策 市场 开放 合作 成都 重庆 区域 协调 民生 就业"
    " 收入 治理 法治 政府 部门 单位 干部 领导 人民 要求 强调 指出 坚持 全面 深入 贯彻 部署 目标"
    " 任务 措施 机制 体系 能力 水平 质量 效率 规划 方案 标准 资金 财政 税收 金融 消费 物流 园区"
    " 自贸区 试验区 熊猫 大熊猫 天府 川渝 双城 经济圈 成渝 水利 电力 能源 铁路 公路 机场 医院 学校"
    " 大学 培训 研究 数据 平台 系统 管理 应急 灾害 救援 住房 城市 社区 居民 农民 职工 青年 妇女"
    " 老年人 医保 养老 补贴 预算 收支 价格 零售 设备 电子 信息 软件 互联网 网络 通信 厅 局 委员会"
)
# Placed at the ranks that give them these document frequencies among Chinese articles.
ZH_TARGETS = {"发展": 0.70, "乡村振兴": 0.15}

EN_COLUMNS = ["News", "Provincial Departments", "Pilot Free Trade Zone", "Overview of Sichuan"]
EN_SOURCES = ["Sichuan Daily", "Xinhua", "Sichuan Provincial People's Government", "Chengdu Daily"]
ZH_COLUMNS = ["要闻", "政务公开", "部门动态", "市州动态"]
ZH_SOURCES = ["四川日报", "新华社", "省发展改革委", "四川省人民政府办公厅"]
EN_FOOTER = [
    "Hosted by: General Office of Sichuan Provincial People's Government",
    "Website Identification Code: 5100000062 Sichuan ICP No. 13001288",
    "Copyright © Sichuan Provincial People's Government. All Rights Reserved.",
]
ZH_FOOTER = [
    "主办单位：四川省人民政府办公厅",
    "政府网站标识码：5100000062 蜀ICP备13001288号",
    "版权所有：四川省人民政府",
]
NAV = [
    "Home",
    "News",
    "Government",
    "Investment",
    "Travel",
    "Culture",
    "Overview",
    "Departments",
    "Free Trade Zone",
    "Services",
    "Contact Us",
    "中文",
]
STYLE = (
    "body{margin:0;padding:0;font-family:Arial,'Microsoft YaHei',sans-serif;font-size:14px}"
    "a{color:#333;text-decoration:none}ul{list-style:none;margin:0;padding:0}"
    ".top-bar{width:1200px;height:32px;margin:0 auto;line-height:32px;font-size:12px}"
    ".header{width:1200px;height:110px;margin:0 auto}.main-nav{background:#0c5ea8;height:46px}"
    ".main-nav li{float:left;width:100px;text-align:center;line-height:46px}"
    ".breadcrumb{width:1200px;margin:15px auto;font-size:13px;color:#666}"
    ".article{width:1160px;margin:0 auto;padding:20px;border:1px solid #e5e5e5}"
    ".article-title{font-size:26px;line-height:40px;text-align:center;color:#0c5ea8}"
    ".article-content{font-size:16px;line-height:2em;padding:20px 40px}"
    ".related{margin:20px 40px}.related li{line-height:30px}"
    ".footer{background:#f2f2f2;margin-top:30px;padding:20px 0;text-align:center;font-size:12px}"
)

START_DAY = date(2010, 1, 1).toordinal()
END_DAY = date(2025, 12, 31).toordinal()
# After the last publication date: the extractor refuses a date later than the fetch.
FETCHED_BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _zipf_cum(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (r**s) for r in range(1, n + 1)))


def _place(words: list[str], targets: dict[str, float], per_doc: int, s: float) -> list[str]:
    """Insert each target word at the rank whose Zipf probability gives it about the wanted
    share of documents (1 - (1 - p)^words_per_document)."""
    n = len(words) + len(targets)
    total = sum(1.0 / (r**s) for r in range(1, n + 1))
    placed: dict[int, str] = {}
    for word, share in sorted(targets.items(), key=lambda kv: -kv[1]):
        p = 1.0 - (1.0 - share) ** (1.0 / per_doc)
        rank = max(1, round((1.0 / (p * total)) ** (1.0 / s)))
        while rank in placed:
            rank += 1
        placed[rank] = word
    out, rest = [], iter(words)
    for rank in range(1, n + 1):
        out.append(placed[rank] if rank in placed else next(rest))
    return out


@dataclass
class Vocabulary:
    en_words: list[str]
    en_cum: list[float]
    entities: list[str]
    zh_words: list[str]
    zh_cum: list[float]
    rare_entity: str = ""
    queries: list[tuple[str, str]] = field(default_factory=list)


def build_vocabulary(seed: int) -> Vocabulary:
    rng = random.Random(seed)
    onsets = ["b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "tr", "st", "pl"]
    nuclei = ["a", "e", "i", "o", "u", "ae", "io", "ou"]
    codas = ["", "", "n", "r", "s", "l", "m", "x"]
    known = set(EN_FUNCTION) | set(EN_DOMAIN) | set(EN_TARGETS)
    pseudo: list[str] = []
    seen = set(known)
    while len(pseudo) < 3000:
        word = "".join(
            rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)
            for _ in range(rng.randint(2, 3))
        )
        if word not in seen:
            seen.add(word)
            pseudo.append(word)
    # Proper names (places, projects): each in ~0.1 % of English articles.
    pinyin = _words(
        "qing lu ba xian mian yang zi gong jin tang ya an pan zhi hua guang yuan nan chong"
        " dazhou sui ning nei jiang le shan mei yi bin lang zhong"
    )
    entities: list[str] = []
    while len(entities) < 2000:
        name = "".join(rng.choice(pinyin) for _ in range(rng.randint(2, 3)))
        if name not in seen:
            seen.add(name)
            entities.append(name.capitalize())
    en_base = EN_FUNCTION + EN_DOMAIN + pseudo
    en_words = _place(en_base, EN_TARGETS, per_doc=780, s=1.0)

    chars = []
    for ch in ZH_CHARS:
        if "\u4e00" <= ch <= "\u9fff" and ch not in chars:
            chars.append(ch)
    code = 0x4E00
    have = set(chars)
    while len(chars) < 3000:  # pad with further Han characters, deterministically
        code += 7
        ch = chr(code)
        if ch not in have:
            have.add(ch)
            chars.append(ch)
    char_cum = _zipf_cum(len(chars), 1.0)
    zh_known = set(ZH_FUNCTION) | set(ZH_DOMAIN) | set(ZH_TARGETS)
    generated: list[str] = []
    zseen = set(zh_known)
    while len(generated) < 3000:
        length = rng.choices([1, 2, 3], weights=[15, 70, 15])[0]
        word = "".join(rng.choices(chars, cum_weights=char_cum, k=length))
        if word not in zseen:
            zseen.add(word)
            generated.append(word)
    zh_base = ZH_FUNCTION + ZH_DOMAIN + generated
    zh_words = _place(zh_base, ZH_TARGETS, per_doc=760, s=1.0)
    vocab = Vocabulary(
        en_words=en_words,
        en_cum=_zipf_cum(len(en_words), 1.0),
        entities=entities,
        zh_words=zh_words,
        zh_cum=_zipf_cum(len(zh_words), 1.0),
    )
    vocab.rare_entity = entities[17]
    vocab.queries = [
        ("en common", "development"),
        ("en rare", vocab.rare_entity),
        ("en two words", "social work"),
        ("zh 2-char common", "发展"),
        ("zh 1-char", "省"),
        ("zh 4-char phrase", "乡村振兴"),
    ]
    return vocab


def _sample(rng: random.Random, words: list[str], cum: list[float], k: int) -> list[str]:
    total = cum[-1]
    n = len(words) - 1
    return [words[min(bisect.bisect(cum, rng.random() * total), n)] for _ in range(k)]


def _en_paragraph(rng: random.Random, vocab: Vocabulary, budget: int, entities: list[str]) -> str:
    sentences, size = [], 0
    while size < budget:
        words = _sample(rng, vocab.en_words, vocab.en_cum, rng.randint(12, 25))
        if entities and rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), rng.choice(entities))
        for i in range(2, len(words) - 1, 7):
            if rng.random() < 0.3:
                words[i] += ","
        sentence = " ".join(words)
        sentence = sentence[0].upper() + sentence[1:] + "."
        sentences.append(sentence)
        size += len(sentence) + 1
    return " ".join(sentences)


def _zh_paragraph(rng: random.Random, vocab: Vocabulary, budget: int) -> str:
    parts, size = [], 0
    while size < budget:
        words = _sample(rng, vocab.zh_words, vocab.zh_cum, rng.randint(10, 24))
        clause = []
        for i, word in enumerate(words):
            clause.append(word)
            if 0 < i < len(words) - 1 and rng.random() < 0.1:
                clause.append("，")
        sentence = "".join(clause) + "。"
        parts.append(sentence)
        size += len(sentence.encode())
    return "".join(parts)


def _page_html(
    *,
    lang: str,
    title: str,
    paragraphs: Sequence[str],
    column: str,
    source: str,
    published: date,
    updated: date | None,
    related: Sequence[str],
    footer: Sequence[str],
) -> str:
    e = html.escape
    metas = [
        '<meta charset="utf-8">',
        '<meta name="SiteName" content="四川省人民政府">',
        '<meta name="SiteIDCode" content="5100000062">',
        f'<meta name="ColumnName" content="{e(column)}">',
        f'<meta name="ArticleTitle" content="{e(title)}">',
        f'<meta name="ContentSource" content="{e(source)}">',
        f'<meta name="PubDate" content="{published.isoformat()} 10:00">',
    ]
    if updated:
        metas.append(f'<meta name="lastmodifiedtime" content="{updated.isoformat()}">')
    nav = "".join(
        f'<li><a href="/10462/{i}/index.shtml">{e(n)}</a></li>' for i, n in enumerate(NAV)
    )
    rel = "".join(
        f'<li><a href="/10462/10758/{i}.shtml">{e(t)}</a></li>' for i, t in enumerate(related)
    )
    body = "".join(f"<p>{e(p)}</p>\n" for p in paragraphs)
    foot = "".join(f"<p>{e(line)}</p>" for line in footer)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n' + "\n".join(metas) + "\n"
        f"<title>{e(title)} - Sichuan Provincial People's Government</title>\n"
        f"<style>{STYLE}</style>\n"
        "<script>var _hmt=_hmt||[];(function(){var hm=document.createElement('script');"
        "hm.src='https://hm.baidu.com/hm.js?3b4a86e2';})();</script>\n</head>\n<body>\n"
        '<div class="top-bar"><a href="/">中文</a> <a href="/en">English</a></div>\n'
        '<div class="header"><img src="/images/logo.png" alt="Sichuan"></div>\n'
        f'<div class="main-nav"><ul>{nav}</ul></div>\n'
        '<div class="breadcrumb"><a href="/">Home</a> &gt; '
        f'<a href="/10462/10758/index.shtml">{e(column)}</a></div>\n'
        f'<div class="article">\n<h1 class="article-title">{e(title)}</h1>\n'
        f'<div class="article-content" id="articleContent">\n{body}</div>\n'
        f'<div class="related"><h3>Related</h3><ul>{rel}</ul></div>\n</div>\n'
        f'<div class="footer">{foot}</div>\n</body>\n</html>\n'
    )


class Corpus:
    """Article ``i`` of the corpus is a pure function of (seed, i)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.vocab = build_vocabulary(seed)

    def article(self, i: int) -> tuple[Page, Article]:
        rng = random.Random(self.seed * 1_000_003 + i)
        v = self.vocab
        chinese = i % 2 == 1
        n_par = rng.randint(8, 15)
        budget = rng.randint(4300, 5100) // n_par
        day = date.fromordinal(rng.randint(START_DAY, END_DAY))
        updated = None
        if rng.random() < 0.25:
            updated = date.fromordinal(min(day.toordinal() + rng.randint(0, 60), END_DAY))
        if chinese:
            paragraphs = [_zh_paragraph(rng, v, budget) for _ in range(n_par)]
            title = "".join(_sample(rng, v.zh_words, v.zh_cum, rng.randint(6, 11)))
            related = [
                "".join(_sample(rng, v.zh_words, v.zh_cum, rng.randint(6, 10))) for _ in range(5)
            ]
            column, source = rng.choice(ZH_COLUMNS), rng.choice(ZH_SOURCES)
            footer, lang = ZH_FOOTER, "zh-CN"
            path = "10462/c102914"
        else:
            entities = rng.sample(v.entities, rng.randint(1, 3))
            paragraphs = [_en_paragraph(rng, v, budget, entities) for _ in range(n_par)]
            words = _sample(rng, v.en_words, v.en_cum, rng.randint(5, 10)) + [entities[0]]
            title = " ".join(w.capitalize() for w in words)
            related = [
                " ".join(_sample(rng, v.en_words, v.en_cum, rng.randint(5, 9))).capitalize()
                for _ in range(5)
            ]
            column, source = rng.choice(EN_COLUMNS), rng.choice(EN_SOURCES)
            footer, lang = EN_FOOTER, "en"
            path = "10462/10758/10760/10765"
        url = (
            f"https://www.sc.gov.cn/{path}/{day.year}/{day.month}/{day.day}/"
            f"{rng.getrandbits(128):032x}.shtml"
        )
        body = _page_html(
            lang=lang,
            title=title,
            paragraphs=paragraphs,
            column=column,
            source=source,
            published=day,
            updated=updated,
            related=related,
            footer=footer,
        )
        fetched = FETCHED_BASE + timedelta(seconds=i)
        page = Page(
            url=url,
            fetch_url=url,
            final_url=url,
            status=200,
            headers=(
                ("content-type", "text/html; charset=utf-8"),
                ("server", "nginx"),
                ("date", fetched.strftime("%a, %d %b %Y %H:%M:%S GMT")),
                ("etag", f'"{rng.getrandbits(48):012x}"'),
            ),
            body=body.encode("utf-8"),
            fetched_at=fetched,
        )
        article = Article(
            url=url,
            site=None,
            title=title,
            published=day,
            updated=updated,
            paragraphs=tuple(paragraphs),
            footer=parse_footer(footer),
            footer_lines=tuple(footer),
            language=lang.split("-")[0],
            encoding="utf-8",
            column=column,
            source=source,
            encoding_reason="http-header",
            # Where the dates were read, as the extractor reports it for this markup.
            published_source="meta:PubDate",
            published_raw=f"{day.isoformat()} 10:00",
            updated_source="meta:lastmodifiedtime" if updated else None,
            updated_raw=updated.isoformat() if updated else None,
        )
        return page, article

    def batch(self, start: int, count: int) -> list[tuple[Page, Article]]:
        return [self.article(i) for i in range(start, start + count)]


# ---------------------------------------------------------------------------------------
# Ingest
# ---------------------------------------------------------------------------------------

Statements = list[tuple[str, list[tuple[Any, ...]]]]


def bare_rows(pairs: Sequence[tuple[Page, Article]], first_id: int) -> Statements:
    """The rows ``save_article`` writes for new articles, built the same way (the archive's
    own row mapping, compression, hashes, JSON, the search index's prepared text and
    date-ordered rowid), as ``(INSERT statement, rows)`` for pages, articles,
    article_versions and articles_search, in that order, each in the order the articles
    came (the search rowids, date first, are then out of order)."""
    tables: dict[str, tuple[str, list[tuple[Any, ...]]]] = {}

    def add(table: str, row: dict[str, Any]) -> None:
        if table not in tables:
            columns, marks = ", ".join(row), ", ".join("?" * len(row))
            tables[table] = (f"INSERT INTO {table} ({columns}) VALUES ({marks})", [])
        tables[table][1].append(tuple(row.values()))

    recorded = datetime.now(UTC).isoformat()
    for offset, (page, article) in enumerate(pairs):
        rid = first_id + offset
        fetched = page.fetched_at.isoformat()
        add(
            "pages",
            {
                "id": rid,
                "url": page.url,
                "fetch_url": page.fetch_url,
                "final_url": page.final_url,
                "status": page.status,
                "headers": json.dumps(page.headers),
                "content_type": page.content_type or None,
                "body": zlib.compress(page.body, ZLIB_LEVEL),
                "compression": "zlib",
                "size": len(page.body),
                "sha256": page.sha256,
                "fetched_at": fetched,
                "last_seen_at": fetched,
            },
        )
        values = article_to_row(article)
        values.update(
            content_hash=article.content_hash,
            page_id=rid,
            extractor_version=EXTRACTOR_VERSION,
            fetched_at=fetched,
        )
        rowid, search = search_entry(rid, values)
        add(
            "articles",
            {"id": rid, **values, "first_seen_at": fetched, "version": 1, "search_rowid": rowid},
        )
        version = {k: v for k, v in values.items() if k not in ("url", "site", "fetched_at")}
        version.update(
            article_id=rid, version=1, cause="crawl", captured_at=fetched, recorded_at=recorded
        )
        add("article_versions", version)
        columns = ("title", "body", "site", "column_name", "source", "article_id")
        add("articles_search", {"rowid": rowid, **dict(zip(columns, search, strict=True))})
    return [tables[t] for t in ("pages", "articles", "article_versions", "articles_search")]


@dataclass
class IngestResult:
    n: int
    ours_s: float = 0.0  # save_article, one transaction each
    grouped_s: float = 0.0  # save_article, GROUP of them per transaction()
    batched_s: float = 0.0  # save_articles, CHUNK per call
    bare_s: float = 0.0  # the floor: executemany of the rows in the order they came
    sorted_s: float = 0.0  # the same, the search rows sorted by rowid within each 1,000
    build_s: float = 0.0
    counts_equal: bool = False
    rows_equal: bool = False

    def paths(self) -> list[tuple[str, float]]:
        """(label, seconds) of our three ways of writing, per-article commits first."""
        return [
            ("`save_article`, one transaction each", self.ours_s),
            (f"`save_article`, {GROUP} per `transaction()`", self.grouped_s),
            (f"`save_articles`, {CHUNK:,} per call", self.batched_s),
        ]


def same_rows(a: sqlite3.Connection, b: sqlite3.Connection, n: int) -> bool:
    """Do sampled rows of every written table agree between the two archives (all columns,
    but the time a version was recorded)?"""
    ids = sorted({1, n, *random.Random(n).sample(range(1, n + 1), min(n, 50))})
    marks = ", ".join("?" * len(ids))
    checks = [
        ("pages", "id"),
        ("articles", "id"),
        ("article_versions", "article_id"),
        ("articles_search", "article_id"),
    ]
    for table, key in checks:
        columns = [r[1] for r in a.execute(f"PRAGMA table_info({table})")]
        wanted = [c for c in columns if c not in ("id", "recorded_at")]
        select = f"SELECT {', '.join(wanted)} FROM {table} WHERE {key} IN ({marks}) ORDER BY {key}"
        if a.execute(select, ids).fetchall() != b.execute(select, ids).fetchall():
            return False
    return True


def _fresh(path: Path) -> Archive:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return Archive.open(path)


def ingest(corpus: Corpus, n: int, workdir: Path, log: Callable[[str], None]) -> IngestResult:
    ours = _fresh(workdir / f"ours-{n}.db")
    bare = _fresh(workdir / f"bare-{n}.db")  # the same schema, tokenizer and pragmas
    bare_sorted = _fresh(workdir / f"sorted-{n}.db")
    grouped = _fresh(workdir / f"grouped-{n}.db")
    batched = _fresh(workdir / f"batched-{n}.db")
    result = IngestResult(n)
    conn, conn_sorted = bare.conn, bare_sorted.conn
    for c in (conn, conn_sorted):
        c.execute("BEGIN IMMEDIATE")  # the floor: one transaction for everything
    started = time.perf_counter()
    for k, start in enumerate(range(0, n, CHUNK)):
        pairs = corpus.batch(start, min(CHUNK, n - start))

        def run_ours(pairs: list[tuple[Page, Article]] = pairs) -> None:
            t0 = time.perf_counter()
            for page, article in pairs:
                ours.save_article(page, article)
            result.ours_s += time.perf_counter() - t0

        def run_grouped(pairs: list[tuple[Page, Article]] = pairs) -> None:
            t0 = time.perf_counter()
            for first in range(0, len(pairs), GROUP):
                with grouped.transaction():
                    for page, article in pairs[first : first + GROUP]:
                        grouped.save_article(page, article)
            result.grouped_s += time.perf_counter() - t0

        def run_bare(pairs: list[tuple[Page, Article]] = pairs, first: int = start + 1) -> None:
            t0 = time.perf_counter()
            rows = bare_rows(pairs, first)  # timed apart: the floor is executemany alone
            t1 = time.perf_counter()
            for sql, batch in rows:
                conn.executemany(sql, batch)
            t2 = time.perf_counter()
            result.build_s += t1 - t0
            result.bare_s += t2 - t1

        def run_sorted(pairs: list[tuple[Page, Article]] = pairs, first: int = start + 1) -> None:
            rows = bare_rows(pairs, first)
            rows[3][1].sort()  # the order the archive writes a transaction's search rows in
            t0 = time.perf_counter()
            for sql, batch in rows:
                conn_sorted.executemany(sql, batch)
            result.sorted_s += time.perf_counter() - t0

        def run_batched(pairs: list[tuple[Page, Article]] = pairs) -> None:
            t0 = time.perf_counter()
            batched.save_articles(pairs, cause="crawl")
            result.batched_s += time.perf_counter() - t0

        runs = [run_ours, run_bare, run_grouped, run_sorted, run_batched]
        # Rotate the order chunk by chunk so no path always runs on a warmer cache.
        for run in runs[k % len(runs) :] + runs[: k % len(runs)]:
            run()
        done = start + len(pairs)
        if done % (CHUNK * 10) == 0 or done == n:
            log(
                f"  ingest {done:,}/{n:,}: ours {done / result.ours_s:,.0f}/s, "
                f"grouped {done / result.grouped_s:,.0f}/s, "
                f"batched {done / result.batched_s:,.0f}/s, "
                f"bare {done / max(result.bare_s, 1e-9):,.0f}/s "
                f"({time.perf_counter() - started:,.0f} s elapsed)"
            )
    t0 = time.perf_counter()
    conn.execute("COMMIT")
    t1 = time.perf_counter()
    conn_sorted.execute("COMMIT")
    result.bare_s += t1 - t0
    result.sorted_s += time.perf_counter() - t1
    archives = (ours, grouped, batched, bare_sorted)
    bare_counts = bare.counts()
    bare_search = bare.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0]
    result.counts_equal = bare_search == n
    result.rows_equal = True
    for archive in archives:
        counts = archive.counts()
        search = archive.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0]
        if counts != bare_counts or search != n:
            result.counts_equal = False
            log(
                f"  WARNING: row counts differ: {archive.path} {counts} {search}, bare "
                f"{bare_counts} {bare_search}"
            )
        if not same_rows(archive.conn, bare.conn, n):
            result.rows_equal = False
            log(f"  WARNING: sampled rows of {archive.path} and the floor differ")
    for archive in (*archives, bare):
        archive.close()
    return result


# ---------------------------------------------------------------------------------------
# Size, search, reparse
# ---------------------------------------------------------------------------------------


def sizes(path: Path, n: int) -> dict[str, Any]:
    archive = Archive.open(path)
    try:
        archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        groups: dict[str, int] = {}
        try:
            rows = archive.conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name"
            ).fetchall()
        except sqlite3.Error:
            rows = []
        owner = {
            name: tbl
            for name, tbl in archive.conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"
            )
        }
        for name, size in rows:
            if name in ("articles_search_data", "articles_search_idx"):
                group = "articles_search: FTS5 index"
            elif name == "articles_search_content":
                group = "articles_search: stored copy of the prepared text"
            elif name.startswith("articles_search"):
                group = "articles_search: docsize, config"
            elif name in owner and owner[name] in ("pages", "articles", "article_versions"):
                group = f"{owner[name]}: indexes"
            elif name in ("pages", "articles", "article_versions"):
                group = f"{name}: rows"
            else:
                group = "other (schema, runs, crawl_errors, …)"
            groups[group] = groups.get(group, 0) + size
    finally:
        archive.close()
    wal = Path(str(path) + "-wal")
    total = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return {"total": total, "per_article": total / n, "groups": groups}


@dataclass
class QueryStats:
    label: str
    query: str
    order: str
    since: date | None
    matches: int = 0
    times: list[float] = field(default_factory=list)

    def pct(self, q: float) -> float:
        data = sorted(self.times)
        k = min(len(data) - 1, max(0, math.ceil(q * len(data)) - 1))
        return data[k] * 1000

    @property
    def name(self) -> str:
        extra = f", since {self.since.isoformat()}" if self.since else ""
        return f"{self.label} `{self.query}` ({self.order}{extra})"


def search_latency(path: Path, vocab: Vocabulary, runs: int, budget_s: float) -> list[QueryStats]:
    """Time every query shape, round-robin. A query that has used ``budget_s`` seconds stops
    after at least ``MIN_RUNS`` runs (0: no budget, every query gets ``runs``)."""
    archive = Archive.open(path, readonly=True)
    since = date(2024, 1, 1)
    plans = [
        QueryStats(label, q, order, None)
        for label, q in vocab.queries
        for order in ("date", "relevance")
    ]
    plans.append(QueryStats("en common", "development", "date", since))
    try:
        for plan in plans:
            match = f"{{title body}} : ({fts_query(plan.query)})"
            sql = "SELECT count(*) FROM articles_search WHERE articles_search MATCH ?"
            params: list[Any] = [match]
            if plan.since:
                sql += " AND rowid >= ?"
                params.append(sort_key(plan.since, 0))
            plan.matches = archive.conn.execute(sql, params).fetchone()[0]

        def one(plan: QueryStats) -> float:
            t0 = time.perf_counter()
            hits = archive.search(plan.query, limit=20, order=plan.order, since=plan.since)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - t0
            assert len(hits) == min(20, plan.matches), (plan.name, len(hits), plan.matches)
            return elapsed

        for plan in plans:  # warm up
            for _ in range(5):
                one(plan)
        for _ in range(runs):  # round-robin, so noise spreads over every query alike
            for plan in plans:
                spent = sum(plan.times)
                if budget_s and len(plan.times) >= MIN_RUNS and spent >= budget_s:
                    continue
                plan.times.append(one(plan))
    finally:
        archive.close()
    return plans


def ranked_diagnostic(path: Path, plan: QueryStats, runs: int = 7) -> float:
    """Median ms of ranking alone: bm25 over the ranked window (the newest matches), best
    20, no snippets and no join. A diagnostic query, not ``archive.search``: the least a
    ranked search over that window can cost."""
    match = f"{{title body}} : ({fts_query(plan.query)})"
    sql = (
        "SELECT r FROM (SELECT rowid AS r, bm25(articles_search, 10.0, 1.0, 0, 0, 0) AS score"
        " FROM articles_search WHERE articles_search MATCH ? ORDER BY rowid DESC"
        f" LIMIT {RANKED_WINDOW}) ORDER BY score LIMIT 20"
    )
    archive = Archive.open(path, readonly=True)
    try:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            archive.conn.execute(sql, [match]).fetchall()
            times.append(time.perf_counter() - t0)
    finally:
        archive.close()
    return statistics.median(times) * 1000


def reparse_rate(path: Path) -> dict[str, Any]:
    archive = Archive.open(path)
    try:
        t0 = time.perf_counter()
        report = reparse(archive)
        elapsed = time.perf_counter() - t0
    finally:
        archive.close()
    return {
        "articles": report.articles,
        "seconds": elapsed,
        "rate": report.articles / elapsed,
        "unchanged": report.unchanged,
        "changed": len(report.changed),
        "failed": len(report.failed),
    }


def extraction_check(corpus: Corpus, sample: int = 200) -> tuple[int, int]:
    """How many of a sample of pages extract (generic rules) to exactly the stored Article."""
    same = 0
    for i in range(sample):
        page, article = corpus.article(i * 7919 % 1_000_000)
        if parse_article(page) == article:
            same += 1
    return same, sample


def _compress(pair: tuple[Page, Article], level: int) -> bytes:
    return zlib.compress(pair[0].body, level)


def breakdown(corpus: Corpus, workdir: Path, n: int = 1000) -> dict[str, float]:
    """Costs inside ``save_article`` measured apart, without a profiler (µs per article)."""
    pairs = corpus.batch(0, n)
    en = [a for i, (_, a) in enumerate(pairs) if i % 2 == 0]
    zh = [a for i, (_, a) in enumerate(pairs) if i % 2 == 1]

    def per(items: Sequence[Any], fn: Callable[[Any], object]) -> float:
        # The best of 3 passes: on a shared machine one pass can land on a busy moment.
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            for item in items:
                fn(item)
            best = min(best, time.perf_counter() - t0)
        return best / len(items) * 1e6

    def dumps(a: Article) -> None:
        for value in (list(a.paragraphs), dict(a.footer), list(a.footer_lines)):
            json.dumps(value, ensure_ascii=False)

    def both(a: Article) -> None:
        prepare(a.title)
        prepare(a.body_text)

    articles = [a for _, a in pairs]
    raw = sum(len(p.body) for p, _ in pairs)
    levels = sorted({ZLIB_LEVEL, 6})
    out = [
        (
            f"zlib.compress(page, {level}) of the ~9 KB raw page"
            + (" (the archive's level)" if level == ZLIB_LEVEL else ""),
            per(pairs, functools.partial(_compress, level=level)),
        )
        for level in levels
    ]
    out += [
        (
            f"stored share of the raw page, zlib level {level}",
            sum(len(zlib.compress(p.body, level)) for p, _ in pairs) / raw,
        )
        for level in levels
    ]
    out += [
        ("sha256 of the raw page", per(pairs, lambda pa: pa[0].sha256)),
        ("Article.content_hash (the model's own way)", per(articles, lambda a: a.content_hash)),
        ("JSON of paragraphs, footer, footer_lines", per(articles, dumps)),
        (
            "the archive's column values and content hash, from one JSON encoding "
            "(`_article_to_row`)",
            per(articles, article_to_row),
        ),
        ("`_search.prepare` of title + body, English article", per(en, both)),
        ("`_search.prepare` of title + body, Chinese article", per(zh, both)),
    ]
    out.append(
        (
            "tokens per English article",
            statistics.mean(len(prepare(a.body_text).split()) for a in en),
        )
    )
    out.append(
        (
            "tokens per Chinese article",
            statistics.mean(len(prepare(a.body_text).split()) for a in zh),
        )
    )
    # FTS5 keeps a pending in-memory segment only while rowids increase: the date-ordered
    # rowids of articles_search arrive out of order in a crawl.
    search_sql, rows = bare_rows(pairs, 1)[3]
    arrival = sorted(rows, key=lambda row: row[-1])  # article_id: the order they were saved
    for label, ordered in (
        ("FTS5 insert, one transaction, rows in arrival order (date rowids)", arrival),
        ("FTS5 insert, one transaction, the same rows sorted by rowid", sorted(rows)),
    ):
        archive = Archive.memory()
        archive.conn.execute("BEGIN IMMEDIATE")
        t0 = time.perf_counter()
        archive.conn.executemany(search_sql, ordered)
        archive.conn.execute("COMMIT")
        out.append((label + " (in memory)", (time.perf_counter() - t0) / len(rows) * 1e6))
        archive.close()
    # The transaction shape: the same four rows per article, one transaction for all of
    # them or one per article (as the crawl commits), in a file like the real archive.
    tables = bare_rows(pairs, 1)
    sqls = [sql for sql, _ in tables]
    by_article = [rows for _, rows in tables[:3]] + [sorted(tables[3][1], key=lambda r: r[-1])]
    per_article = list(zip(*by_article, strict=True))
    for label, one_each in (
        ("bare rows, one transaction for all (file)", False),
        ("bare rows, one transaction per article (file)", True),
    ):
        path = workdir / "shape.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        archive = Archive.open(path)
        conn = archive.conn
        t0 = time.perf_counter()
        if one_each:
            for row in per_article:
                conn.execute("BEGIN IMMEDIATE")
                for sql, values in zip(sqls, row, strict=True):
                    conn.execute(sql, values)
                conn.execute("COMMIT")
        else:
            conn.execute("BEGIN IMMEDIATE")
            for sql, batch in tables:
                conn.executemany(sql, batch)
            conn.execute("COMMIT")
        out.append((label, (time.perf_counter() - t0) / n * 1e6))
        archive.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return dict(out)


def profile_ingest(corpus: Corpus, n: int, workdir: Path) -> str:
    path = workdir / f"profile-{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    pairs = corpus.batch(0, n)
    archive = Archive.open(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for page, article in pairs:
        archive.save_article(page, article)
    profiler.disable()
    archive.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(15)
    text = out.getvalue()
    text = text.replace(sysconfig.get_paths()["stdlib"], "<stdlib>")
    text = text.replace(str(Path(sys.prefix)), "<venv>").replace(str(Path.cwd()), ".")
    lines = [ln.rstrip() for ln in text.splitlines()]
    start = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
    head = [ln.strip() for ln in lines[:start] if "function calls" in ln]
    return "\n".join(head + lines[start:]).strip()


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def machine(code: str) -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for dist in ("portal-archive", "sqlite-utils", "selectolax"):
        with contextlib.suppress(Exception):
            versions.append(f"{dist} {dist_version(dist)}")
    return (
        f"{os.cpu_count()} × {cpu}, {platform.platform()}; code {code}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        + ", ".join(versions)
    )


def revision() -> str:
    """The commit the measured code is at, and whether src/ had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "?"
    return (head or "?") + (" + uncommitted changes in src/" if dirty else "")


def render(
    *,
    command: str,
    code: str,
    ingests: list[IngestResult],
    size_info: dict[int, dict[str, Any]],
    searches: dict[int, list[QueryStats]],
    reparse_info: tuple[int, dict[str, Any]] | None,
    check: tuple[int, int],
    runs: int,
    budget: float,
    costs: dict[str, float],
    diag: dict[int, tuple[QueryStats, float]],
    profile: tuple[int, str] | None,
    seed: int,
) -> str:
    out = [SECTION, ""]
    out.append(f"Command: `{command}`  ")
    out.append(f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}  ")
    out.append(f"Machine: {machine(code)}")
    out.append("")
    out.append(
        f"Synthetic corpus (seed {seed}): half English, half Chinese; 8–15 paragraphs and "
        "~5 KB of text per article, a ~9 KB HTML page as the raw body, dates 2010–2025, "
        "saved without a site. Quote the ratios: the absolute rates move with the load of "
        "this shared machine."
    )
    out += [
        "",
        "### Ingest (articles/s; an article is a row in each of pages, articles, "
        "article_versions and articles_search)",
        "",
    ]
    labels = [label for label, _ in ingests[0].paths()]
    out.append(
        "| articles | bare `executemany` (floor) | floor, search rows sorted | "
        + " | ".join(f"ours: {label}" for label in labels)
        + " | floor + building its rows |"
    )
    out.append("|---" * (4 + len(labels)) + "|")
    for r in ingests:
        cells = [f"{r.n:,}", f"{r.n / r.bare_s:,.0f}", f"{r.n / r.sorted_s:,.0f}"]
        for _, seconds in r.paths():
            ratio = r.bare_s / seconds
            verdict = "met" if ratio >= INGEST_TARGET else "missed"
            cells.append(
                f"{r.n / seconds:,.0f} (**{ratio:.2f}** of floor, {verdict}; "
                f"{r.sorted_s / seconds:.2f} of sorted)"
            )
        cells.append(f"{r.n / (r.bare_s + r.build_s):,.0f}")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append(
        "Rates in articles/s; in brackets the share of the floor's rate (target "
        f"{INGEST_TARGET:.2f}), then of the sorted floor's. The floor is a fresh archive made "
        "by `Archive.open` (same tables, same FTS5 tokenizer, WAL, `synchronous=NORMAL`) "
        "filled by `executemany` of the same rows in one transaction, 1,000 articles per "
        "call, in the order the articles came. The archive writes a transaction's search "
        "rows sorted by rowid just before it commits, which FTS5 takes faster; the sorted "
        "floor gets that too (its rows sorted per call, outside the timed part), so it is "
        "the floor that nothing can beat. The floors' rows (zlib-compressed page, sha256, "
        "JSON, content hash, the search index's prepared text and date-ordered rowid) are "
        "built outside the timed part, because the issue defines the floor as a bare "
        "executemany of the same rows; the last column adds that building time back to the "
        "floor. `save_article` alone commits one transaction per article; the crawl commits "
        f"groups of them in one `Archive.transaction()` ({GROUP} here). All five run "
        "interleaved, 1,000 articles at a time, in one process. "
        + (
            "The five archives hold the same rows (counts of every table agree, and ~50 "
            "sampled rows of each, compared column by column)."
            if all(r.counts_equal and r.rows_equal for r in ingests)
            else "**The archives do not hold the same rows: the comparison is void.**"
        )
    )
    out += [
        "",
        "Costs inside `save_article`, measured apart on 1,000 articles (no profiler; the "
        "Python work: best of 3 passes):",
        "",
        "| work | µs per article |",
        "|---|---|",
    ]
    out += [
        f"| {label} | {us:,.0f} |"
        for label, us in costs.items()
        if "tokens" not in label and "share" not in label
    ]
    all_sizes = sorted(searches)
    budget_note = (
        f"; a query stops after {budget:.0f} s of timed runs once it has {MIN_RUNS}"
        if budget
        else ""
    )
    out += [
        "",
        f"### Search latency (ms; `archive.search(q, limit=20)`; up to {runs} timed "
        f"runs per query after 5 warm-up runs, round-robin{budget_note})",
        "",
    ]
    header = "| query | " + " | ".join(
        f"matches @{n:,} | runs | p50 / p95 / max @{n:,}" for n in all_sizes
    )
    out.append(header + " |")
    out.append("|---" * (1 + 3 * len(all_sizes)) + "|")
    for i in range(len(searches[all_sizes[0]])):
        cells = []
        for n in all_sizes:
            q = searches[n][i]
            cells.append(f"{q.matches:,} ({q.matches / n:.1%})")
            cells.append(str(len(q.times)))
            flag = " ✗" if n >= 100_000 and q.pct(0.95) >= P95_TARGET_MS else ""
            cells.append(f"{q.pct(0.5):.1f} / {q.pct(0.95):.1f}{flag} / {max(q.times) * 1000:.1f}")
        out.append(f"| {searches[all_sizes[0]][i].name} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("✗: p95 at or over the 50 ms target (set at 100,000 articles).")
    out += [
        "",
        "### Size (bytes per article, after `PRAGMA wal_checkpoint(TRUNCATE)`; parts "
        "from `dbstat`)",
        "",
    ]
    ns = sorted(size_info)
    out.append("| part | " + " | ".join(f"@{n:,}" for n in ns) + " |")
    out.append("|---" * (1 + len(ns)) + "|")
    out.append(
        "| **whole file** | "
        + " | ".join(
            f"**{size_info[n]['per_article']:,.0f}** ({size_info[n]['total'] / 1e6:,.0f} MB)"
            for n in ns
        )
        + " |"
    )
    groups = sorted(
        {g for n in ns for g in size_info[n]["groups"]},
        key=lambda g: -size_info[ns[-1]]["groups"].get(g, 0),
    )
    for g in groups:
        out.append(
            f"| {g} | "
            + " | ".join(f"{size_info[n]['groups'].get(g, 0) / n:,.0f}" for n in ns)
            + " |"
        )
    if reparse_info:
        n, rp = reparse_info
        out += ["", "### Reparse", ""]
        out.append("| articles | seconds | pages/s | unchanged | changed | failed |")
        out.append("|---|---|---|---|---|---|")
        out.append(
            f"| {n:,} | {rp['seconds']:.1f} | {rp['rate']:,.0f} | {rp['unchanged']:,} | "
            f"{rp['changed']:,} | {rp['failed']:,} |"
        )
        out.append("")
        out.append(
            "`portal_archive.reparse.reparse(archive)` over the whole archive: read each stored "
            "page, decompress, extract with the generic rules, save (unchanged). Before the run, "
            f"{check[0]} of {check[1]} sampled pages extracted to exactly the Article stored."
        )
    if profile:
        n, text = profile
        out += [
            "",
            f"### cProfile of `save_article` ({n:,} articles, top 15 by cumulative time)",
            "",
            "The profiler charges every Python-level call, so code that makes many small "
            "calls looks slower here than in the costs table above.",
            "",
            "```",
            text,
            "```",
        ]
    out += ["", "### What the numbers mean", ""]
    out.append(meaning(ingests, searches, costs, diag, size_info))
    return "\n".join(out) + "\n"


def meaning(
    ingests: list[IngestResult],
    searches: dict[int, list[QueryStats]],
    costs: dict[str, float],
    diag: dict[int, tuple[QueryStats, float]],
    size_info: dict[int, dict[str, Any]],
) -> str:
    parts = []
    for r in ingests:
        met = [label for label, sec in r.paths() if r.bare_s / sec >= INGEST_TARGET]
        missed = [label for label, sec in r.paths() if r.bare_s / sec < INGEST_TARGET]
        floor_us, sorted_us = r.bare_s / r.n * 1e6, r.sorted_s / r.n * 1e6
        sentence = (
            f"**Ingest, {r.n:,} articles:** the floor takes {floor_us:,.0f} µs per article "
            f"({sorted_us:,.0f} µs with its search rows sorted). "
        )
        sentence += "; ".join(
            f"{label} takes {sec / r.n * 1e6:,.0f} µs ({r.bare_s / sec:.0%} of the floor's "
            f"rate, {r.sorted_s / sec:.0%} of the sorted floor's)"
            for label, sec in r.paths()
        )
        sentence += ". " + (
            f"The target (≥ {INGEST_TARGET:.0%}) is met by "
            + " and ".join(met)
            + (f", missed by {' and '.join(missed)}." if missed else ".")
            if met
            else f"No path meets the target (≥ {INGEST_TARGET:.0%})."
        )
        sentence += (
            f" Counting the {r.build_s / r.n * 1e6:,.0f} µs it takes to build the floor's rows, "
            f"`save_article` with one transaction each runs at "
            f"{(r.bare_s + r.build_s) / r.ours_s:.0%} of it."
        )
        parts.append(sentence)
    python_costs = {
        k: v
        for k, v in costs.items()
        if not k.startswith(("FTS5", "bare", "tokens", "stored share"))
        and not (k.startswith("zlib") and "archive's level" not in k)
        # Measured for comparison; the archive does this work inside `_article_to_row`.
        and not k.startswith(("Article.content_hash", "JSON of"))
    }
    top, top_us = max(python_costs.items(), key=lambda kv: kv[1])
    one = costs["bare rows, one transaction for all (file)"]
    each = costs["bare rows, one transaction per article (file)"]
    arrival = next(v for k, v in costs.items() if "arrival order" in k)
    ordered = next(v for k, v in costs.items() if "sorted by rowid" in k)
    parts.append(
        "Where the time goes (costs table): building the rows, which the floor is spared; its "
        f"largest item is {top} ({top_us:,.0f} µs). Committing once per article costs "
        f"{each:,.0f} µs per article against {one:,.0f} µs for the same rows in one "
        "transaction: every commit writes its pages to the WAL and flushes a new FTS5 segment, "
        "which is why the crawl commits a group of URLs at a time."
    )
    if arrival > 1.3 * ordered:
        parts.append(
            "A transaction's search rows are written sorted by rowid just before it commits: "
            "the date-ordered rowids arrive out of order, and FTS5 keeps its pending segment in "
            f"memory only while they increase ({arrival:,.0f} µs a row in arrival order against "
            f"{ordered:,.0f} µs sorted). The floor, as the issue defines it, takes the rows in "
            "the order they came; against the sorted floor, which has that gain too, the "
            "shares are the last figure in each cell. A lone `save_article` has a single row "
            "to write and gains nothing."
        )
    levels = sorted(
        (int(k.split()[-1]), v) for k, v in costs.items() if k.startswith("stored share")
    )
    speeds = {
        int(k.split("(page, ")[1].split(")")[0]): v
        for k, v in costs.items()
        if k.startswith("zlib.compress")
    }
    if len(levels) > 1:
        parts.append(
            "Raw pages are compressed at zlib level "
            f"{ZLIB_LEVEL}: "
            + ", ".join(
                f"level {lv} takes {speeds[lv]:,.0f} µs and keeps {share:.1%} of the bytes"
                for lv, share in levels
            )
            + "."
        )
    zh_tokens, en_tokens = costs["tokens per Chinese article"], costs["tokens per English article"]
    floor_notes = [
        f"Chinese text is indexed one token per character ({zh_tokens:,.0f} tokens an article "
        f"against {en_tokens:,.0f} for English)"
    ]
    if any("stored copy" in g for info in size_info.values() for g in info["groups"]):
        floor_notes.append("the FTS5 table keeps its own copy of the prepared text")
    parts.append(
        "The floor itself is far above the 140 µs anchor for a 5 KB English article: "
        + "; ".join(floor_notes)
        + "."
    )
    big = max(searches)
    slow = [q for q in searches[big] if q.pct(0.95) >= P95_TARGET_MS]
    worst = max(searches[big], key=lambda q: q.pct(0.95))
    if big < 100_000:
        parts.append(
            f"**Search:** the target is set at 100,000 articles and this run stopped at "
            f"{big:,}, so it does not test it (worst p95 here {worst.pct(0.95):.1f} ms, "
            f"{worst.name})."
        )
    elif slow:
        fast = [q for q in searches[big] if q.pct(0.95) < P95_TARGET_MS]
        parts.append(
            f"**Search at {big:,} articles misses the p95 < 50 ms target** for "
            + "; ".join(f"{q.name}: {q.pct(0.95):,.0f} ms" for q in slow)
            + f". The other {len(fast)} query shapes meet it"
            + (f" (worst {max(q.pct(0.95) for q in fast):.1f} ms)." if fast else ".")
        )
    else:
        parts.append(
            f"**Search at {big:,} articles meets the p95 < 50 ms target** for every query "
            f"shape (worst p95 {worst.pct(0.95):.1f} ms: {worst.name})."
        )
    if big in diag:
        q, ranking = diag[big]
        parts.append(
            f"Ranking alone (bm25 over the newest {RANKED_WINDOW:,} matches, best 20, no "
            "snippets: a diagnostic query, not `archive.search`) takes "
            f"{ranking:,.0f} ms (median) for the slowest ranked query, {q.name}, whose p50 "
            f"through `archive.search` is {q.pct(0.5):,.0f} ms."
        )
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--quick", action="store_true", help="one archive of 2,000 articles")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per query")
    parser.add_argument(
        "--query-budget",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop timing a query after this many seconds once it has "
        f"{MIN_RUNS} runs (0: always --runs)",
    )
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile save_article over N articles",
    )
    parser.add_argument("--workdir", type=Path, help="where the archives go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the archives")
    parser.add_argument("--out", type=Path, help=f"write the '{SECTION}' section into this file")
    args = parser.parse_args(argv)
    sizes_wanted = [2_000] if args.quick else sorted(set(args.sizes))
    command = "python bench/bench_archive.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    code = revision()  # before anything runs: others may edit src/ during a long run
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-archive-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"archives in {workdir}")
    corpus = Corpus(args.seed)
    check = extraction_check(corpus)
    log(f"extraction check: {check[0]}/{check[1]} sample pages extract to the stored Article")
    ingests, size_info, searches = [], {}, {}
    diag: dict[int, tuple[QueryStats, float]] = {}
    try:
        costs = breakdown(corpus, workdir)
        for n in sizes_wanted:
            log(f"building {n:,} articles")
            ingests.append(ingest(corpus, n, workdir, log))
            size_info[n] = sizes(workdir / f"ours-{n}.db", n)
            if not args.keep:
                for name in (
                    f"bare-{n}.db",
                    f"sorted-{n}.db",
                    f"grouped-{n}.db",
                    f"batched-{n}.db",
                ):
                    for suffix in ("", "-wal", "-shm"):
                        Path(str(workdir / name) + suffix).unlink(missing_ok=True)
            log(f"  {size_info[n]['per_article']:,.0f} bytes/article; searching")
            searches[n] = search_latency(
                workdir / f"ours-{n}.db", corpus.vocab, args.runs, args.query_budget
            )
            ranked = [q for q in searches[n] if q.order == "relevance"]
            worst = max(ranked, key=lambda q: q.pct(0.5))
            diag[n] = (worst, ranked_diagnostic(workdir / f"ours-{n}.db", worst))
        reparse_n = 10_000 if 10_000 in sizes_wanted else sizes_wanted[0]
        log(f"reparse of {reparse_n:,}")
        reparse_info = (reparse_n, reparse_rate(workdir / f"ours-{reparse_n}.db"))
        profile = None
        if args.profile:
            log(f"profiling save_article over {args.profile:,} articles")
            profile = (args.profile, profile_ingest(corpus, args.profile, workdir))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    section = render(
        command=command,
        code=code,
        ingests=ingests,
        size_info=size_info,
        searches=searches,
        reparse_info=reparse_info,
        check=check,
        runs=args.runs,
        budget=args.query_budget,
        costs=costs,
        diag=diag,
        profile=profile,
        seed=args.seed,
    )
    print(section)
    if args.out:
        write_section(args.out, SECTION, section)
        log(f"wrote {SECTION!r} into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
