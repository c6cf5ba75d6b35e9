"""Who the other party is, as a role key, from a keyword table.

Longest keyword wins at each position (物业公司 is property_company, not company). In a short
answer naming several roles, the head noun decides: in Chinese it comes after 的
(我老公的老板 -> employer); otherwise the first role counts (隔壁老王 -> neighbour).

包工头 depends on who speaks: to a worker (wages, a site injury) he is the employer, and routing
sends those cases to the labour committee; to a family he builds or renovates a house for, he is
the contractor. The message decides: building words and no wage words make him the contractor.
"""

from __future__ import annotations

import re

from nlu.entities._text import SURNAMES, fold
from nlu.types import Entity

PARTY_ROLES: tuple[str, ...] = (
    "neighbour", "family_member", "spouse", "employer", "landlord", "tenant", "hospital",
    "government", "property_company", "merchant", "contractor", "insurer", "driver", "school",
    "village_committee", "company", "individual",
)

_KEYWORDS: dict[str, str] = {
    "neighbour": "邻居 隔壁 对门 楼上 楼下 邻里 左邻右舍 对面那家 对面邻居 隔壁家 邻居家 "
                 "前面那家 后面那家 东边那家 西边那家 后屋 前屋 隔壁邻居 对面人家",
    "spouse": "老公 丈夫 老婆 妻子 爱人 前夫 前妻 老伴 媳妇 媳妇儿 对象 我男人 俺男人 "
              "我女人 孩子他爸 孩子他妈 孩子爸 孩子妈 娃他爹 娃他妈 男朋友 女朋友 未婚夫 "
              "未婚妻 老头子 老太婆",
    "family_member": "家里人 亲戚 儿子 女儿 儿媳 儿媳妇 女婿 父亲 母亲 爸爸 妈妈 我爸 我妈 "
                     "俺爹 俺娘 老爸 老妈 公公 婆婆 岳父 岳母 丈人 丈母娘 老丈人 兄弟 哥哥 弟弟 "
                     "姐姐 妹妹 大哥 二哥 三哥 大姐 二姐 叔叔 伯伯 姑姑 舅舅 姨妈 侄子 侄女 外甥 "
                     "孙子 孙女 外孙 嫂子 弟媳 姐夫 妹夫 小叔子 大伯子 妯娌 连襟 表哥 表弟 表姐 "
                     "表妹 堂哥 堂弟 堂兄 公婆 父母 子女 继母 后妈 继父 后爸 爷爷 奶奶 外公 外婆 "
                     "姥姥 姥爷 小叔 大伯 二伯 三叔 亲家 兄弟姐妹 婆家 娘家 "
                     "我哥 我姐 我弟 我妹 我叔 我舅 我姑 俺哥 俺姐 俺弟",
    "employer": "老板 厂里 厂长 包工头 工头 公司老板 雇主 东家 用人单位 单位 工厂 老板娘 "
                "厂子 厂方 工地老板 车间主任 主管 领导 人事",
    "landlord": "房东 二房东 房主 出租房子的 租房子给我的",
    "tenant": "租客 房客 租户 承租人 租我房子的 租我家房子的",
    "hospital": "医院 卫生院 诊所 卫生室 医务室 医生 大夫 护士 人民医院 中医院 卫生服务中心 "
                "牙科 社区医院",
    "government": "政府 镇政府 乡政府 街道办 街道办事处 城管 国土所 国土局 自然资源局 住建局 "
                  "环保局 生态环境局 市场监管局 市场监管 工商所 税务局 派出所 交警 公安 执法局 "
                  "综合执法 拆迁办 征收办 征迁办 指挥部 管委会 水利局 农业局 林业局 民政局 "
                  "人社局 劳动局 劳动监察 信访局 镇里 乡里 有关部门 街道 执法队 民政 民政办",
    "property_company": "物业 物业公司 物管 物业管理处 物业经理",
    "merchant": "商家 店家 店主 卖家 商店 超市 小卖部 店老板 饭店 餐馆 网店 淘宝店 商场 "
                "4S店 4s店 经销商 卖东西的 农资店 小店 理发店 美容院 健身房 药店 培训机构 "
                "卖家具的 卖车的 专卖店 门店 店里 金店 五金店 建材店 家电店 手机店 电器店 "
                "服装店 家具店 门市 门市部",
    "contractor": "施工队 装修队 装修公司 施工方 建筑公司 承包商 承包方 工程队 包工队 "
                  "施工单位 装修师傅 盖房子的 装修的 建房的 总包 分包 总包方",
    "insurer": "保险公司 保险 保险员 车险 保险业务员",
    "driver": "司机 驾驶员 肇事司机 肇事方 肇事者 车主 开车的 骑车的 骑电动车的 货车司机 "
              "出租车司机 网约车司机 开三轮车的",
    "school": "学校 幼儿园 老师 班主任 校长 小学 中学 托管班 培训班",
    "village_committee": "村委 村委会 村干部 村支书 村书记 村长 村主任 村两委 居委会 网格员 "
                         "村民小组 生产队 社区居委会 社区干部 社区书记 村里干部 村里 "
                         "村小组长 村民组长",
    "company": "公司 企业 开发商 厂家 银行 平台 快递公司 贷款公司 小贷公司 网贷 房地产公司 "
               "供电公司 电力公司 自来水公司 燃气公司 移动公司 电信公司 甲方 养猪场 养鸡场 "
               "养鸭场 养殖场 采石场 石料厂 砖厂 袜厂 电镀厂 化工厂 化肥厂 制药厂 印染厂 "
               "造纸厂 搅拌站 砂石场 镀锌厂 作坊 合作社",
    "individual": "朋友 同学 同事 老乡 熟人 陌生人 网友 工友 合伙人 同村的 村民 路人 "
                  "借钱的人 债主 欠钱的 邻村的",
}
_ROLE_OF: dict[str, str] = {
    word: role for role, words in _KEYWORDS.items() for word in words.split()
}
# Keywords that are roles only when not followed by these (村里的人 is a villager, 街道上 a street).
_GUARDS: dict[str, str] = {"村里": "的有人住头", "街道": "上边口旁", "店里": "的", "民政": "局"}
_FIND = re.compile("|".join(
    re.escape(w) + (f"(?![{_GUARDS[w]}])" if w in _GUARDS else "")
    for w in sorted(_ROLE_OF, key=len, reverse=True)
))
# A bare name or nickname: 张三, 王建国, 老王, 小李, 李某.
_NAME = re.compile(rf"[老小阿][{SURNAMES}]|[{SURNAMES}](?:某+|[\u4e00-\u9fff]{{1,2}})")
_NOT_NAME = re.compile(r"[的了是不没有这那个什么吗呢吧啊家村镇人]")


