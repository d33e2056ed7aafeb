"""The tool's own words in rendered outputs, in Chinese (default) and English (``--lang en``).

A small message catalogue, not gettext: one table of ``key: (中文, English)`` pairs, so a key can
never exist in one language only, and ``str.format`` placeholders for the data that goes in.
Only the tool's words are translated: unit names, group and section titles, item titles,
grade names and reasons come from the rubric and the returns and stay as they are.

Renderers take a language explicitly (``lang="en"``). Commands whose rendering happens in code
that does not pass one (``safescore annual``) set the language for the call with
:func:`use_lang`; ``lang=None`` everywhere means "the current language" (:func:`current_lang`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

# fmt: off
MESSAGES: dict[str, tuple[str, str]] = {
    # --- common ---------------------------------------------------------------------------------
    "html_lang": ("zh-CN", "en"),
    "rank": ("排名", "Rank"),
    "place": ("名次", "Rank"),
    "unit": ("单位", "Unit"),
    "group": ("分组", "Group"),
    "total": ("总分", "Total"),
    "grade": ("等次", "Grade"),
    "change": ("较上期", "Change"),
    "marks": ("标记", "Marks"),
    "remarks": ("备注", "Remarks"),
    "points": ("分值", "Points"),
    "full_marks": ("满分", "Full marks"),
    "score": ("得分", "Score"),
    "lost": ("扣分", "Lost"),
    "lost_section": ("失分", "Lost"),
    "bonus": ("加分", "Bonus"),
    "penalty": ("减分", "Penalty"),
    "penalty_row": ("扣减", "Penalty"),
    "status": ("状态", "Status"),
    "no": ("序号", "No."),
    "item": ("指标", "Item"),
    "assessed_item": ("考评项目", "Item"),
    "reason": ("扣分原因", "Reason"),
    "evidence": ("佐证材料", "Evidence"),
    "source": ("来源", "Source"),
    "reason_evidence": ("扣分原因及依据", "Reason and evidence"),
    "section": ("一级指标", "Section"),
    "section_content": ("考评内容", "Section"),
    "units_lost": ("扣分单位数", "Units"),
    "points_lost": ("合计扣分", "Points lost"),
    "scale_small": ("满分{scale}", "of {scale}"),
    "new": ("新", "new"),
    "veto_mark": ("一票否决：{title}", "Veto: {title}"),
    "not_submitted": ("未报送", "not submitted"),
    "status_已报送": ("已报送", "submitted"),
    "status_未报送": ("未报送", "not submitted"),
    "status_无需报送": ("无需报送", "not required"),
    "with_action": ("{title}（{action}）", "{title} ({action})"),
    "unit_says": ("{unit}：{text}", "{unit}: {text}"),
    "basis": ("依据：{text}", "Evidence: {text}"),
    "from": ("来源：{text}", "Source: {text}"),
    "none_lost": ("本期无扣分项", "No points lost this period"),
    "none_lost_s": ("本期无扣分项。", "No points lost this period."),
    "none_lost_html": ("本期无扣分事项。", "No points lost this period."),
    "sort_hint": ("点击排序", "Click to sort"),
    "no_data": ("暂无数据", "No data"),
    # --- the bulletin (view-model) -----------------------------------------------------------------
    "issuer_default": ("安全生产委员会办公室", "Work Safety Committee Office"),
    "bulletin_title": ("关于{period}{short}考评结果的通报", "Notice of the {period} assessment results: {short}"),
    "overview": (
        "根据《{rubric}》，安委会办公室组织对{groups}单位开展了{period}安全生产考评，"
        "共考评{n}个单位，发现扣分问题{problems}项。现将考评结果通报如下。",
        "Under “{rubric}”, the Work Safety Committee Office assessed the work safety of {groups} "
        "for {period}: {n} units in all, with {problems} deductions found. The results are as follows.",
    ),
    "overview_group": ("{title}{n}个", "{n} {title}"),
    "next_step_1": (
        "各单位要对照问题清单逐项整改，于收到通报后15个工作日内将整改情况报送安委会办公室。",
        "Each unit is to rectify every item of its problem list and report to the Work Safety "
        "Committee Office within 15 working days of receiving this notice.",
    ),
    "next_step_2": (
        "排名靠后的单位要深刻剖析原因，主要负责人在安委会全体会议上作表态发言。",
        "Units ranked at the bottom are to analyse the causes; their heads will state their "
        "commitments at the plenary meeting of the Work Safety Committee.",
    ),
    "next_step_3": (
        "安委会办公室将对整改情况进行跟踪督办，整改不力的将在下一期考评中从严扣分。",
        "The Work Safety Committee Office will follow up the rectification; units that fail to "
        "rectify will lose points in the next assessment.",
    ),
    # --- the bulletin (Word and HTML) --------------------------------------------------------------
    "b_results": ("考评结果", "Assessment results"),
    "b_rankings": ("考评排名情况", "Rankings"),
    "b_group_intro_html": (
        "{group}共{n}个单位参加考评（满分{scale}分），其中{counts}。得分及排名如下：",
        "{n} units of {group} were assessed (full marks {scale}): {counts}. Scores and ranks:",
    ),
    "b_grade_count": ("{grade}{n}个", "{grade} {n}"),
    "b_rank_caption": ("{group}考评得分排名", "{group}: scores and ranks"),
    "b_bars_title": ("{group}考评得分（满分{scale}分）", "{group}: scores (full marks {scale})"),
    "b_bars_gap": ("（略去{n}个单位）", "({n} units omitted)"),
    "b_bars_ends": ("：前{ends}名与后{ends}名", ": top {ends} and bottom {ends}"),
    "b_praise_bottom": ("表扬和排名靠后单位", "Commended and bottom-ranked units"),
    "b_praise_called": ("表扬和通报情况", "Commended and called-out units"),
    "b_commended": ("表扬单位", "Commended units"),
    "b_commended_doc": ("予以表扬的单位", "Units commended"),
    "b_bottom": ("排名靠后单位", "Bottom-ranked units"),
    "b_bottom_doc": ("排名靠后的单位", "Units ranked at the bottom"),
    "b_group_units": ("{group}：{units}。", "{group}: {units}."),
    "b_group_none": ("{group}：无。", "{group}: none."),
    "b_bottom_n": ("后{n}名", "bottom {n}"),
    "b_group_bottom": ("{group}排名后{n}名：", "{group}, bottom {n}: "),
    "b_group_bottom_doc": ("{group}后{n}名：{units}", "{group}, bottom {n}: {units}"),
    "b_bottom_advice": (
        "请上述单位认真分析失分原因，制定整改措施，切实补齐工作短板。",
        "These units are to analyse why they lost points, plan rectification and close the gaps.",
    ),
    "b_no_bottom": ("本期无通报排名靠后单位。", "No unit is called out this period."),
    "b_reasons": ("主要扣分问题", "Main reasons for lost points"),
    "b_reasons_intro": (
        "本期考评共有{n}个考评项目出现扣分，按合计扣分从多到少排列如下。",
        "Points were lost on {n} items this period, listed by points lost, most first.",
    ),
    "b_reason_line": (
        "共{units}个单位在该项失分，合计扣{lost}分。",
        "{units} units lost points here, {lost} points in all.",
    ),
    "b_reason_examples": ("主要问题有：", "Main problems:"),
    "b_reasons_top": ("失分较多的问题主要有：", "The items that cost most points:"),
    "b_reason_head": ("{title}（{units}个单位扣分，合计扣{lost}分）", "{title} ({units} units, {lost} points lost)"),
    "b_no_reasons": ("本期各单位均未发现扣分问题。", "No unit lost points this period."),
    "b_vetoes_warnings": ("一票否决和预警情况", "Vetoes and warnings"),
    "b_vetoes_warnings_doc": ("一票否决、预警及未报送情况", "Vetoes, warnings and returns not submitted"),
    "b_veto_line": ("{unit}：{title}，实行一票否决。", "{unit}: {title}; vetoed."),
    "b_no_vetoes": ("本期无一票否决情况。", "No veto this period."),
    "b_warning_line": ("{unit}：{text}。", "{unit}: {text}."),
    "b_no_warnings": ("本期无预警情况。", "No warning this period."),
    "b_vetoed_units": ("实行一票否决的单位：{text}。", "Vetoed: {text}."),
    "b_warned_units": ("予以预警的单位：{text}。", "Warned: {text}."),
    "b_unit_paren": ("{unit}（{text}）", "{unit} ({text})"),
    "b_late_units": ("未按时报送考评材料的单位：{units}。", "Returns not submitted in time: {units}."),
    "b_submission": ("资料报送情况", "Returns"),
    "b_not_submitted": (
        "以下{n}个单位未按时报送考评资料：",
        "{n} units did not submit their returns in time: ",
    ),
    "b_all_submitted": ("本期各单位均按时报送考评资料。", "Every unit submitted its return in time."),
    "b_next_steps": ("下一步工作要求", "Next steps"),
    "b_attachments": ("附件：", "Attachments: "),
    "b_attachment": ("附件", "Attachment"),
    "b_attachment_n": ("附件{n}", "Attachment {n}"),
    "b_summary_table": ("{period}考评得分汇总表", "{period} score summary"),
    "b_score_table": ("各单位考评得分明细表", "Scores of every unit"),
    "b_score_table_title": ("{period}各单位考评得分明细表", "{period} scores of every unit"),
    "b_problem_lists": ("各单位扣分问题清单", "Problem lists of every unit"),
    "b_problem_lists_elsewhere": (
        "本期共{n}个单位参加考评，各单位扣分问题清单不随本通报印发，见各单位反馈单和考评结果表（results.xlsx）“问题清单”工作表。",
        "{n} units were assessed this period; their problem lists are not attached to this bulletin but sent "
        "as per-unit letters and listed in the problem-list sheet of results.xlsx.",
    ),
    "b_problem_lists_title": ("{period}各单位扣分问题清单", "{period} problem lists of every unit"),
    "b_group_scale": ("{group}（{n}个单位，满分{scale}分）", "{group} ({n} units, full marks {scale})"),
    "t_group_title": ("{group}（{n}个单位，满分{scale}）", "{group} ({n} units, full marks {scale})"),
    "b_unit_line": ("{unit}（得分{total}，第{rank}名）", "{unit} (score {total}, rank {rank})"),
    "b_unit_facts": (
        "{group}，总分{total}分，组内第{rank}/{size}名，等次",
        "{group}; total {total}; rank {rank} of {size}; grade ",
    ),
    "b_salutation": ("各{group}", "{group}"),
    "b_to": ("{groups}：", "To {groups}:"),
    # --- letters -----------------------------------------------------------------------------------
    "letter_heading": ("安全生产考评结果反馈单", "Work safety assessment: feedback"),
    "l_html_title": ("{unit}{period}考评反馈单", "{unit}: {period} assessment feedback"),
    "l_html_heading": ("{period}安全生产考评反馈单", "{period} work safety assessment: feedback"),
    "l_rubric": ("依据：《{rubric}》", "Rubric: “{rubric}”"),
    "l_group_rank": ("组内排名", "Rank in group"),
    "l_status": ("报送状态", "Return"),
    "l_bonus": ("加分项", "Bonus"),
    "l_penalty": ("减分项", "Penalty"),
    "l_self_total": ("自评总分", "Self-assessed total"),
    "l_self_diff": ("{self}（考评{total}，差{diff}）", "{self} (assessed {total}, difference {diff})"),
    "l_sections": ("各一级指标得分", "Scores by section"),
    "l_scores": ("得分情况", "Scores"),
    "l_deductions_n": ("扣分事项（{n}项）", "Points lost ({n} items)"),
    "l_deductions": ("扣分明细", "Points lost"),
    "l_profile_title": ("{unit}各一级指标得分率", "{unit}: share of each section's points kept"),
    "l_profile_short": ("各一级指标得分率", "Share of each section's points kept"),
    "l_trend_title": ("{unit}历次考评总分及排名", "{unit}: total and rank by period"),
    "l_trend_short": ("历次考评总分及排名", "Total and rank by period"),
    "l_trend_rank": ("第{rank}名", "#{rank}"),
    "l_to": ("{unit}：", "To {unit}:"),
    "l_summary_1": (
        "在本期考评中，你单位在{group}{size}个单位中得分{total}分，",
        "In this assessment your unit scored {total} among the {size} units of {group}, ",
    ),
    "l_summary_rank": ("排名第{rank}位", "ranking {rank}"),
    "l_summary_grade": ("，等次为{grade}。", ", grade {grade}. "),
    "l_summary_end": ("。", ". "),
    "l_summary_extra": ("其中{parts}。", "This includes {parts}. "),
    "l_summary_bonus": ("加分{n}分", "a bonus of {n}"),
    "l_summary_penalty": ("扣减{n}分", "a penalty of {n}"),
    "l_summary_self": ("你单位自评{n}分。", "Your self-assessed total was {n}. "),
    "l_summary_veto": ("因{vetoes}，实行一票否决。", "Vetoed for: {vetoes}. "),
    "l_summary_status": ("报送状态：{status}。", "Return: {status}. "),
    "l_summary_lost": ("共有{n}项扣分，明细如下。", "Points were lost on {n} items, as follows."),
    "l_summary_none": ("本期无扣分项。", "No points were lost this period."),
    "l_summary_deadline": (
        "请于{deadline}前完成整改，并将整改情况书面报送安委会办公室。",
        " Please rectify them by {deadline} and report in writing to the Work Safety Committee Office.",
    ),
    "l_deadline_html": (
        "请于{deadline}前完成上述问题的整改，并将整改情况书面报送安委会办公室。",
        "Please rectify the problems above by {deadline} and report in writing to the Work Safety "
        "Committee Office.",
    ),
}
# fmt: on

# Words of results.xlsx and the terminal that are keyed by their Chinese form (the column
# headers are declared as Chinese tuples in those modules); the English of each.
WORDS_EN: dict[str, str] = {
    "排名": "Rank", "单位": "Unit", "总分": "Total", "等次": "Grade", "较上期": "Change",
    "加分": "Bonus", "减分": "Penalty", "一票否决": "Veto", "标记": "Marks", "分组": "Group",
    "指标编码": "Item", "指标名称": "Title", "分值": "Points", "取值": "Value", "评分标准": "Rule",
    "得分": "Score", "扣分": "Lost", "扣分原因": "Reason", "来源": "Source", "文件": "File",
    "工作表": "Sheet", "单元格": "Cell", "佐证": "Evidence", "序号": "No.", "整改期限": "Fix by",
    "级别": "Severity", "代码": "Code", "行": "Line", "列": "Column", "字段": "Field",
    "所见值": "Seen", "应为": "Expected", "说明": "Message", "项目": "Key", "内容": "Value",
    "点名": "called out", "表扬": "commended", "未报送": "not submitted", "预警": "warning",
    "自评偏高": "self-score high", "否决前总分": "total before veto", "单位填报": "own return",
    "考评细则": "Rubric", "细则编号": "Rubric id", "版本": "Version", "细则SHA-256": "Rubric SHA-256",
    "考评期": "Period", "期别": "Period label", "小数位数": "Decimals", "生成时间": "Created",
    "工具版本": "Tool version", "参评单位": "Units", "输入文件": "Input files", "用途": "Role",
    "版式": "Layout", "等次颜色": "Grade colours", "被否决单位": "vetoed unit", "考评结果排名": "ranking",
    "新": "new", "否决": "veto", "持平": "same",
}  # fmt: skip

CN_NUM = "零一二三四五六七八九十"
MONTHS = "January February March April May June July August September October November December".split()

_LANG: ContextVar[str] = ContextVar("safescore_lang", default=DEFAULT_LANG)


def check_lang(lang: str) -> str:
    """``lang`` if supported, else ValueError naming the supported ones."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; supported: {', '.join(LANGS)}")
    return lang


