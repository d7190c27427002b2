/*
 * Body sizes and times (never pass/fail, not run by ctest): for bodies of
 * each kind with invented text of realistic length -- a referral with a
 * 200-byte Russian note, a followup with a 400-byte Kyrgyz note, an appeal
 * with a 900-byte narrative, a family with a 4 KB case history, and a
 * closure (a date only) -- it prints the canonical map's size, its packed
 * size (compressed, before padding and the seal), the sealed
 * size as it was before packing (bare map, buckets from 256: computed by
 * that rule) and as ayil_body_seal makes it now, their ratio, and the
 * median time of seal + open over --iters runs.
 *
 * The texts are written here, by hand: none of their sentences is in the
 * dictionary's corpus (proto/dict/body_corpus.py), so the dictionary is not
 * measured on its own training text.
 *
 *   bench_body [--iters N] [--dump DIR]
 *
 * --dump DIR writes each map to DIR/<name>.mp, to compare with
 * `zstd -19 -D proto/dict/body-v1.zdict` on the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/entry.h"
#include "body_int.h"
#include "record.h"

static const char RU200[] = /* 204 bytes */
    "Направлена в кризисный центр «Сезим» в райцентре. Завтра её отвезёт "
    "сестра, младшие дети пока у бабушки с дедом.";
static const char KY400[] =
    "Апасы менен сүйлөштүк, кыз мектепке барбай калган, анткени үйдө "
    "кичинекей инилерин карайт. Атасы Россияда иштейт, акча жибербей "
    "калган. Айыл өкмөтүнө жардам сурап кайрылууну сунуштадык, эртең "
    "кайра келебиз. Мугалим да кабардар.";
static const char NARR900[] =
    "Обратилась соседка, услышала ночью крики и плач детей. Утром мы с "
    "участковым пришли к дому, хозяйка сначала не хотела говорить, потом "
    "рассказала, что супруг вернулся с заработков в марте и с тех пор пьёт, "
    "требует деньги от продажи скота, при отказе толкает и бьёт по лицу. "
    "Синяки на руках видели сами. Старшая дочь (14 лет) боится ночевать "
    "дома, уходит к бабушке. Заявление в милицию писать отказалась: "
    "говорит, что ей некуда идти с тремя детьми. Объяснили про кризисный "
    "центр и охранный ордер, оставили номер горячей линии.";
static const char *const CASE_PARTS[] = {
    "Январь: первичное обращение через школьного социального педагога. ",
    "Ребёнок пришёл на уроки с ожогом на руке, объяснил, что упал у печки. ",
    "Февраль: домашний визит, мать подтвердила, что отчим кричит и бросает "
    "вещи. ",
    "Биринчи жолу келгенде эшикти ачышкан жок, экинчи жолу апасы чыгып, "
    "сүйлөшүүгө макул болду. ",
    "Март: отчим прошёл беседу в аксакальском суде, обещал бросить пить. ",
    "Апрель: мать устроилась работать в швейный цех, дети под присмотром "
    "бабушки. ",
    "Май айында кайра чыр чыкты, кошуналар милицияны чакырышты. ",
    "Выписан охранный ордер, отчим временно живёт у брата на отгонном "
    "пастбище. ",
    "Июнь: психолог провёл четыре встречи с детьми, младший стал "
    "спокойнее. ",
    "Июль-август: семья получила уголь и мешок муки от айыл окмоту. ",
    "Сентябрь: дети пошли в школу, учитель говорит, что посещаемость "
    "нормальная. ",
    "Октябрь: отчим вернулся, прошёл коррекционную программу, посещал все "
    "занятия. ",
    "Ноябрь: повторный визит, в доме чисто, жалоб нет, мать просит не "
    "закрывать дело до весны. ",
};

