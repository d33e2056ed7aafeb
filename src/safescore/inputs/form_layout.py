"""The form layout (SPEC 4.1): one workbook per unit. Shared by ``template`` and the form reader.

Sheet ``填报表`` (the form)::

    A1  title (merged A1:G1)        e.g. 钢城区安全生产"三责同考"季度考评 填报表
    A2  填报单位：  B2  <unit name>   D2  考核期间：  E2  <period>
    A3  填报说明 (merged A3:G3)
    row 5: header  字段编码 | 指标名称 | 计量单位 | 填报值 | 评分标准 | 佐证材料 | 备注
    row 6…: one row per field the unit's group uses; the unit's own targets are shown in 评分标准

Sheet ``自评分`` (optional, one row per item of the unit's group)::

    row 1: header  指标编码 | 指标名称 | 分值 | 自评分 | 说明

Sheet ``说明``: instructions. Sheet ``_safescore`` (hidden): key | value rows with the
keys of :data:`META_KEYS`, so a return is matched without guessing.

Hand-made forms need only a sheet whose header has 填报值 and either 字段编码 or 指标名称;
the unit comes from the 填报单位 cell (or the hidden sheet).
"""

from __future__ import annotations

TEMPLATE_VERSION = "1"

FORM_SHEET = "填报表"
SELF_SHEET = "自评分"
HELP_SHEET = "说明"
META_SHEET = "_safescore"

HEADER_ROW = 5  # 1-based Excel row of the form's column header
FIRST_DATA_ROW = HEADER_ROW + 1

FORM_COLUMNS = ("字段编码", "指标名称", "计量单位", "填报值", "评分标准", "佐证材料", "备注")
COL_CODE, COL_LABEL, COL_UNIT, COL_VALUE, COL_BASIS, COL_EVIDENCE, COL_NOTE = range(7)

SELF_COLUMNS = ("指标编码", "指标名称", "分值", "自评分", "说明")

UNIT_LABELS = ("填报单位", "单位名称", "被考核单位", "单位")
PERIOD_LABELS = ("考核期间", "期间", "填报期间", "考核周期")

# hidden sheet keys; values are strings
META_KEYS = ("safescore_template", "rubric", "rubric_version", "unit", "group", "period")