def current_lang() -> str:
    """The language set by :func:`use_lang` for this call, else Chinese."""
    return _LANG.get()


def resolve(lang: str | None) -> str:
    """``lang``, or the current language when None."""
    return check_lang(lang) if lang is not None else current_lang()


@contextlib.contextmanager
def use_lang(lang: str) -> Iterator[None]:
    """Render in ``lang`` inside the ``with`` block (for code that passes no language itself)."""
    token = _LANG.set(check_lang(lang))
    try:
        yield
    finally:
        _LANG.reset(token)


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 30 → 三十: the numbering of headings 一、 and （一）."""
    if 0 <= n <= 10:
        return CN_NUM[n]
    if n < 20:
        return "十" + CN_NUM[n - 10]
    if n < 100:
        return CN_NUM[n // 10] + "十" + (CN_NUM[n % 10] if n % 10 else "")
    return str(n)


class Catalog:
    """The messages of one language: ``t("key", name=value)``, plus numbering and punctuation."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)
        i = LANGS.index(self.lang)
        self._messages = {key: pair[i] for key, pair in MESSAGES.items()}
        self.en = self.lang == "en"

    def __call__(self, key: str, /, **values: object) -> str:
        text = self._messages[key]
        return text.format(**values) if values else text

    def raw(self, key: str) -> str:
        """The message with its ``{placeholders}`` unfilled (for markup-aware formatting)."""
        return self._messages[key]

    # numbering of headings: 一、 / 1.   （一） / (1)   1． / 1.
    def h1(self, n: int) -> str:
        return f"{n}. " if self.en else f"{cn_number(n)}、"

    def h2(self, n: int) -> str:
        return f"({n}) " if self.en else f"（{cn_number(n)}）"

    def h3(self, n: int) -> str:
        return f"{n}. " if self.en else f"{n}．"

    def join(self, items: Iterable[str]) -> str:
        """A list of names: 甲、乙 / A, B."""
        return (", " if self.en else "、").join(items)

    def semi(self, items: Iterable[str]) -> str:
        """A list of clauses: 甲；乙 / A; B."""
        return self.sep.join(items)

    @property
    def sep(self) -> str:
        """Between clauses: ； / ; ."""
        return "; " if self.en else "；"

    @property
    def comma(self) -> str:
        return ", " if self.en else "，"

    @property
    def stop(self) -> str:
        return "." if self.en else "。"

    def word(self, zh: str) -> str:
        """A word keyed by its Chinese form (xlsx and terminal headers)."""
        return WORDS_EN.get(zh, zh) if self.en else zh

    def status(self, status: str) -> str:
        """已报送 / 未报送 / 无需报送 in this language."""
        return self._messages.get(f"status_{status}", status)

    def period(self, period: str | None) -> str:
        """2022Q1 → 2022年第一季度 / Q1 2022; 2022-03 → 2022年3月 / March 2022; 2022H1; 2022."""
        if not period:
            return ""
        p = period.strip().upper()
        if len(p) == 6 and p[4] == "Q":
            return f"Q{p[5]} {p[:4]}" if self.en else f"{p[:4]}年第{CN_NUM[int(p[5])]}季度"
        if len(p) == 6 and p[4] == "H":
            if self.en:
                return f"H{p[5]} {p[:4]}"
            return f"{p[:4]}年{'上' if p[5] == '1' else '下'}半年"
        if len(p) == 7 and p[4] == "-" and p[5:].isdigit() and 1 <= int(p[5:]) <= 12:
            return f"{MONTHS[int(p[5:]) - 1]} {p[:4]}" if self.en else f"{p[:4]}年{int(p[5:])}月"
        if len(p) == 4:
            return p if self.en else f"{p}年度"
        return period

    def date(self, d: dt.date) -> str:
        """2022年4月15日 / 15 April 2022."""
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}" if self.en else f"{d.year}年{d.month}月{d.day}日"


@functools.cache
def catalog(lang: str | None = None) -> Catalog:
    """The catalogue of ``lang`` (None: Chinese; callers resolve the current language first)."""
    return Catalog(lang or DEFAULT_LANG)


def tr(lang: str | None = None) -> Catalog:
    """The catalogue of ``lang``, or of the current language when None."""
    return catalog(resolve(lang))
