"""Risk flag for a resident's message: violence, self-harm, arson, weapons, group action.

Pure regular-expression rules, tuned for recall: missing a real threat is the worst error,
so colloquial and dialect forms (俺, 侬, 伊, 老子, 弄死, 拼了) are covered. False alarms on
ordinary complaints are kept down three ways:

* violent verbs need a person as their object (砍他, not 砍树; 弄死他, not 弄死了我家的鸡),
  and the softer ones (打, 揍, 收拾) also need intent (要, 想, 非, 迟早, 扬言 ...) before them;
* a negation right before the phrase cancels it (我不会打他的, 他没打我);
* idioms that only look violent are excluded (打死也不给, 跳楼价, 杀猪, 宰客, 拼命干活).

Levels: high for threats of violence against anyone (including the resident), self-harm,
arson, weapons and ongoing domestic violence; medium for group action (堵路, 上访, 拉横幅)
and intimidation, and for domestic violence not described as ongoing; low for a past
assault or a vague sign (报复, 威胁). Reasons are "kind: matched phrase".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.entities._text import SURNAMES, fold
from nlu.types import RISK_LEVELS, Risk

_RANK = {level: i for i, level in enumerate(RISK_LEVELS)}

# Someone other than the resident, as the object of a verb. Not followed by 的/家的, so
# 砍了他家的树 is about a tree.
_OTHER = (
    rf"(?:他们|她们|你们|他|她|你|伊|侬|谁|对方|全家|一家子|狗日的|王八蛋|畜生|混蛋|杂种|"
    rf"老东西|老不死的?|那(?:个|家|帮)?(?:人|家伙|小子|男的|女的|婆娘|老头|老太婆|畜生|王八蛋)|"
    rf"这(?:个)?(?:家伙|小子|畜生)|[老小][{SURNAMES}])(?!家?的|家[^人里]|们家)"
)
_PRON = r"(?:他们|她们|你们|他|她|你|伊|侬)"
_OTHER_OR_PEOPLE = rf"(?:{_OTHER}|人(?!家|民|命|情|员))"
_ME = (
    r"(?:我|俺|我们|俺们|我家人|我全家|我一家|我(?:儿子|女儿|孩子|老婆|老公|妈|爸))"
    r"(?!家|的|电话|手机)"
)
_NOT_A_CALL = r"(?!电话|手机|的电话|一个电话|招呼|官司|麻将|牌|工|针|药|卡)"
_WEAPON = (
    r"(?:菜刀|砍刀|柴刀|杀猪刀|水果刀|西瓜刀|匕首|刀子|刀|斧头|斧子|锄头|铁锹|铁锨|铁棍|木棍|"
    r"棍子|棒子|钢管|扁担|砖头|榔头|锤子|铁棒|镰刀|镐头|钉耙|汽油|硫酸|农药|土枪|猎枪|鸟枪|枪)"
)
_WIELD = (
    r"(?:拿|提|举|抄|操|拎|握|扛|挥|揣|掏出|亮出|抡|舞|带)(?:着|起|了|上|出)?"
    r"(?:一)?(?:把|根|个|块|桶|瓶)?"
)
_THREAT_AFTER = (
    rf"[^。！？!?；;\n]{{0,10}}?(?:(?:砍|捅|劈|打|砸|刺|扎|追|杀)(?:了|死|伤)?(?:{_OTHER_OR_PEOPLE}|{_ME})"
    r"|威胁|吓唬|指着|对着|冲(?:过来|进|到|上)|追着|上门|要杀|要砍|要打|要跟|拼|来我家|到我家|"
    r"(?:去|到)(?:他|她|你|他们)家|"
    r"找我|找他|在(?:我家)?门口|守在|堵在)"
)
# The agent after 被: a person, never hail, rain or wind (庄稼被冰雹打得稀烂).
_BY = r"[^。！？!?，,雨雹风浪水]{0,4}?"
_INTENT = re.compile(
    r"要|想|会|去|就|非|迟早|早晚|总有一天|信不信|等着|看我|老子|恨不得|真想|准备|打算|扬言|"
    r"威胁|放话|喊着|叫嚣|非得|一定|必须|找人|叫人|带人|敢|再"
)
_NEGATION = re.compile(
    r"(?:不会|不要|不想|不敢|不能|不至于|不可能|不打算|不准备|没有|并没有?|从来?没有?|绝不|"
    r"决不|没|别|不|未)(?:会|想|要|敢|去|再|真|真的|跟\S|和\S|对\S|把\S|用\S)?(?:去|要|想)?$"
)
# "看我不弄死你" is a threat, not a negation.
_DARE = re.compile(r"看(?:我|老子|俺)不$")
_ONGOING = re.compile(
    r"天天|每天|经常|老是|总是|动不动|三天两头|隔三差五|一喝酒|喝了酒|喝醉|常常|一直|又打|每次|"
    r"好几次|多次|不止一次"
)
_GROUP = re.compile(
    r"我们|咱们|俺们|大家|全村|村民|一起|组织|带人|叫人|叫上|一帮|一群|一伙|几十个|十几个|"
    r"好多人|几个人|要|去|准备|打算|就|都"
)
# Phrases that contain a trigger but are ordinary speech.
_EXCLUDE = re.compile(
    r"打死(?:我|俺)?(?:也|都)(?:不|没|别)|跳楼价|跳楼(?:大)?甩卖|宰人|宰客|被宰|杀人不见血|"
    r"还?让不让人活|拼了?老?命(?:地|的)?(?:干|工作|赚|挣|跑|学|读|喊|追|往|才|做|种)|"
    r"动刀子?(?:做|开)?手术|戳[^。！？!?，,]{0,3}脊梁骨"
)


@dataclass(frozen=True)
class _Rule:
    kind: str
    level: str
    pattern: re.Pattern[str]
    needs: re.Pattern[str] | None = None  # must occur just before (intent, group markers)


def _r(kind: str, level: str, pattern: str, needs: re.Pattern[str] | None = None) -> _Rule:
    return _Rule(kind, level, re.compile(pattern), needs)


_RULES: tuple[_Rule, ...] = (
    # Threats of violence against someone else.
    _r("violence_threat", "high",
       rf"(?:杀|砍|捅|剁|劈|刺|戳)(?:了|死|伤|残|翻)?{_OTHER_OR_PEOPLE}"),
    _r("violence_threat", "high", rf"宰了?{_OTHER}"),
    _r("violence_threat", "high",
       rf"(?:弄|整|搞|做|干|灭|废|办)(?:死|掉|残|废|了)(?:了)?{_OTHER_OR_PEOPLE}"),
    _r("violence_threat", "high",
       rf"(?:打|揍|踢|掐|勒|毒|淹|烧|砸|捶|踹|摔|剁|砍|捅|弄|整|搞)(?:死|残|废|瘫|断腿){_OTHER_OR_PEOPLE}"),
    _r("violence_threat", "high",
       rf"把{_OTHER_OR_PEOPLE}(?:给)?(?:(?:打|揍|砍|杀|弄|整|搞|捅|剁|毒|烧|砸|宰|废)(?:死|残|废|瘫|了)"
       r"|(?:做|干|灭)(?:了|掉))"),
    _r("violence_threat", "high",
       rf"陪葬|偿命|抵命|拿命来|拿命还|拉{_PRON}(?:一起)?垫背|"
       rf"砸(?:了|烂|掉)?{_PRON}(?:家|的)|把{_PRON}(?:家|的)[^。！？!?，,]{{0,4}}?砸(?:了|烂|掉)",
       _INTENT),
    _r("violence_threat", "high",
       r"同归于尽|血债血偿|以命抵命|以命偿命|一命换一命|一命抵一命|鱼死网破|你死我活|玉石俱焚|"
       r"杀人|别想活|活不过(?:今年|明天|这个月)|让(?:他|她|你|他们)(?:见血|见红|横着出去|活不成|活不了|"
       r"不得好死|躺着出去|吃不了兜着走)|要(?:了)?(?:他|她|你|他们)的?(?:命|狗命|小命)|"
       rf"打断{_PRON}的?(?:腿|手|狗腿)|卸(?:他|她|你)(?:一条)?(?:腿|胳膊)|"
       r"给(?:他|她|你)(?:放血|一刀|两刀|几刀)|(?:捅|砍|戳)(?:他|她|你)(?:一刀|几刀|两刀)|"
       r"(?:找|叫|雇)(?:人|几个人|一帮人|兄弟)(?:来)?(?:收拾|教训|弄|打|砍|废|做掉|修理|揍)|"
       r"找(?:黑社会|混混|道上的人|社会上的人)(?:来)?(?:收拾|教训|弄|打|砍)"),
    _r("violence_threat", "high",
       rf"(?:跟|和|同|与|找){_OTHER}(?:去)?拼(?:命|了|老命)|拼了(?:这条|我这条)?老?命|"
       r"大不了(?:就)?拼了|老子拼了|豁出(?:这条)?(?:老)?命|拼(?:命|了)(?=$|[，,。！？!?\s啊吧呀])"),
    _r("violence_threat", "high", rf"(?:打|揍|踹|捶|砸){_OTHER}(?:一顿|几下|一下)?{_NOT_A_CALL}",
       _INTENT),
    _r("violence_threat", "high", rf"开车(?:把)?{_OTHER}?撞死|撞死{_OTHER}", _INTENT),
    _r("violence_threat", "medium",
       rf"(?:收拾|教训|修理|弄|整|搞)(?:一下|一顿)?{_OTHER}{_NOT_A_CALL}", _INTENT),
    _r("violence_threat", "medium",
       r"要(?:他|她|你|他们)好看|给(?:他|她|你)点颜色|走着瞧|等着瞧|(?:你|你们)给我等着|"
       r"出门小心|小心(?:你的)?(?:狗命|小命|脑袋|狗腿)"),
    # Threats against the resident.
    _r("threat_to_resident", "high",
       r"要(?:了)?(?:我|俺|我们)的?(?:命|狗命|小命)|"
       r"让(?:我|俺|我们|俺们)(?:全家|一家)?(?:见血|活不成|活不了|不得好死|好看|吃不了兜着走|"
       r"横着出去|躺着出去)"),
    _r("threat_to_resident", "high",
       rf"(?:打|揍|杀|砍|捅|剁|毒|烧)(?:死|残|废|瘫){_ME}|把(?:我|俺)(?:给)?(?:打|砍|捅|杀)(?:死|残|废)"),
    _r("threat_to_resident", "high",
       rf"(?:(?:打|揍|砍|杀|捅|收拾|报复|教训)(?:死|残)?|(?:弄|整|搞)(?:死|残)){_ME}{_NOT_A_CALL}",
       re.compile(r"说要|扬言|威胁|放话|叫嚣|喊着|要|会|还要|又要|迟早|早晚|信不信|等着")),
    # Self-harm and suicide, of the resident or anyone else.
    _r("self_harm", "high",
       r"不想活|不活了|活不下去|活着(?:还有)?(?:什么|啥)?(?:意思|没意思)|没脸活|一死了之|死了算了?|"
       r"(?:还)?不如死了|寻死|寻短见|自杀|轻生|想不开|跳楼|跳河|跳江|跳井|跳水库|跳塘|上吊|"
       r"吊死|割腕|(?:楼上|楼顶|房顶|屋顶|桥上|坝上|山崖|悬崖)[^。！？!?，,]{0,3}(?:跳下|往下跳)|喝(?:了)?(?:农药|药|百草枯|敌敌畏)|吃(?:了)?(?:农药|安眠药|老鼠药)|烧炭|卧轨|"
       r"死给(?:他|她|你|你们|他们)看|死在(?:他|她|你|他们)?(?:家|门口|面前|政府|镇政府|村委|"
       r"厂里|公司|医院)|以死相逼|结束(?:自己的)?生命"),
    _r("self_harm", "medium", r"寻死觅活|要死要活"),
    _r("distress", "low", r"没法活|活不成|不让(?:我|俺|我们)活"),
    # Arson.
    _r("arson", "high",
       r"放火|纵火|点火烧|(?:放|点)(?:一)?把火|一把火(?:烧|把|点)|燃烧瓶|(?:泼|浇|倒)(?:上)?汽油|汽油[^。！？!?]{0,6}(?:烧|点)|"
       r"烧(?:了|掉|光)?(?:他|她|你|他们)(?:家|的房子|的车|的店|的厂|房子)|"
       r"把(?:他|她|你|他们)(?:家|的)[^。！？!?，,]{0,5}?(?:给)?(?:烧了|烧掉|烧光|点了)"),
    # Weapons brought into the conflict.
    _r("weapon", "high", _WIELD + _WEAPON + _THREAT_AFTER),
    _r("weapon", "high",
       r"刀(?:都|已经|早就)?磨好|抄家伙|动家伙|拿家伙|动刀子|(?:下|投)毒|"
       r"往[^。！？!?]{0,6}(?:井|水缸|水塔|饭菜|鱼塘|水里)里?(?:下|投|倒|放)(?:了)?(?:毒|农药|药)|"
       r"(?:用|拿|带|买|弄|绑)(?:着|了)?(?:一包|一些|点)?(?:炸药|雷管)|土炸弹|"
       r"炸(?:死|了|掉|平)(?:他|她|你|他们)|泼(?:他|她|你)?(?:一脸)?硫酸|硫酸泼"),
    # Violence the resident suffers.
    _r("domestic_violence", "medium",
       r"家暴|家庭暴力|(?:老公|丈夫|男人|老婆|媳妇|儿子|女婿|公公|婆婆|继父|后爸|后妈)"
       rf"[^。！？!?，,]{{0,8}}?(?:打|揍|踢|掐|扇)(?:了)?{_ME}{_NOT_A_CALL}|不敢回家"),
    _r("domestic_violence", "medium",
       r"(?:打|揍|踢|掐)(?:了)?(?:他|她)?的?(?:老婆|媳妇|妻子|老公|丈夫|孩子|小孩|女儿|儿子|老人|"
       rf"老娘|老母亲|父母|爸妈|老爸|老妈){_NOT_A_CALL}"),
    _r("domestic_violence", "high",
       r"(?:天天|每天|经常|老是|总是|动不动(?:就)?|三天两头|隔三差五|一喝酒就|喝了酒就|喝醉了?就|"
       rf"常常|又|一直)[^。！？!?，,]{{0,3}}?(?:打|揍|踢|掐|扇|抽)(?:了)?{_ME}{_NOT_A_CALL}"),
    _r("assault", "high",
       r"(?:打|砍|捅)得(?:我|俺)?[^。！？!?]{0,3}(?:住院|骨折|头破血流|遍体鳞伤|鼻青脸肿|半死|进医院|"
       rf"昏过去|晕过去|起不来|爬不起来)|被{_BY}(?:打|砍|捅)(?:死|残|废|成重伤)"),
    _r("assault", "medium", rf"被{_BY}打得"),
    _r("assault", "low",
       rf"(?:打|揍|踢|扇)了?{_ME}(?:一顿|一巴掌|几拳|几下|一拳|一脚|耳光)?{_NOT_A_CALL}|动手打人"),
    # Group action and escalation.
    _r("group_action", "medium",
       r"集体上访|越级上访|进京上访|上访|到北京(?:去)?告|赴京|静坐|示威|游行|聚众|"
       r"(?:拉|挂|打|举)(?:起)?(?:横幅|条幅|标语|牌子)|围堵|围攻|冲击(?:政府|镇政府|村委)|医闹|"
       r"围住(?:他|她|政府|镇政府|村委|厂门|公司|医院)|"
       r"堵(?:住)?(?:了)?(?:镇政府|政府|村委会?|公司|厂|工厂|医院|老板家)(?:的)?(?:大)?门"),
    _r("group_action", "high", r"打砸"),
    _r("group_action", "medium",
       r"堵路|堵门|拦路|拦车|封路|堵(?:他|她|他们)家(?:的)?(?:大)?门|闹事|(?:去|来)[^。！？!?，,\s]{0,8}闹(?!大)",
       _GROUP),
    _r("intimidation", "medium", r"扬言|恐吓|放狠话|黑社会|混混|打手(?!机|电|势|续)"),
    _r("intimidation", "low", r"报复|威胁"),
)
_INTENT_WINDOW = 8
_NEGATION_WINDOW = 6


def _clause_start(text: str, pos: int) -> int:
    for i in range(pos - 1, -1, -1):
        if text[i] in "，,。！？!?；;\n":
            return i + 1
    return 0


def _hits(text: str) -> list[tuple[int, str, str, str]]:
    """(position, kind, level, phrase) for every rule match that survives the filters."""
    excluded = [(m.start(), m.end()) for m in _EXCLUDE.finditer(text)]
    out: list[tuple[int, str, str, str]] = []
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            s, e = m.start(), m.end()
            if any(s < xe and xs < e for xs, xe in excluded):
                continue
            clause = _clause_start(text, s)
            before = text[max(clause, s - _NEGATION_WINDOW):s]
            if _NEGATION.search(before) and not _DARE.search(before):
                continue
            if rule.needs and not rule.needs.search(text[max(clause, s - _INTENT_WINDOW):s]):
                continue
            out.append((s, rule.kind, rule.level, m.group()))
    return out


def assess_risk(text: str) -> Risk:
    """Risk level and reasons ("violence_threat: 弄死他") for one message."""
    if not text:
        return Risk()
    folded = fold(text)
    hits = _hits(folded)
    if not hits:
        return Risk()
    ongoing = _ONGOING.search(folded) is not None
    # Violence the resident suffers is high when it keeps happening.
    hits = [
        (s, k, "high" if ongoing and k in ("domestic_violence", "assault") else lvl, p)
        for s, k, lvl, p in hits
    ]
    level = max((h[2] for h in hits), key=_RANK.__getitem__)
    kept: list[tuple[int, int, str, str]] = []
    # Strongest and longest first; a phrase inside an already kept one adds nothing.
    for start, kind, _, phrase in sorted(hits, key=lambda h: (-_RANK[h[2]], -len(h[3]))):
        end = start + len(phrase)
        if not any(s <= start and end <= e for s, e, _, _ in kept):
            kept.append((start, end, kind, phrase))
    reasons = dict.fromkeys(f"{kind}: {phrase}" for _, _, kind, phrase in sorted(kept))
    return Risk(level, tuple(reasons))
