#!/usr/bin/env python3
"""Invented committee bodies, the training corpus of the body dictionary.

Writes N files, each one record body exactly as ayil seals it: the canonical
msgpack map (keys in bytewise order, values msgpack str) of the identifying
fields (RECORDS.md class I) of one of the 11 record kinds, with text in
Kyrgyz, Russian and English. Every name, address, phone number and story is
invented here, from the phrase lists below (which are this script's own:
the realistic-year benchmark in tests/bench has an independent generator, so
it never measures the dictionary on its training text).

Deterministic: a fixed seed and no other input, so body-dict.sh makes the
same dictionary on any machine with the same zstd.

    body_corpus.py OUTDIR [COUNT]
"""
import os
import random
import struct
import sys

SEED = 20260101

# ---- msgpack, canonical (the subset a body uses) ----


def mp_str(s):
    b = s.encode("utf-8")
    n = len(b)
    if n < 32:
        return bytes([0xA0 | n]) + b
    if n < 256:
        return b"\xd9" + bytes([n]) + b
    if n < 65536:
        return b"\xda" + struct.pack(">H", n) + b
    return b"\xdb" + struct.pack(">I", n) + b


def mp_map(d):
    keys = sorted(d, key=lambda k: k.encode("utf-8"))
    n = len(keys)
    out = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
    for k in keys:
        out += mp_str(k) + mp_str(d[k])
    return out


# ---- invented people and places ----

GIVEN_F = ["Айгерим", "Нургуль", "Жылдыз", "Бермет", "Асель", "Гулзат", "Чолпон",
           "Мээрим", "Динара", "Айпери", "Жазгуль", "Анара", "Калыйча", "Сезим",
           "Ольга", "Татьяна", "Елена", "Aigul", "Nazira", "Cholpon"]
GIVEN_M = ["Бакыт", "Нурлан", "Талант", "Эрлан", "Азамат", "Бектур", "Урмат",
           "Темир", "Кубат", "Жоомарт", "Сергей", "Алексей", "Дмитрий", "Marat",
           "Ulan", "Timur"]
FAMILY = ["Осмонова", "Токтогулова", "Асанова", "Жумабаева", "Сыдыкова",
          "Турдубаева", "Абдыкадырова", "Мамбетова", "Иванова", "Кенжебаева",
          "Садыкова", "Омурбекова", "Борубаева", "Eshenova", "Alieva"]
FAMILY_M = ["Осмонов", "Токтогулов", "Асанов", "Жумабаев", "Сыдыков",
            "Турдубаев", "Абдыкадыров", "Мамбетов", "Иванов", "Кенжебаев",
            "Садыков", "Омурбеков", "Борубаев", "Eshenov", "Aliev"]
PATRON = ["кызы", "уулу"]
VILLAGES = ["с. Ак-Суу", "с. Кара-Булак", "с. Жаны-Жол", "с. Кызыл-Туу",
            "с. Таш-Добо", "с. Арал", "айыл Чон-Сары-Ой", "айыл Бел-Алды",
            "с. Кок-Жар", "айыл Орто-Сай", "village Kara-Oi", "с. Сары-Камыш"]
STREETS = ["ул. Ленина", "ул. Манаса", "ул. Токтогула", "ул. Мира",
           "ул. Садовая", "көч. Айтматова", "көч. Жибек-Жолу", "ул. Школьная",
           "пер. Озерный", "Manas street", "ул. Абдрахманова"]
DISTRICTS = ["Иссык-Кульский р-н", "Ат-Башинский р-н", "Кара-Суйский р-н",
             "Таласский р-н", "Баткенский р-н", "Аламединский р-н",
             "Ноокенский р-н", "Кочкорский р-н"]


def person(r, sex=None):
    sex = sex or r.choice("fm")
    if sex == "f":
        g, f = r.choice(GIVEN_F), r.choice(FAMILY)
    else:
        g, f = r.choice(GIVEN_M), r.choice(FAMILY_M)
    form = r.random()
    if form < 0.5:
        return f"{f} {g}"
    if form < 0.7:
        return f"{g} {f}"
    if form < 0.85:
        return f"{g} {r.choice(GIVEN_M)} {PATRON[0 if sex == 'f' else 1]}"
    return f"{f} {g[0]}."


def phone(r):
    form = r.random()
    op = r.choice(["555", "700", "701", "707", "770", "772", "777", "990",
                   "995", "500", "550"])
    a, b, c = r.randint(100, 999), r.randint(10, 99), r.randint(10, 99)
    if form < 0.5:
        return f"+996 {op} {a} {b}{c}"
    if form < 0.8:
        return f"0{op}{a}{b}{c}"
    return f"+996{op}{a}{b}{c}"


