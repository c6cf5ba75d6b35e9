"""Risk flag: explicit threats must be flagged with the right kind; complaints must not."""

from __future__ import annotations

import pytest

from nlu.risk import assess_risk
from nlu.types import RISK_LEVELS, Risk

THREATS: list[tuple[str, str, str]] = [
    # (text, expected kind, minimum level)
    ("我要杀了他", "violence_threat", "high"),
    ("再不还钱我就弄死他", "violence_threat", "high"),
    ("老子今天非砍死他不可", "violence_threat", "high"),
    ("你再来我家闹 我一刀捅了你", "violence_threat", "high"),
    ("信不信我弄死你", "violence_threat", "high"),
    ("他要是再敢碰我女儿 我打断他的腿", "violence_threat", "high"),
    ("我跟他拼了", "violence_threat", "high"),
    ("实在不行我就跟他拼命", "violence_threat", "high"),
    ("我豁出这条老命也要跟他算账", "violence_threat", "high"),
    ("逼急了我就跟他同归于尽", "violence_threat", "high"),
    ("这笔账我要让他血债血偿", "violence_threat", "high"),
    ("我迟早宰了那个畜生", "violence_threat", "high"),
    ("我去找几个兄弟来揍他", "violence_threat", "high"),
    ("不给钱我就找人废了他", "violence_threat", "high"),
    ("我非要打他一顿不可", "violence_threat", "high"),
    ("侬再来 我弄死侬", "violence_threat", "high"),
    ("我要他的命", "violence_threat", "high"),
    ("老子跟你们拼了", "violence_threat", "high"),
    ("看我不弄死你", "violence_threat", "high"),
    ("我今晚就去他家把他做了", "violence_threat", "high"),
    ("不还钱就让他全家陪葬", "violence_threat", "high"),
    ("我死也要拉他垫背", "violence_threat", "high"),
    ("我去把他家砸了", "violence_threat", "high"),
    ("你给我等着", "violence_threat", "medium"),
    ("他说要我的命", "threat_to_resident", "high"),
    ("他说要打死我", "threat_to_resident", "high"),
    ("他扬言要杀我全家", "threat_to_resident", "high"),
    ("他放话说要把我打残", "threat_to_resident", "high"),
    ("他讲要弄死我", "threat_to_resident", "high"),
    ("他叫嚣要让我们全家不得好死", "threat_to_resident", "high"),
    ("我不想活了", "self_harm", "high"),
    ("再这样下去我只有一死了之", "self_harm", "high"),
    ("俺娘说要去喝农药", "self_harm", "high"),
    ("我要吊死在他家门口", "self_harm", "high"),
    ("我爸说不给个说法就从镇政府楼上跳下去", "self_harm", "high"),
    ("我老婆想不开 吃了安眠药", "self_harm", "high"),
    ("活不下去了 我去跳河算了", "self_harm", "high"),
    ("他说要放火烧我家的房子", "arson", "high"),
    ("我要一把火把他家烧了", "arson", "high"),
    ("他半夜往我家柴堆上浇汽油", "arson", "high"),
    ("惹毛了我就去他家放把火", "arson", "high"),
    ("惹急了我烧了他家", "arson", "high"),
    ("他提着菜刀在我家门口骂", "weapon", "high"),
    ("邻居拿铁锹追着我打", "weapon", "high"),
    ("他举着斧头冲过来", "weapon", "high"),
    ("他扛着锄头来我家闹", "weapon", "high"),
    ("他说刀已经磨好了", "weapon", "high"),
    ("他买了炸药 说要跟我们同归于尽", "weapon", "high"),
    ("有人往我家鱼塘里投毒", "weapon", "high"),
    ("我带着汽油去他家", "weapon", "high"),
    ("我们一百多个工人准备去堵厂门", "group_action", "medium"),
    ("我们要去镇政府拉横幅", "group_action", "medium"),
    ("全村人都去堵路", "group_action", "medium"),
    ("实在不行我们就去北京上访", "group_action", "medium"),
    ("村民准备集体上访", "group_action", "medium"),
    ("他带了一帮人来我家闹事", "group_action", "medium"),
    ("老公天天打我", "domestic_violence", "high"),
    ("他一喝酒就打我", "domestic_violence", "high"),
    ("公公又打我了", "domestic_violence", "high"),
    ("婆婆天天骂我还动手打我", "domestic_violence", "high"),
    ("我被他打得鼻青脸肿", "assault", "high"),
    ("他经常家暴", "domestic_violence", "high"),
    ("我老公家暴", "domestic_violence", "medium"),
    ("邻居男的经常打他老婆", "domestic_violence", "high"),
]

