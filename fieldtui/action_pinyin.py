"""Pinyin search keys of the action table's Chinese labels, for the command palette.

The palette finds an action by its Chinese label, its English label or the pinyin of the Chinese
one (``tz`` or ``taizhang`` finds 台账). pypinyin costs ~170 ms and ~58 MiB to import, so the keys
are not computed in the app: this table is generated from fieldtui/actions.py by
``python -m fieldtui.action_pinyin`` whenever a label changes, and a test checks that it is
current. Each value is the store's format (fieldtui.store.pinyin.pinyin_keys): full pinyin and
initials, for every reading, separated by spaces.
"""

from __future__ import annotations

import json
from pathlib import Path

# fmt: off
PINYIN: dict[str, str] = {
    "一票否决": "yipiaofoujue ypfj",
    "上一季度": "shangyijidu syjd",
    "上一类": "shangyilei syl",
    "上报": "shangbao sb",
    "下一季度": "xiayijidu xyjd",
    "下一类": "xiayilei xyl",
    "保存": "baocun bc",
    "修订": "xiuding xd",
    "全局": "quanju qj",
    "全部/差异": "quanbu/chayi qbcy quanpou/chayi qpcy",
    "关闭": "guanbi gb",
    "其余满分": "qiyumanfen qymf",
    "删除一位": "shanchuyiwei scyw shanchuyili scyl shanzhuyiwei szyw shanzhuyili szyl shanshuyiwei ssyw shanshuyili ssyl",
    "到第几项": "daodijixiang ddjx",
    "刷新": "shuaxin sx",
    "加分项": "jiafenxiang jfx",
    "县级": "xianji xj",
    "县级审核结果": "xianjishenhejieguo xjshjg",
    "县级总览": "xianjizonglan xjzl",
    "发邮件": "fayoujian fyj fayoumou fym",
    "取消": "quxiao qx",
    "取消计划": "quxiaojihua qxjh",
    "取消输入": "quxiaoshuru qxsr",
    "台账": "taizhang tz yizhang yz sizhang sz",
    "命令": "mingling ml",
    "备注": "beizhu bz beizhou",
    "复核评分": "fuhepingfen fhpf",
    "完成": "wancheng wc kuancheng kc",
    "审核意见": "shenheyijian shyj",
    "对照": "duizhao dz",
    "导入": "daoru dr",
    "导入台账文件": "daorutaizhangwenjian drtzwj daorutaizhangwenmou drtzwm daoruyizhangwenjian dryzwj daoruyizhangwenmou dryzwm daorusizhangwenjian drszwj daorusizhangwenmou drszwm",
    "导出": "daochu dc",
    "封存": "fengcun fc biancun bc",
    "帮助": "bangzhu bz",
    "开始": "kaishi ks",
    "归档": "guidang gd",
    "总览": "zonglan zl",
    "恢复默认键": "huifumorenjian hfmrj",
    "报送": "baosong bs",
    "抽取": "chouqu cq",
    "抽查复核": "chouchafuhe ccfh",
    "排序": "paixu px baixu bx",
    "推后一月": "tuihouyiyue thyy",
    "推进计划": "tuijinjihua tjjh",
    "提前一月": "tiqianyiyue tqyy",
    "撤销": "chexiao cx",
    "改键": "gaijian gj",
    "新增": "xinzeng xz xinceng xc",
    "更正退回的服务站": "gengzhengtuihuidefuwuzhan gzthdfwz gengzhengtuihuidifuwuzhan",
    "本季度抽查": "benjiduchoucha bjdcc",
    "清除得分": "qingchudefen qcdf qingchudeifen qingzhudefen qzdf qingzhudeifen qingshudefen qsdf qingshudeifen",
    "清除筛选": "qingchushaixuan qcsx qingzhushaixuan qzsx qingshushaixuan qssx",
    "满分": "manfen mf",
    "确定": "queding qd",
    "确定/下一项": "queding/xiayixiang qdxyx",
    "确认": "queren qr",
    "筛选": "shaixuan sx",
    "编辑": "bianji bj",
    "表单": "biaodan bd biaochan bc biaoshan bs",
    "设置": "shezhi sz",
    "访查日期": "fangchariqi fcrq",
    "评分": "pingfen pf",
    "评分对照": "pingfenduizhao pfdz",
    "跳到类别": "tiaodaoleibie tdlb diaodaoleibie ddlb taodaoleibie",
    "跳过": "tiaoguo tg diaoguo dg taoguo",
    "转到": "zhuandao zd zhuaidao",
    "载入演示乡镇": "zairuyanshixiangzhen zrysxz zairuyanqixiangzhen zryqxz zairuyanzhixiangzhen zryzxz",
    "返回": "fanhui fh",
    "退出": "tuichu tc",
    "选择月份": "xuanzeyuefen xzyf",
    "选站": "xuanzhan xz",
    "逐个添加服务站": "zhugetianjiafuwuzhan zgtjfwz",
    "重做": "zhongzuo zz chongzuo cz tongzuo tz",
    "重试保存": "zhongshibaocun zsbc chongshibaocun csbc tongshibaocun tsbc",
    "附加扫描件": "fujiasaomiaojian fjsmj fujiasaomiaomou fjsmm bujiasaomiaojian bjsmj bujiasaomiaomou bjsmm",
    "零分": "lingfen lf lianfen",
}
# fmt: on


def labels() -> list[str]:
    """Every Chinese label the palette shows: the actions' and their scopes'."""
    from fieldtui.actions import ACTIONS, SCOPES

    out = [a.zh for a in ACTIONS] + [zh for zh, _en in SCOPES.values()]
    return sorted(set(out))


def generate() -> dict[str, str]:
    """The table, computed with pypinyin (only here)."""
    from fieldtui.store.pinyin import pinyin_keys

    return {label: pinyin_keys(label) for label in labels()}


def write(path: Path = Path(__file__)) -> None:
    """Rewrite the table in this file."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("PINYIN: dict[str, str] = {\n", 1)
    _old, tail = rest.split("}\n# fmt: on\n", 1)
    rows = "".join(f"    {json.dumps(k, ensure_ascii=False)}: {json.dumps(v)},\n"
                   for k, v in generate().items())  # fmt: skip
    path.write_text(head + "PINYIN: dict[str, str] = {\n" + rows + "}\n# fmt: on\n" + tail, "utf-8")


if __name__ == "__main__":
    write()