def address(r):
    v = r.choice(VILLAGES)
    s = r.choice(STREETS)
    n = r.randint(1, 140)
    form = r.random()
    if form < 0.4:
        return f"{v}, {s}, {n}"
    if form < 0.7:
        return f"{r.choice(DISTRICTS)}, {v}, {s} {n}"
    if form < 0.85:
        return f"{v}, {s} {n}, кв. {r.randint(1, 60)}"
    return f"{v}, {s} {n}"


def date(r, year=None):
    y = year or r.choice([2025, 2026, 2027])
    return f"{y:04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


# ---- sentences, per language, assembled into notes and narratives ----

RU = [
    "Заявительница сообщила, что {who} систематически применяет физическое насилие.",
    "По словам соседей, конфликты в семье происходят почти каждую неделю.",
    "Проведена профилактическая беседа с {who}, он предупрежден об ответственности.",
    "Пострадавшая направлена в кризисный центр, дала согласие на помощь.",
    "Участковый инспектор выехал на место, составлен протокол.",
    "Выдано охранное предписание сроком на {n} суток.",
    "Семья нуждается в восстановлении документов: у детей нет свидетельств о рождении.",
    "Муж злоупотребляет алкоголем, не работает, деньги забирает у жены.",
    "Свекровь не разрешает невестке выходить из дома и звонить родителям.",
    "Пострадавшая отказалась писать заявление в милицию, боится мужа.",
    "Дети ({n} чел.) посещают школу нерегулярно, классный руководитель в курсе.",
    "Проведен повторный выезд на дом, дверь никто не открыл.",
    "Назначена консультация психолога на следующей неделе.",
    "Аксакальский суд рассмотрел дело и вынес решение о примирении сторон.",
    "Пострадавшая временно проживает у родственников в соседнем селе.",
    "Рекомендовано пройти коррекционную программу, {who} согласился.",
    "Оказана материальная помощь: продукты и одежда для детей.",
    "Соцработник проверил условия проживания, в доме холодно, нет угля.",
    "Со слов пострадавшей, угрозы поступают по телефону и через WhatsApp.",
    "Мать {n} детей, один ребенок с инвалидностью.",
    "Повторное обращение, ранее в {y} году дело было закрыто по просьбе заявительницы.",
    "Направлена к юристу для консультации по разводу и алиментам.",
    "Медицинское освидетельствование проведено в ЦСМ, зафиксированы побои.",
    "Ситуация стабилизировалась, насилие не повторялось.",
    "Член комитета {who2} будет поддерживать связь с семьей.",
]
KY = [
    "Арыз ээси күйөөсү аны дайыма ургандыгын айтты.",
    "Кошуналардын айтымында, үй-бүлөдө уруш-талаш көп болот.",
    "{who} менен алдын алуу маеги өткөрүлдү, ал жоопкерчилик тууралуу эскертилди.",
    "Жабыр тартуучу кризистик борборго жөнөтүлдү, жардамга макулдугун берди.",
    "Участкалык инспектор үйгө барып, протокол түздү.",
    "{n} күнгө коргоо ордери берилди.",
    "Балдардын туулгандыгы тууралуу күбөлүгү жок, документтерди калыбына келтирүү керек.",
    "Күйөөсү ичимдикке берилген, иштебейт, аялынын акчасын алат.",
    "Кайненеси келинин үйдөн чыгарбайт, ата-энесине чалууга уруксат бербейт.",
    "Жабыр тартуучу милицияга арыз жазуудан баш тартты, күйөөсүнөн коркот.",
    "Үйгө кайра барылды, эч ким эшикти ачкан жок.",
    "Кийинки жумада психологдун кеңешине жазылды.",
    "Аксакалдар соту ишти карап, тараптарды элдештирүү чечимин чыгарды.",
    "Жабыр тартуучу убактылуу коңшу айылдагы туугандарыныкында жашап жатат.",
    "Балдарга азык-түлүк жана кийим-кече түрүндө жардам берилди.",
    "Социалдык кызматкер турмуш шартын текшерди, үйдө көмүр жок.",
    "Коркутуулар телефон жана WhatsApp аркылуу келет.",
    "{n} баланын энеси, бир баласы майып.",
    "Абал турукташты, зомбулук кайталанган жок.",
    "Комитеттин мүчөсү {who2} үй-бүлө менен байланышта болот.",
    "Ажырашуу жана алимент боюнча юристке жөнөтүлдү.",
    "Үй-бүлөлүк зомбулук боюнча түзөтүү программасына катышуу сунушталды.",
]
EN = [
    "The survivor reported repeated beatings by {who}.",
    "Neighbours say the quarrels happen almost every week.",
    "A preventive talk was held with {who}; he was warned of his liability.",
    "Referred to the crisis centre; she agreed to receive help.",
    "The district police officer visited and wrote a report.",
    "A protection order was issued for {n} days.",
    "The children have no birth certificates; documents to be restored.",
    "Home visit repeated, nobody opened the door.",
    "Psychologist appointment booked for next week.",
    "The family received food and winter clothes for the children.",
    "Situation stable, no new violence reported.",
    "Committee member {who2} keeps in touch with the family.",
]
WHO_RU = ["муж", "бывший муж", "сожитель", "свекор", "сын", "брат мужа", "отец"]
WHO_KY = ["күйөөсү", "мурдагы күйөөсү", "кайнатасы", "уулу", "агасы"]
WHO_EN = ["her husband", "her former husband", "her partner", "her son",
          "her father-in-law"]


