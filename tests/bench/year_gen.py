#!/usr/bin/env python3
"""A committee's realistic year of records, for tests/bench/bench_year.sh.

Everything is invented: the names, villages, phone numbers and the text. The
phrase material below was written for this benchmark alone; it shares nothing
with the corpus the body-compression dictionary is trained on, so the
benchmark never measures the dictionary on its own training text.

  year_gen.py plan --records N --seed S --out PLAN.jsonl
      The year as a list of operations, one JSON object a line:
        {"phase": "backlog"|"sample"|"day", "op": "add"|"update"|"delete",
         "kind": KIND, "ref": R, "label": ..., "json": {...}}
      "ref" numbers the records added in the backlog; a field value
      "@ref:R" (a case) and an update's or delete's "ref" name one of them.
  year_gen.py enter --ayil BIN --home DIR --plan PLAN --phase P
                    [--only I] [--ids IDS.json] [--json-dir D] [--log LOG]
      Enters the operations of phase P (or only its I-th) with `ayil record
      add/update/delete`, JSON on standard input as a member's script would
      pipe it. Backlog ids go to IDS.json; each operation's JSON, exactly as
      entered, to D/NNNNN.json; one line per operation to LOG:
        phase index op kind label json_bytes
  year_gen.py corpus --records N --seed S --dir D
      Each record's JSON of a generated year, one file each (for training a
      stand-in dictionary with `zstd --train`; use a different seed).
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys

YEAR = 2026
DAY_DATE = "2026-12-03"
SAMPLES = 5  # records of each kind entered one at a time on the live link

# The mix of kinds in a busy committee's year, per 2,000 records. RECORDS.md
# has no year table; this is the bench's own estimate (see bench_year.sh).
MIX = [
    ("appeal", 360), ("referral", 330), ("protection_order", 70),
    ("correction", 50), ("family", 110), ("followup", 470), ("session", 50),
    ("prevention", 200), ("training", 30), ("aid", 140), ("closure", 190),
]

# ---- invented people and places ------------------------------------------
FIRST_F = ["Айгерим", "Бермет", "Гулзат", "Динара", "Жылдыз", "Замира", "Калыйча",
           "Мээрим", "Нурзада", "Сайкал", "Тынара", "Чолпон", "Эльмира", "Асель",
           "Анара", "Бактыгүл", "Назгүл", "Айпери"]
FIRST_M = ["Азамат", "Бакыт", "Данияр", "Жоомарт", "Канат", "Медер", "Нурлан",
           "Самат", "Талант", "Улан", "Эрлан", "Адилет", "Бекзат", "Руслан"]
# Invented surname roots: no real family is meant.
ROOTS = ["Жоктон", "Ойдон", "Кыялбек", "Элестет", "Тамсил", "Мисалбек", "Ойлоп",
         "Болжол", "Үлгүбай", "Сынакбек", "Таптык", "Санжыраш", "Кыргызбаш",
         "Жомокбай", "Чыгарм"]
VILLAGES = ["Ак-Суучу", "Кызыл-Тоопчу", "Таш-Дөбөчү", "Жаңы-Жолчу", "Көк-Жайлоочу",
            "Бел-Кыякчы", "Сары-Камышчы", "Орто-Сайчы", "Төмөн-Арыкчы"]
STREETS = ["Мектеп", "Бакча", "Жибек-Жолу", "Достук", "Тынчтык", "Ынтымак",
           "Ала-Тоо", "Өрүк"]


def surname(r, female):
    root = r.choice(ROOTS)
    return root + ("ова" if female else "ов")


def person(r, female=None):
    if female is None:
        female = r.random() < 0.5
    first = r.choice(FIRST_F if female else FIRST_M)
    return f"{first} {surname(r, female)}"


def phone(r):
    # +996 000 ...: no operator uses the 000 prefix.
    return "+996 000 %02d %02d %02d" % (r.randrange(100), r.randrange(100), r.randrange(100))


def address(r, lang):
    v, s, n = r.choice(VILLAGES), r.choice(STREETS), r.randrange(1, 140)
    if lang == "ky":
        return f"{v} айылы, {s} көчөсү, {n}-үй"
    return f"с. {v}, ул. {s}, д. {n}"


# ---- phrase material, written for this benchmark --------------------------
RU = [
    "{who} обратилась в комитет {d} после очередной ссоры в доме.",
    "По её словам, муж {pn} третий месяц не работает и часто приходит домой пьяным.",
    "Соседка {nb} слышала крики ночью и позвонила участковому.",
    "Участковый инспектор провёл беседу с {pn} и предупредил об ответственности.",
    "У пострадавшей синяки на руках, от медицинского освидетельствования она сначала отказалась.",
    "Дети ({k} чел.) находились дома во время конфликта, старший сын {ks} лет пытался заступиться.",
    "Свекровь считает, что невестка сама виновата, и просит не выносить сор из избы.",
    "Семья живёт в доме родителей мужа, своего жилья нет.",
    "Пострадавшая боится, что муж заберёт детей, если она уйдёт к родителям.",
    "Зарплату мужа получает свекровь, на руки пострадавшая денег не получает.",
    "Члены комитета посетили семью {d}, дома была только свекровь.",
    "С мужем проведена профилактическая беседа, он обещал бросить пить.",
    "Пострадавшая согласилась на консультацию психолога в районном кризисном центре.",
    "Аксакалы предлагают примирение, но пострадавшая хочет подать на развод.",
    "Через две недели ситуация повторилась, ребёнок испуган и плохо спит.",
    "Классный руководитель сообщила, что девочка перестала ходить в школу.",
    "Выдано охранное предписание на {n} суток, копия передана участковому.",
    "Муж нарушил предписание и пришёл к дому родителей пострадавшей.",
    "Комитет обсудил случай на заседании и решил продолжить наблюдение.",
    "Пострадавшей разъяснены её права и телефоны горячей линии.",
    "Нужна помощь юриста по алиментам и разделу имущества.",
    "Документы детей остались у мужа, требуется восстановление свидетельств о рождении.",
    "Семья получает пособие, но его не хватает на зиму: нет угля.",
    "Пострадавшая работает на рынке, уходит рано утром и возвращается поздно.",
    "Отец пострадавшей болен, помочь ей материально родители не могут.",
    "Муж уехал на заработки в Россию, звонит и угрожает по телефону.",
    "Социальный работник аймака взял семью на контроль.",
    "Повторный визит {d}: в доме спокойно, муж посещает коррекционную программу.",
    "Пострадавшая просит не сообщать мужу о её обращении.",
    "Председатель комитета связался с кризисным центром, место в приюте есть на {n} дней.",
    "Сестра мужа вмешалась и тоже оскорбляла пострадавшую при детях.",
    "После беседы с имамом муж признал свою вину, но отказался от занятий.",
    "Медики зафиксировали перелом пальца, выдана справка.",
    "Пострадавшая вернулась в семью мужа, комитет продолжит посещения раз в месяц.",
    "В беседе участвовали {n} членов комитета и представитель айыл окмоту.",
    "Ребёнок с инвалидностью нуждается в уходе, мать не может работать полный день.",
    "Денежная помощь {sum} сом выдана на покупку угля и одежды детям.",
    "Проведено собрание жителей улицы {st} о недопустимости насилия в семье.",
    "Пришли в основном женщины, мужчин было мало, обсуждали ранние браки.",
    "Школьникам 8-11 классов показали фильм и провели обсуждение.",
]
KY = [
    "{who} {d} комитетке кайрылды, үйдө дагы урушуп калышкан.",
    "Анын айтымында, күйөөсү {pn} үч айдан бери иштебейт, көп ичет.",
    "Кошунасы {nb} түнкүсүн кыйкырыкты угуп, участкалык инспекторго чалган.",
    "Участкалык инспектор {pn} менен маектешип, жоопкерчилик тууралуу эскертти.",
    "Жабыркаган аялдын колунда көгөргөн жерлер бар, адегенде дарыгерге баргысы келген жок.",
    "Урушта үйдө {k} бала болгон, улуу уулу {ks} жашта, апасын коргоого аракет кылган.",
    "Кайненеси келинди өзү күнөөлүү деп, сыртка чыгарбагыла деп суранат.",
    "Үй-бүлө күйөөсүнүн ата-энесинин үйүндө турат, өз үйү жок.",
    "Ата-энесине кетсе, күйөөсү балдарды тартып алат деп коркот.",
    "Күйөөсүнүн айлыгын кайненеси алат, келинге акча берилбейт.",
    "Комитеттин мүчөлөрү {d} үй-бүлөгө барышты, үйдө кайненеси гана бар экен.",
    "Күйөөсү менен алдын алуу маеги өткөрүлдү, ичкиликти таштайм деп убада берди.",
    "Жабыркаган аял райондук кризистик борбордогу психологго барууга макул болду.",
    "Аксакалдар элдешүүнү сунуштайт, бирок аял ажырашкысы келет.",
    "Эки жумадан кийин абал кайталанды, бала коркуп, жакшы уктабай калды.",
    "Класс жетекчиси кыз мектепке келбей калганын билдирди.",
    "{n} күнгө коргоо ордери берилди, көчүрмөсү участкалыкка өткөрүлдү.",
    "Күйөөсү ордерди бузуп, аялдын ата-энесинин үйүнө келди.",
    "Комитет бул ишти отурумда карап, көзөмөлдү улантууну чечти.",
    "Аялга укуктары жана ишеним телефондору түшүндүрүлдү.",
    "Алимент жана мүлктү бөлүү боюнча юристтин жардамы керек.",
    "Балдардын документтери күйөөсүндө калды, туулгандыгы тууралуу күбөлүктөрдү калыбына келтирүү керек.",
    "Үй-бүлө жөлөкпул алат, бирок кышка жетпейт: көмүр жок.",
    "Аял базарда иштейт, эрте кетип, кеч келет.",
    "Атасы ооруп жүрөт, ата-энеси акчалай жардам бере албайт.",
    "Күйөөсү Орусияга жумушка кеткен, телефон аркылуу коркутат.",
    "Айыл өкмөтүнүн социалдык кызматкери үй-бүлөнү көзөмөлгө алды.",
    "{d} кайра барганда үйдө тынч экен, күйөөсү түзөтүү программасына катышып жүрөт.",
    "Аял күйөөсүнө кайрылганын айтпоону суранды.",
    "Комитеттин төрагасы кризистик борбор менен сүйлөштү, баш калкалоочу жайда {n} күнгө орун бар.",
    "Күйөөсүнүн эжеси да кийлигишип, балдардын көзүнчө келинди кордоду.",
    "Имам менен болгон маектен кийин күйөөсү күнөөсүн мойнуна алды.",
    "Дарыгерлер манжасы сынганын катташты, маалымкат берилди.",
    "Аял кайра күйөөсүнүн үйүнө кайтты, комитет айына бир жолу барып турат.",
    "Маекке комитеттин {n} мүчөсү жана айыл өкмөтүнүн өкүлү катышты.",
    "Майып балага кароо керек, апасы толук күн иштей албайт.",
    "Көмүр жана балдарга кийим алууга {sum} сом акчалай жардам берилди.",
    "{st} көчөсүнүн тургундары менен үй-бүлөдөгү зомбулукка жол бербөө боюнча жыйын өттү.",
    "Көбүнчө аялдар келди, эркектер аз болду, эрте никени талкуулашты.",
    "8-11-класстын окуучуларына тасма көрсөтүлүп, талкуу болду.",
]
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля",
             "августа", "сентября", "октября", "ноября", "декабря"]


def fill(r, s, lang):
    m = r.randrange(12)
    d = (f"{r.randrange(1, 29)} {MONTHS_RU[m]}" if lang == "ru"
         else f"{m + 1:02d}-айдын {r.randrange(1, 29)}-күнү")
    return s.format(who=person(r, True), pn=person(r, False), nb=person(r, True),
                    d=d, k=r.randrange(1, 6), ks=r.randrange(7, 17),
                    n=r.randrange(2, 16), sum=r.randrange(2, 40) * 500,
                    st=r.choice(STREETS))


def text(r, lang, target):
    """Sentences of the language until about TARGET UTF-8 bytes."""
    bank = RU if lang == "ru" else KY
    out, size = [], 0
    while size < target:
        s = fill(r, r.choice(bank), lang)
        out.append(s)
        size += len(s.encode()) + 1
    t = " ".join(out)
    # Trim to the target on a character boundary (a member stops mid-thought too).
    b = t.encode()
    if len(b) > target:
        t = b[:target].decode("utf-8", "ignore").rstrip()
    return t


def lognorm(r, median, sigma, lo, hi):
    return int(min(hi, max(lo, median * math.exp(r.gauss(0, sigma)))))


def note(r, lang):
    return text(r, lang, lognorm(r, 400, 0.55, 60, 2400))


def ymd(doy):
    import datetime
    return (datetime.date(YEAR, 1, 1) + datetime.timedelta(days=doy)).isoformat()


# ---- records ----------------------------------------------------------------
def make_record(r, kind, date, case):
    lang = "ru" if r.random() < 0.5 else "ky"
    j = {}
    if kind == "appeal":
        female = r.random() < 0.88
        j = {"date": date,
             "source": r.choice(["survivor"] * 4 + ["family", "neighbour"] + ["police"] * 3 +
                                ["school", "health", "aksakal_court", "anonymous", "other"]),
             "violence": sorted(set(r.sample(["physical", "psychological", "sexual", "economic", "neglect"],
                                             r.choice([1, 1, 2, 2, 3])))),
             "survivor_sex": "female" if female else "male",
             "survivor_age": r.choice(["0-11", "12-17", "18-25", "26-40", "26-40", "26-40", "41-60", "61+"]),
             "status": "open"}
        if r.random() < 0.7:
            j["gbv_type"] = r.choice(["physical_assault", "psychological_abuse", "denial_of_resources",
                                      "forced_marriage", "sexual_assault", "non_gbv"])
        if r.random() < 0.8:
            j["perpetrator_relation"] = r.choice(["spouse"] * 5 + ["former_spouse", "partner", "parent",
                                                                   "child", "sibling", "in_law", "other_relative"])
        if r.random() < 0.5:
            j["reviewed_with"] = sorted(set(r.sample(["police", "aksakal_court", "social_services"], r.choice([1, 1, 2]))))
        j["consent_services"] = r.random() < 0.7
        j["consent_reporting"] = r.random() < 0.4
        j["survivor_name"] = person(r, female)
        if r.random() < 0.8:
            j["survivor_phone"] = phone(r)
        j["address"] = address(r, lang)
        if r.random() < 0.6:
            j["perpetrator_name"] = person(r, not female)
        if r.random() < 0.02:
            j["narrative"] = text(r, lang, r.randrange(4000, 11000))  # a case history
        else:
            j["narrative"] = text(r, lang, lognorm(r, 850, 0.4, 250, 3200))
    elif kind == "referral":
        j = {"case": case, "date": date,
             "service": r.choice(["crisis_centre", "crisis_centre", "shelter", "police", "aksakal_court",
                                  "legal_aid", "psychologist", "psychologist", "health", "social_protection", "other"]),
             "status": "referred"}
        if r.random() < 0.8:
            j["notes"] = note(r, lang)
    elif kind == "protection_order":
        j = {"case": case, "date": date, "days": r.choice([3, 7, 15, 15, 30]),
             "order_number": "%d-%04d" % (YEAR, r.randrange(1, 9999))}
    elif kind == "correction":
        j = {"case": case, "date": date, "outcome": "ongoing"}
        if r.random() < 0.7:
            j["notes"] = note(r, lang)
    elif kind == "family":
        fam = r.choice(ROOTS)
        n = r.randrange(2, 8)
        mem = ", ".join(f"{r.choice(FIRST_F + FIRST_M)} ({r.randrange(1, 70)})" for _ in range(n))
        j = {"date": date,
             "reason": sorted(set(r.sample(["violence_history", "alcohol", "unemployment", "migration",
                                            "disability", "conflict", "other"], r.choice([1, 2, 2, 3])))),
             "risk": r.choice(["high", "medium", "medium", "low"]), "children": r.randrange(0, 7),
             "status": "active", "family_name": fam + "овдор" if lang == "ky" else "семья " + fam + "овых",
             "address": address(r, lang), "members": mem, "notes": note(r, lang)}
    elif kind == "followup":
        j = {"case": case, "date": date,
             "action": r.choice(["preventive_talk", "home_visit", "home_visit", "document_restoration",
                                 "correctional_session", "referral_followup", "other"])}
        if r.random() < 0.6:
            j["result"] = r.choice(["done", "done", "done", "not_reached", "refused"])
        if r.random() < 0.85:
            j["notes"] = note(r, lang)
    elif kind == "session":
        j = {"date": date, "cases_reviewed": r.randrange(1, 14), "members_present": r.randrange(4, 12),
             "violence_related": r.random() < 0.8, "decisions": text(r, lang, lognorm(r, 700, 0.4, 200, 2500))}
    elif kind == "prevention":
        j = {"date": date,
             "audience": r.choice(["parents", "pupils_8_11", "community", "women", "youth", "door_to_door",
                                   "whatsapp", "press", "other"]),
             "participants_female": r.randrange(3, 80), "participants_male": r.randrange(0, 40)}
        if r.random() < 0.8:
            j["notes"] = note(r, lang)
    elif kind == "training":
        j = {"date": date, "days": r.choice([1, 1, 2, 3]), "participants_female": r.randrange(5, 30),
             "participants_male": r.randrange(0, 20),
             "groups": sorted(set(r.sample(["state", "municipal", "ngo", "activist", "police", "school", "health"],
                                           r.choice([1, 2, 3])))),
             "notes": note(r, lang)}
    elif kind == "aid":
        k = r.choice(["money", "money", "money", "in_kind", "housing"])
        j = {"date": date, "kind": k}
        if case is not None:
            j["case"] = case
        if k == "money":
            j["amount_som"] = r.randrange(2, 60) * 500
        j["recipient_name"] = person(r, True)
        if r.random() < 0.7:
            j["notes"] = note(r, lang)
    elif kind == "closure":
        j = {"case": case, "date": date,
             "reason": r.choice(["resolved", "resolved", "resolved", "moved", "referred_elsewhere",
                                 "survivor_request", "other"])}
    return j


def plan(records, seed):
    r = random.Random(seed)
    total = sum(n for _, n in MIX)
    counts = {k: max(1, round(n * records / total)) for k, n in MIX}
    ops = []  # (doy, tiebreak, op)
    recs = []  # ref -> dict(kind, doy, json)
    order = [0]

    def add_op(doy, op):
        order[0] += 1
        ops.append((doy, order[0], op))

    def new_rec(kind, doy, case_ref):
        ref = len(recs)
        case = f"@ref:{case_ref}" if case_ref is not None else None
        j = make_record(r, kind, ymd(doy), case)
        recs.append({"kind": kind, "doy": doy, "json": j, "deleted": False})
        add_op(doy, {"phase": "backlog", "op": "add", "kind": kind, "ref": ref, "label": kind,
                     "json": json.loads(json.dumps(j))})  # as entered, before any update
        return ref

    last = 332  # 2026-11-29
    appeals = sorted(r.randrange(0, last - 10) for _ in range(counts["appeal"]))
    families = sorted(r.randrange(0, last - 10) for _ in range(counts["family"]))
    a_refs = [new_rec("appeal", d, None) for d in appeals]
    f_refs = [new_rec("family", d, None) for d in families]

    def case_for(kind, doy):
        pool = a_refs + (f_refs if kind in ("followup", "aid") else [])
        earlier = [x for x in pool if recs[x]["doy"] <= doy]
        if not earlier:
            return pool[0], max(doy, recs[pool[0]]["doy"])
        # Work clusters on recent cases.
        recent = earlier[-40:] if r.random() < 0.7 else earlier
        return r.choice(recent), doy

    closed = set()
    for kind, _ in MIX:
        if kind in ("appeal", "family"):
            continue
        for _ in range(counts[kind]):
            doy = r.randrange(0, last + 1)
            case = None
            if kind == "closure":
                open_ = [x for x in a_refs if x not in closed and recs[x]["doy"] < last - 5]
                case = r.choice(open_)
                closed.add(case)
                doy = min(last, recs[case]["doy"] + r.randrange(10, 150))
                ref = new_rec(kind, doy, case)
                add_op(doy, {"phase": "backlog", "op": "update", "kind": "appeal", "ref": case,
                             "label": "status-only", "json": {"status": "closed"}})
                recs[case]["json"]["status"] = "closed"
                continue
            if kind != "session" and kind != "prevention" and kind != "training" and (kind != "aid" or r.random() < 0.6):
                case, doy = case_for(kind, doy)
            new_rec(kind, doy, case)

    # Updates, most of them a status or a flag only (class A fields).
    def later(doy, lo, hi):
        return min(last, doy + r.randrange(lo, hi))

    def status_update(ref, fields, lo=2, hi=60):
        rec = recs[ref]
        add_op(later(rec["doy"], lo, hi), {"phase": "backlog", "op": "update", "kind": rec["kind"], "ref": ref,
                                           "label": "status-only", "json": fields})
        rec["json"].update(fields)

    def body_update(ref, fields, lo=3, hi=90):
        rec = recs[ref]
        add_op(later(rec["doy"], lo, hi), {"phase": "backlog", "op": "update", "kind": rec["kind"], "ref": ref,
                                           "label": "body", "json": fields})
        rec["json"].update(fields)

    for ref, rec in enumerate(list(recs)):
        k, j = rec["kind"], rec["json"]
        lang = "ru" if r.random() < 0.5 else "ky"
        if k == "appeal":
            if ref not in closed and r.random() < 0.6:
                status_update(ref, {"status": "in_progress"}, 1, 20)
            if r.random() < 0.2:
                status_update(ref, {"consent_reporting": not j["consent_reporting"]})
            if r.random() < 0.08:
                body_update(ref, {"narrative": j["narrative"] + " " + text(r, lang, lognorm(r, 300, 0.5, 80, 900))})
        elif k == "referral" and r.random() < 0.7:
            status_update(ref, {"status": r.choice(["provided", "provided", "provided", "declined", "unavailable"])})
        elif k == "correction" and r.random() < 0.6:
            status_update(ref, {"outcome": r.choice(["completed", "completed", "dropped"])}, 20, 120)
        elif k == "protection_order" and r.random() < 0.3:
            status_update(ref, r.choice([{"extended": True}, {"breached": True}]), 1, 15)
        elif k == "followup":
            if r.random() < 0.15:
                status_update(ref, {"result": r.choice(["done", "not_reached", "refused"])}, 1, 10)
            elif "notes" in j and r.random() < 0.05:
                body_update(ref, {"notes": j["notes"] + " " + note(r, lang)}, 1, 20)
        elif k == "family" and r.random() < 0.1:
            d = later(rec["doy"], 60, 250)
            add_op(d, {"phase": "backlog", "op": "update", "kind": k, "ref": ref, "label": "removed",
                       "json": {"status": "removed", "removed_date": ymd(d)}})
            j["status"] = "removed"
        elif k == "aid" and r.random() < 0.05 and "notes" in j:
            body_update(ref, {"notes": j["notes"] + " " + note(r, lang)}, 0, 5)

    # Deletes: records entered by mistake, gone a day or two later; never a
    # case's record (so every case reference stays valid).
    cases = {v for rec in recs for v in [rec["json"].get("case")] if v}
    cand = [i for i, rec in enumerate(recs) if rec["kind"] in ("prevention", "followup", "aid", "training")
            and f"@ref:{i}" not in cases]
    for ref in r.sample(cand, max(1, round(records * 0.015))):
        recs[ref]["deleted"] = True
        add_op(later(recs[ref]["doy"], 0, 3), {"phase": "backlog", "op": "delete", "kind": recs[ref]["kind"],
                                               "ref": ref, "label": "delete"})

    ops.sort(key=lambda t: (t[0], t[1]))
    out = [op for _, _, op in ops]
    # An update or delete may not come before its record's add (same day).
    seen, fixed, held = set(), [], []
    for op in out:
        if op["op"] == "add":
            seen.add(op["ref"])
            fixed.append(op)
            still = []
            for h in held:
                (fixed if h["ref"] in seen else still).append(h)
            held = still
        elif op["ref"] in seen:
            fixed.append(op)
        else:
            held.append(op)
    fixed += held
    # Deleted records get no update after their delete.
    gone, final = set(), []
    for op in fixed:
        if op["ref"] in gone:
            continue
        if op["op"] == "delete":
            gone.add(op["ref"])
        final.append(op)

    # ---- samples: entered one at a time on the live link after the backlog.
    s = random.Random(seed + 7)
    live_appeals = [i for i in a_refs if not recs[i]["deleted"]]
    samples = []
    for kind, _ in MIX:
        for i in range(SAMPLES):
            case = f"@ref:{s.choice(live_appeals)}" if kind in (
                "referral", "protection_order", "correction", "followup", "closure") else None
            samples.append({"phase": "sample", "op": "add", "kind": kind, "label": kind,
                            "json": make_record(s, kind, ymd(333), case)})
    nb = lambda i: len(recs[i]["json"]["narrative"].encode())
    near = lambda lo, hi, mid: sorted((i for i in live_appeals if lo <= nb(i) < hi), key=lambda i: abs(nb(i) - mid))[:3]
    for label, refs in (("status-only update, narrative ~900 B", near(800, 1000, 900)),
                        ("status-only update, narrative 1.5-2 KB", near(1500, 2000, 1750)),
                        ("status-only update, case history >= 4 KB", near(4000, 16384, 6000))):
        for i in refs:
            samples.append({"phase": "sample", "op": "update", "kind": "appeal", "ref": i, "label": label,
                            "json": {"consent_reporting": not recs[i]["json"]["consent_reporting"]}})
    for i in range(3):
        j = make_record(s, "referral", ymd(333), f"@ref:{s.choice(live_appeals)}")
        j["notes"] = text(s, "ru", 200)
        samples.append({"phase": "sample", "op": "add", "kind": "referral",
                        "label": "referral, 200-byte Russian note", "json": j})

    # ---- one day's new records.
    day = []
    for kind in ("appeal", "referral", "followup", "followup", "prevention", "aid"):
        case = f"@ref:{s.choice(live_appeals)}" if kind in ("referral", "followup") else None
        j = make_record(s, kind, DAY_DATE, case)
        day.append({"phase": "day", "op": "add", "kind": kind, "label": kind, "json": j})
    return final + samples + day


# ---- entering ---------------------------------------------------------------
def resolve(j, ids):
    out = {}
    for k, v in j.items():
        if isinstance(v, str) and v.startswith("@ref:"):
            v = ids[v[5:]]
        out[k] = v
    return out


def enter(a):
    ops = [json.loads(line) for line in open(a.plan, encoding="utf-8")]
    ops = [o for o in ops if o["phase"] == a.phase]
    ids = {}
    if a.ids and os.path.exists(a.ids):
        ids = json.load(open(a.ids))
    todo = list(enumerate(ops))
    if a.only is not None:
        todo = [todo[a.only]]
    log = open(a.log, "a") if a.log else None
    if a.json_dir:
        os.makedirs(a.json_dir, exist_ok=True)
    for i, o in todo:
        base = [a.ayil, "--home", a.home, "record"]
        data = b""
        if o["op"] == "delete":
            cmd = base + ["delete", ids[str(o["ref"])]]
        else:
            data = json.dumps(resolve(o["json"], ids), ensure_ascii=False, separators=(",", ":")).encode()
            if o["op"] == "add":
                cmd = base + ["add", o["kind"]]
            else:
                cmd = base + ["update", ids[str(o["ref"])]]
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if p.returncode != 0:
            sys.stderr.write(f"year_gen: {a.phase} op {i} ({o['op']} {o['kind']}) failed: "
                             f"{p.stderr.decode(errors='replace').strip()}\n")
            sys.exit(1)
        if o["op"] == "add" and a.phase == "backlog":
            ids[str(o["ref"])] = p.stdout.decode().strip()
        if a.json_dir and data:
            with open(os.path.join(a.json_dir, f"{a.phase}-{i:05d}.json"), "wb") as f:
                f.write(data)
        if log:
            label = o["label"].replace(" ", "_")
            log.write(f"{a.phase} {i} {o['op']} {o['kind']} {label} {len(data)}\n")
            log.flush()
    if a.ids and a.phase == "backlog":
        json.dump(ids, open(a.ids, "w"))


def corpus(a):
    os.makedirs(a.dir, exist_ok=True)
    fake = {}
    n = 0
    for o in plan(a.records, a.seed):
        if o["op"] == "delete":
            continue
        if "ref" in o:
            fake.setdefault(str(o["ref"]), "%032x" % random.Random(o["ref"]).getrandbits(128))
        j = {k: (("%032x" % random.Random(v).getrandbits(128)) if isinstance(v, str) and v.startswith("@ref:") else v)
             for k, v in o["json"].items()}
        with open(os.path.join(a.dir, f"{n:05d}.json"), "wb") as f:
            f.write(json.dumps(j, ensure_ascii=False, separators=(",", ":")).encode())
        n += 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan")
    p.add_argument("--records", type=int, default=2000)
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--out", required=True)
    e = sub.add_parser("enter")
    e.add_argument("--ayil", required=True)
    e.add_argument("--home", required=True)
    e.add_argument("--plan", required=True)
    e.add_argument("--phase", required=True, choices=["backlog", "sample", "day"])
    e.add_argument("--only", type=int)
    e.add_argument("--ids")
    e.add_argument("--json-dir")
    e.add_argument("--log")
    c = sub.add_parser("corpus")
    c.add_argument("--records", type=int, default=2000)
    c.add_argument("--seed", type=int, required=True)
    c.add_argument("--dir", required=True)
    a = ap.parse_args()
    if a.cmd == "plan":
        with open(a.out, "w", encoding="utf-8") as f:
            for o in plan(a.records, a.seed):
                f.write(json.dumps(o, ensure_ascii=False) + "\n")
    elif a.cmd == "enter":
        enter(a)
    else:
        corpus(a)


if __name__ == "__main__":
    main()
