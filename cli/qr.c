/*
 * Invite codes a person can carry: the code as a QR code (libqrencode) in
 * the terminal (UTF-8 half blocks, two rows of modules per line), as a PNG
 * (libpng) and as an SVG, for a phone camera or paper.
 *
 * The code is a bearer secret: the files are created new (never over an
 * existing one) with mode 0600, and the module buffers are wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>
#include <sodium.h>

#include "cli.h"

#define QUIET 4     /* modules of white border, as the standard asks */
#define PNG_SCALE 8 /* pixels per module */

static QRcode *encode(const char *text) {
  /* 8-bit mode (the code is case-sensitive), level M: a smudge or a fold
   * still scans. */
  return QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
}

/* 1 if module (x, y) of the code with its quiet zone is dark. */
static int dark(const QRcode *q, int x, int y) {
  x -= QUIET;
  y -= QUIET;
  if (x < 0 || y < 0 || x >= q->width || y >= q->width)
    return 0;
  return q->data[y * q->width + x] & 1;
}

static void qr_free(QRcode *q) {
  sodium_memzero(q->data, (size_t)q->width * (size_t)q->width);
  QRcode_free(q);
}

int cli_qr_print(FILE *f, const char *text, int ansi) {
  static const char *const cell[4] = {" ", "\xe2\x96\x84", "\xe2\x96\x80",
                                      "\xe2\x96\x88"}; /* " ▄▀█" */
  QRcode *q = encode(text);
  int x, y, w;
  if (q == NULL)
    return -1;
  w = q->width + 2 * QUIET;
  /* Dark modules are drawn, light ones left blank: on a terminal, black on
   * white (ANSI) whatever its colours; in a file, for paper. */
  for (y = 0; y < w; y += 2) {
    if (ansi)
      fputs("\x1b[30;47m", f);
    for (x = 0; x < w; x++)
      fputs(cell[dark(q, x, y) << 1 | (y + 1 < w ? dark(q, x, y + 1) : 0)], f);
    if (ansi)
      fputs("\x1b[0m", f);
    fputc('\n', f);
  }
  qr_free(q);
  return 0;
}

/* A new file, mode 0600, never over an existing one. */
static FILE *create(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  FILE *f;
  if (fd < 0)
    return NULL;
  f = fdopen(fd, "wb");
  if (f == NULL) {
    int e = errno;
    close(fd);
    unlink(path);
    errno = e;
  }
  return f;
}

static int finish(FILE *f, const char *path, int rc) {
  if (fflush(f) != 0 || fsync(fileno(f)) != 0)
    rc = -1;
  if (fclose(f) != 0)
    rc = -1;
  if (rc != 0)
    unlink(path);
  return rc;
}

int cli_qr_svg(const char *path, const char *text) {
  QRcode *q = encode(text);
  FILE *f;
  int x, y, w, rc = 0;
  if (q == NULL)
    return -1;
  f = create(path);
  if (f == NULL) {
    qr_free(q);
    return -1;
  }
  w = q->width + 2 * QUIET;
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
          "width=\"%dmm\" height=\"%dmm\" shape-rendering=\"crispEdges\">\n"
          "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path d=\"",
          w, w, w, w, w, w);
  /* One rectangle per horizontal run of dark modules. */
  for (y = 0; y < w; y++)
    for (x = 0; x < w; x++)
      if (dark(q, x, y)) {
        int n = 1;
        while (x + n < w && dark(q, x + n, y))
          n++;
        fprintf(f, "M%d %dh%dv1h-%dz", x, y, n, n);
        x += n - 1;
      }
  if (fprintf(f, "\" fill=\"#000\"/>\n</svg>\n") < 0)
    rc = -1;
  qr_free(q);
  return finish(f, path, rc);
}

int cli_qr_png(const char *path, const char *text) {
  QRcode *q = encode(text);
  FILE *f;
  png_structp png = NULL;
  png_infop info = NULL;
  png_bytep row = NULL;
  int x, y, w, px, rc = -1;
  if (q == NULL)
    return -1;
  f = create(path);
  if (f == NULL) {
    qr_free(q);
    return -1;
  }
  w = q->width + 2 * QUIET;
  px = w * PNG_SCALE;
  png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  if (png != NULL)
    info = png_create_info_struct(png);
  row = malloc((size_t)px);
  if (png == NULL || info == NULL || row == NULL)
    goto out;
  if (setjmp(png_jmpbuf(png)))
    goto out;
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)px, (png_uint_32)px, 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (y = 0; y < px; y++) {
    for (x = 0; x < px; x++)
      row[x] = dark(q, x / PNG_SCALE, y / PNG_SCALE) ? 0 : 255;
    png_write_row(png, row);
  }
  png_write_end(png, info);
  rc = 0;
out:
  if (png != NULL)
    png_destroy_write_struct(&png, info != NULL ? &info : NULL);
  if (row != NULL)
    sodium_memzero(row, (size_t)px);
  free(row);
  qr_free(q);
  return finish(f, path, rc);
}