_BUILDER = "包工头"
_BUILDING = re.compile(
    r"盖房|建房|[建盖修]的房|房子[建盖]|翻建|翻修|装修|砌|墙|屋顶|地基|漏水|开裂"
)
_WAGES = re.compile(r"工钱|工资|欠薪|讨薪|工伤|干活|打工|做工|农民工|我们[一几十]|用工")


def _role(word: str, folded: str) -> str:
    if word == _BUILDER and _BUILDING.search(folded) and not _WAGES.search(folded):
        return "contractor"
    return _ROLE_OF[word]


def find_party_roles(text: str) -> list[Entity]:
    """Role keywords in a message; value is a key from PARTY_ROLES."""
    folded = fold(text)
    return [
        Entity("party_role", text[m.start():m.end()], _role(m.group(), folded), m.start(), m.end())
        for m in _FIND.finditer(folded)
    ]


def parse_party_role(text: str) -> str | None:
    """The role a whole short answer names ("隔壁老王" -> neighbour), or None.

    A bare personal name with no role word (张三, 老王) is an individual.
    """
    found = find_party_roles(text)
    if found:
        head = found[0]
        for nxt in found[1:]:
            if "的" in text[head.end:nxt.start]:
                head = nxt
        return str(head.value)
    stripped = re.sub(r"[\s，,。.!！?？]|^(?:是|就是|跟|和|我)+", "", text)
    if stripped and _NAME.fullmatch(stripped) and not _NOT_NAME.search(stripped[1:]):
        return "individual"
    return None
