/*
 * The words of a report in English, Russian and Kyrgyz.
 *
 * For translators: each line below is one label: {key, English, Russian,
 * Kyrgyz}. Change only the texts in quotes after the key; never the key.
 * Keep every {name} in braces as it is: the report puts a value there
 * ({code} a code's label, {n} and {m} numbers, {from} {to} months,
 * {oblast} an oblast's name). A text must not be empty. The order of the
 * lines does not matter. After editing, run the tests: they fail if a
 * label is missing in a language.
 *
 * Keys: "ind.X" labels indicator X; "grp.X" labels a family of indicators
 * with one {code}; "code.LIST.CODE" labels a code; "oblast.X" and
 * "region.X" name places; the rest are headings and notes.
 *
 * The Kyrgyz texts want a review by a native speaker.
 */
#include "report.h"

/* clang-format off */
const ayil__report_label_t ayil__report_labels[] = {
  /* key                                  English                                             Russian                                                     Kyrgyz */
  {"title",                               "Family violence prevention: report",               "Профилактика семейного насилия: отчёт",                    "Үй-бүлөлүк зомбулуктун алдын алуу: отчёт"},
  {"period",                              "Period: {from} to {to}",                           "Период: с {from} по {to}",                                 "Мезгил: {from} – {to}"},
  {"period.start",                        "the first record",                                 "первой записи",                                            "биринчи жазуу"},
  {"period.end",                          "the latest record",                                "последнюю запись",                                         "акыркы жазуу"},
  {"filter.oblast",                       "Oblast: {oblast}",                                 "Область: {oblast}",                                        "Облус: {oblast}"},
  {"legend.suppressed",                   "Small numbers are hidden: <{n} means 1 to {m}; x means hidden to protect another cell (not 0, but it may be small or large).", "Малые числа скрыты: <{n} означает от 1 до {m}; x означает, что число скрыто, чтобы защитить другую ячейку (это не 0, но оно может быть и малым, и большим).", "Кичине сандар жашырылган: <{n} 1ден {m}ге чейин дегенди билдирет; x башка уячаны коргоо үчүн жашырылган санды билдирет (ал 0 эмес, бирок кичине да, чоң да болушу мүмкүн)."},
  {"note.rolled_back",                    "Rolled back: {n} entries of {committee} were taken back at this hub (revoke --after) and count nowhere.", "Отменено: {n} записей комитета {committee} изъяты на этом хабе (revoke --after) и нигде не учитываются.", "Жокко чыгарылды: {n} жазуу ({committee} комитети) бул хабда алынып салынды (revoke --after) жана эч жерде эсептелбейт."},
  {"heading.total",                       "Total, all committees",                            "Всего по всем комитетам",                                  "Бардык комитеттер боюнча жалпы"},
  {"heading.regions",                     "Macro-regions",                                    "Макрорегионы",                                             "Макроаймактар"},
  {"heading.oblasts",                     "Oblasts and cities",                               "Области и города",                                         "Облустар жана шаарлар"},
  {"heading.committees",                  "Committees: {oblast}",                             "Комитеты: {oblast}",                                       "Комитеттер: {oblast}"},
  {"heading.no_committees",               "Committees: none",                                 "Комитеты: нет",                                            "Комитеттер: жок"},
  {"heading.charts",                      "Charts",                                           "Диаграммы",                                                "Диаграммалар"},
  {"col.indicator",                       "Indicator",                                        "Показатель",                                               "Көрсөткүч"},
  {"chart.violence",                      "Appeals by type of violence",                      "Обращения по видам насилия",                               "Зомбулуктун түрлөрү боюнча кайрылуулар"},
  {"chart.referrals",                     "Referrals by service",                             "Направления по службам",                                   "Кызматтар боюнча жолдомолор"},
  {"chart.trainings",                     "Trainings by oblast",                              "Обучения по областям",                                     "Облустар боюнча окутуулар"},
  {"scope.total",                         "Total",                                            "Всего",                                                    "Бардыгы"},

  {"ind.appeals",                         "Appeals",                                          "Обращения",                                                "Кайрылуулар"},
  {"ind.sessions",                        "Committee sessions",                               "Заседания комитета",                                       "Комитеттин отурумдары"},
  {"ind.sessions.violence_related",       "Sessions on family violence",                      "Заседания по семейному насилию",                           "Үй-бүлөлүк зомбулук боюнча отурумдар"},
  {"ind.families.registered",             "At-risk families registered",                      "Семьи группы риска, поставленные на учёт",                 "Каттоого алынган тобокел топтогу үй-бүлөлөр"},
  {"ind.families.active",                 "At-risk families on the register at period end",   "Семьи группы риска на учёте на конец периода",             "Мезгилдин аягында каттоодогу тобокел топтогу үй-бүлөлөр"},
  {"ind.referrals",                       "Referrals",                                        "Направления",                                              "Жолдомолор"},
  {"ind.referrals.crisis_or_shelter",     "Referrals to a crisis centre or shelter",          "Направления в кризисный центр или убежище",                "Кризистик борборго же баш калкалоочу жайга жолдомолор"},
  {"ind.protection_orders",               "Protection orders",                                "Охранные ордера",                                          "Коргоо ордерлери"},
  {"ind.aid.money.people",                "Money aid: recipients",                            "Денежная помощь: получатели",                              "Акчалай жардам: алуучулар"},
  {"ind.aid.money.som",                   "Money aid: som",                                   "Денежная помощь: сом",                                     "Акчалай жардам: сом"},
  {"ind.aid.housing",                     "Housing aid",                                      "Помощь жильём",                                            "Турак жай менен жардам"},
  {"ind.aid.in_kind",                     "Aid in kind",                                      "Помощь в натуральной форме",                               "Заттай жардам"},
  {"ind.prevention.events",               "Prevention events",                                "Профилактические мероприятия",                             "Алдын алуу иш-чаралары"},
  {"ind.prevention.participants",         "Prevention event participants",                    "Участники профилактических мероприятий",                   "Алдын алуу иш-чараларынын катышуучулары"},
  {"ind.training.events",                 "Trainings",                                        "Обучения",                                                 "Окутуулар"},
  {"ind.training.participants",           "Training participants",                            "Участники обучений",                                       "Окутуулардын катышуучулары"},
  {"ind.closures",                        "Cases closed",                                     "Закрытые дела",                                            "Жабылган иштер"},

  {"grp.appeals.violence",                "Appeals, violence: {code}",                        "Обращения, вид насилия: {code}",                           "Кайрылуулар, зомбулуктун түрү: {code}"},
  {"grp.appeals.sex",                     "Appeals, survivor's sex: {code}",                  "Обращения, пол пострадавшего: {code}",                     "Кайрылуулар, жабыркагандын жынысы: {code}"},
  {"grp.appeals.age",                     "Appeals, survivor's age: {code}",                  "Обращения, возраст пострадавшего: {code}",                 "Кайрылуулар, жабыркагандын жашы: {code}"},
  {"grp.referrals",                       "Referrals to: {code}",                             "Направления: {code}",                                      "Жолдомолор: {code}"},
  {"grp.followups",                       "Follow-ups: {code}",                               "Сопровождение: {code}",                                    "Көзөмөл иштери: {code}"},
  {"grp.training.participants.days",      "Training participants, {n}-day trainings",         "Участники обучений длительностью {n} дн.",                 "{n} күндүк окутуулардын катышуучулары"},

  {"code.violence.physical",              "physical",                                         "физическое",                                               "физикалык"},
  {"code.violence.psychological",         "psychological",                                    "психологическое",                                          "психологиялык"},
  {"code.violence.sexual",                "sexual",                                           "сексуальное",                                              "сексуалдык"},
  {"code.violence.economic",              "economic",                                         "экономическое",                                            "экономикалык"},
  {"code.violence.neglect",               "neglect",                                          "пренебрежение нуждами",                                    "кароосуз калтыруу"},
  {"code.sex.female",                     "female",                                           "женский",                                                  "аял"},
  {"code.sex.male",                       "male",                                             "мужской",                                                  "эркек"},
  {"code.age.0-11",                       "0-11",                                             "0-11 лет",                                                 "0-11 жаш"},
  {"code.age.12-17",                      "12-17",                                            "12-17 лет",                                                "12-17 жаш"},
  {"code.age.18-25",                      "18-25",                                            "18-25 лет",                                                "18-25 жаш"},
  {"code.age.26-40",                      "26-40",                                            "26-40 лет",                                                "26-40 жаш"},
  {"code.age.41-60",                      "41-60",                                            "41-60 лет",                                                "41-60 жаш"},
  {"code.age.61+",                        "61 and over",                                      "61 год и старше",                                          "61 жана андан жогору"},
  {"code.age.unknown",                    "unknown",                                          "неизвестен",                                               "белгисиз"},
  {"code.service.crisis_centre",          "crisis centre",                                    "кризисный центр",                                          "кризистик борбор"},
  {"code.service.shelter",                "shelter",                                          "убежище",                                                  "баш калкалоочу жай"},
  {"code.service.police",                 "police",                                           "милиция",                                                  "милиция"},
  {"code.service.aksakal_court",          "aksakal court",                                    "суд аксакалов",                                            "аксакалдар соту"},
  {"code.service.legal_aid",              "legal aid",                                        "юридическая помощь",                                       "юридикалык жардам"},
  {"code.service.psychologist",           "psychologist",                                     "психолог",                                                 "психолог"},
  {"code.service.health",                 "health care",                                      "здравоохранение",                                          "саламаттыкты сактоо"},
  {"code.service.social_protection",      "social protection",                                "социальная защита",                                        "социалдык коргоо"},
  {"code.service.other",                  "other",                                            "другое",                                                   "башка"},
  {"code.action.preventive_talk",         "preventive talk",                                  "профилактическая беседа",                                  "профилактикалык маек"},
  {"code.action.home_visit",              "home visit",                                       "посещение на дому",                                        "үйгө баруу"},
  {"code.action.document_restoration",    "document restoration",                             "восстановление документов",                                "документтерди калыбына келтирүү"},
  {"code.action.correctional_session",    "correctional session",                             "коррекционное занятие",                                    "түзөтүү сабагы"},
  {"code.action.referral_followup",       "referral follow-up",                               "контроль направления",                                     "жолдомону көзөмөлдөө"},
  {"code.action.other",                   "other",                                            "другое",                                                   "башка"},

  {"oblast.batken",                       "Batken",                                           "Баткен",                                                   "Баткен"},
  {"oblast.chui",                         "Chui",                                             "Чуй",                                                      "Чүй"},
  {"oblast.issyk_kul",                    "Issyk-Kul",                                        "Иссык-Куль",                                               "Ысык-Көл"},
  {"oblast.jalal_abad",                   "Jalal-Abad",                                       "Джалал-Абад",                                              "Жалал-Абад"},
  {"oblast.naryn",                        "Naryn",                                            "Нарын",                                                    "Нарын"},
  {"oblast.osh",                          "Osh oblast",                                       "Ошская обл.",                                              "Ош облусу"},
  {"oblast.talas",                        "Talas",                                            "Талас",                                                    "Талас"},
  {"oblast.bishkek",                      "Bishkek city",                                     "г. Бишкек",                                                "Бишкек ш."},
  {"oblast.osh_city",                     "Osh city",                                         "г. Ош",                                                    "Ош ш."},
  {"region.north",                        "North",                                            "Север",                                                    "Түндүк"},
  {"region.south",                        "South",                                            "Юг",                                                       "Түштүк"},
};
/* clang-format on */

const size_t ayil__report_nlabels =
    sizeof(ayil__report_labels) / sizeof(ayil__report_labels[0]);