ORDINARY = [
    "我想跟他打官司",
    "我在外面打工三年了",
    "打电话给他一直不接",
    "隔壁天天打麻将吵得我睡不着",
    "邻居砍了我家门口的树",
    "过年杀猪的时候他家占了我家的场地",
    "拆迁要拆我房子 补偿太少了",
    "网上买的菜刀质量有问题 商家不给退",
    "他死活不给钱",
    "气死我了 他还不认账",
    "烦死了 物业天天不管",
    "楼上装修吵死了",
    "打死我也不会签这个字",
    "他在工地上拼命干活 老板还不给工资",
    "我给他打了十几个电话",
    "老板故意整我 扣我工资",
    "庄稼被冰雹打得稀烂 保险公司不赔",
    "邻居把路口堵了 我家车出不去",
    "他天天来我家门口骂",
    "他到处说我坏话 戳我脊梁骨",
    "商场跳楼价甩卖的衣服不能退",
    "他打手机骂了我半个小时",
    "饭店宰客 一盘菜要三百",
    "他杀价杀得太狠 货款少给了两千",
    "砍价的时候说好包安装的",
    "我不会打他的 就想要个说法",
    "我不会去上访的 相信政府",
    "医生给我动刀子做手术 结果感染了",
    "他家的狗把我家的鸡咬死了",
    "他在我家地里打农药 飘到我家菜上",
    "我被车撞了 司机跑了",
    "对方司机撞死了我家的羊",
    "杀鸡杀鸭的血水流到我家门口",
    "他说要去法院告我",
    "老婆要跟我离婚 孩子归谁",
    "儿子不给赡养费 我七十多岁了",
    "房东不退押金",
    "物业费一年涨了两次",
    "邻居家的树根拱坏了我家的墙",
    "隔壁养猪臭得要命",
    "工厂半夜排废气 呛得人睡不着",
    "买的电动车骑了一个月就坏了",
    "他借了我三万块 说好年底还 现在不认了",
    "村里分的宅基地被他多占了半米",
    "征地补偿款村里一直不发",
    "装修公司拖了半年还没完工",
    "医院把我爸的病耽误了",
    "孩子在学校被同学推倒 摔断了门牙",
    "老板跑了 我们十几个人的工资没拿到",
    "他说要找人来评理",
    "我要找媒体曝光他们",
    "我去镇政府反映过好几次了 没人管",
    "这事要是再不解决我就去法院起诉",
    "小区电梯坏了一个月 物业不修",
    "他骑电动车把我撞倒了 腿擦破了皮",
    "水渠被他家填了 我家田里放不了水",
    "婆媳关系不好 天天吵架",
    "兄弟几个为了老房子分家吵翻了",
    "他说我家的狗咬了他 要我赔一千",
    "快递丢了 快递公司不赔",
    "租的房子漏水 房东不修",
    "他砸了我家的玻璃 说是不小心",
    "吵架的时候他推了我一把",
    "我们几户人家想一起找村里反映",
    "他家盖房子把我家的路挡住了",
    "我真想好好跟他谈一谈",
    "每周三他都来收一次钱",
    "孩子他爸不给抚养费",
    "还让不让人活了 天天这么吵",
    "这个事把我整死了 跑了十几趟",
    "镇里要拆他家的违建 却不拆我家的",
    "他自己出了事就拉我垫背",
    "他扛着锄头下地去了",
    "我拿刀切菜的时候他来敲门",
    "他拼了老命干了一辈子 攒下这套房子",
    "看我不顺眼 天天找茬",
]


@pytest.mark.parametrize(("text", "kind", "level"), THREATS)
def test_threats_are_flagged(text: str, kind: str, level: str) -> None:
    risk = assess_risk(text)
    assert RISK_LEVELS.index(risk.level) >= RISK_LEVELS.index(level), risk
    assert any(r.startswith(f"{kind}: ") for r in risk.reasons), risk


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_complaints_are_not_flagged(text: str) -> None:
    assert assess_risk(text) == Risk("none", ())


def test_reason_format_names_kind_and_phrase() -> None:
    risk = assess_risk("再不还钱我就弄死他")
    assert risk.reasons == ("violence_threat: 弄死他",)


def test_group_action_alone_is_medium_and_with_violence_high() -> None:
    assert assess_risk("我们要去堵路").level == "medium"
    assert assess_risk("我们要去堵路 谁拦着就砍死谁").level == "high"


def test_past_single_assault_is_low() -> None:
    assert assess_risk("他打了我一巴掌").level == "low"


def test_negation_cancels_only_the_negated_phrase() -> None:
    assert assess_risk("我不想跟他拼命").level == "none"
    assert assess_risk("他没打我").level == "none"
    assert assess_risk("我不会打他 但他说要打死我").level == "high"


def test_empty_text() -> None:
    assert assess_risk("") == Risk()


def test_counts() -> None:
    assert len(THREATS) >= 40
    assert len(ORDINARY) >= 60