static size_t old_sealed(size_t n) { /* the rule before packing */
  size_t b = 256;
  while (b <= n)
    b *= 2;
  return b + crypto_box_SEALBYTES;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int iters = 201, i, k;
  const char *dump = NULL;
  char case4k[8192] = "";
  uint8_t rpk[32], rsk[32];
  json_t *bodies[5];
  static const char *const names[5] = {"referral_ru200", "followup_ky400",
                                       "appeal_narr900", "family_case4k",
                                       "closure"};
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
      iters = atoi(argv[++i]);
    else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump = argv[++i];
    else {
      fprintf(stderr, "usage: bench_body [--iters N] [--dump DIR]\n");
      return 2;
    }
  }
  if (iters < 1 || iters > 100000 || sodium_init() < 0)
    return 2;
  for (i = 0; strlen(case4k) < 4096 && i < 100; i++)
    strcat(case4k, CASE_PARTS[i % (sizeof CASE_PARTS / sizeof *CASE_PARTS)]);
  crypto_box_keypair(rpk, rsk);
  bodies[0] = json_pack("{s:s, s:s}", "date", "2026-03-14", "notes", RU200);
  bodies[1] = json_pack("{s:s, s:s}", "date", "2026-04-02", "notes", KY400);
  bodies[2] =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "date", "2026-02-11",
                "survivor_name", "Жумабаева Салтанат", "survivor_phone",
                "+996 705 123 456", "address", "с. Орто-Токой, ул. Бакаева 17",
                "perpetrator_name", "Жумабаев Мирлан", "narrative", NARR900);
  bodies[3] = json_pack("{s:s, s:s, s:s, s:s}", "date", "2026-01-20",
                        "family_name", "Бекмурзаевы", "address",
                        "с. Орто-Токой, ул. Бакаева 3", "notes", case4k);
  bodies[4] = json_pack("{s:s}", "date", "2026-05-30");
  printf("%-16s %6s %6s %6s %6s %6s %6s %9s %9s\n", "body", "text", "map",
         "packed", "before", "after", "ratio", "seal_us", "open_us");
  for (k = 0; k < 5; k++) {
    uint8_t *map = NULL, *sealed = NULL, *out = NULL, *packed = NULL;
    size_t mlen = 0, slen = 0, olen = 0, tlen = 0, plen = 0;
    double *ts = malloc(sizeof(double) * (size_t)iters);
    double *to = malloc(sizeof(double) * (size_t)iters);
    const char *key;
    json_t *v;
    if (bodies[k] == NULL || ts == NULL || to == NULL ||
        ayil_record_pack(bodies[k], &map, &mlen) != 0)
      return 1;
    json_object_foreach(bodies[k], key, v) {
      if (strcmp(key, "date") != 0)
        tlen += json_string_length(v);
    }
    /* Compressed, before padding and the seal's 48 bytes. */
    if (ayil__body_pack(map, mlen, &packed, &plen) != 0)
      return 1;
    free(packed);
    if (dump != NULL) {
      char path[4096];
      FILE *f;
      snprintf(path, sizeof path, "%s/%s.mp", dump, names[k]);
      f = fopen(path, "wb");
      if (f == NULL || fwrite(map, 1, mlen, f) != mlen || fclose(f) != 0)
        return 1;
    }
    for (i = 0; i < iters; i++) {
      double t0 = now_us(), t1, t2;
      if (ayil_body_seal(map, mlen, rpk, &sealed, &slen) != 0)
        return 1;
      t1 = now_us();
      if (ayil_body_open(sealed, slen, rpk, rsk, &out, &olen) != 0 ||
          olen != mlen || memcmp(out, map, mlen) != 0)
        return 1;
      t2 = now_us();
      ts[i] = t1 - t0;
      to[i] = t2 - t1;
      free(out);
      free(sealed);
    }
    qsort(ts, (size_t)iters, sizeof *ts, cmp_d);
    qsort(to, (size_t)iters, sizeof *to, cmp_d);
    printf("%-16s %6zu %6zu %6zu %6zu %6zu %6.2f %9.1f %9.1f\n", names[k], tlen,
           mlen, plen, old_sealed(mlen), slen,
           (double)slen / (double)old_sealed(mlen), ts[iters / 2],
           to[iters / 2]);
    free(ts);
    free(to);
    free(map);
    json_decref(bodies[k]);
  }
  return 0;
}