def sentence(r, lang):
    pool, who = {"ru": (RU, WHO_RU), "ky": (KY, WHO_KY),
                 "en": (EN, WHO_EN)}[lang]
    s = r.choice(pool)
    return s.format(who=r.choice(who), who2=person(r), n=r.randint(2, 30),
                    y=r.choice([2023, 2024, 2025]))


def text(r, target):
    """About target bytes of text, in one language or, sometimes, mixed."""
    lang = r.choices(["ru", "ky", "en", "mix"], [45, 35, 10, 10])[0]
    out = []
    size = 0
    guard = 0
    while size < target and guard < 400:
        guard += 1
        lg = r.choice(["ru", "ky"]) if lang == "mix" else lang
        s = sentence(r, lg)
        if r.random() < 0.15:
            s = f"{date(r)[8:10]}.{date(r)[5:7]}: " + s
        out.append(s)
        size += len(s.encode("utf-8")) + 1
    return " ".join(out)


def note_len(r):
    """Lengths as committees write them: mostly short, a long tail."""
    x = r.random()
    if x < 0.35:
        return r.randint(20, 150)
    if x < 0.75:
        return r.randint(150, 500)
    if x < 0.95:
        return r.randint(500, 1200)
    return r.randint(1200, 5000)


def body(r):
    kind = r.choices(["appeal", "referral", "protection_order", "correction",
                      "family", "followup", "session", "prevention",
                      "training", "aid", "closure"],
                     [20, 15, 5, 5, 8, 20, 5, 6, 3, 6, 7])[0]
    b = {"date": date(r)}
    opt = lambda p: r.random() < p
    if kind == "appeal":
        if opt(0.8):
            b["survivor_name"] = person(r, "f" if opt(0.85) else "m")
        if opt(0.6):
            b["survivor_phone"] = phone(r)
        if opt(0.7):
            b["address"] = address(r)
        if opt(0.5):
            b["perpetrator_name"] = person(r, "m")
        if opt(0.8):
            b["narrative"] = text(r, max(200, note_len(r) * 2))
    elif kind == "protection_order":
        b["order_number"] = r.choice(["№", "No ", "", "ОП-"]) + \
            f"{r.randint(1, 999)}/{r.choice([25, 26, 27])}"
    elif kind == "family":
        if opt(0.8):
            b["family_name"] = r.choice(FAMILY_M) + r.choice(["тар", "ы", "", "ова"])
        if opt(0.7):
            b["address"] = address(r)
        if opt(0.5):
            b["members"] = ", ".join(
                person(r) + f" ({r.randint(1, 70)})" for _ in range(r.randint(2, 6)))
        if opt(0.2):
            b["removed_date"] = date(r)
        if opt(0.6):
            b["notes"] = text(r, note_len(r))
    elif kind == "session":
        if opt(0.8):
            b["decisions"] = text(r, note_len(r))
    elif kind == "aid":
        if opt(0.7):
            b["recipient_name"] = person(r, "f")
        if opt(0.6):
            b["notes"] = text(r, note_len(r))
    elif kind == "closure":
        pass
    else:  # referral, correction, followup, prevention, training
        if opt(0.75):
            b["notes"] = text(r, note_len(r))
    return mp_map(b)


def main():
    outdir = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    r = random.Random(SEED)
    os.makedirs(outdir, exist_ok=True)
    for i in range(count):
        with open(os.path.join(outdir, f"b{i:05d}.mp"), "wb") as f:
            f.write(body(r))


if __name__ == "__main__":
    main()
