/*
 * ayil-web: options, the node, and libmicrohttpd inside one libuv loop.
 *
 * MHD runs with MHD_USE_EPOLL and no thread of its own: its epoll
 * descriptor is one uv_poll_t, and a uv_timer_t follows MHD_get_timeout.
 * Both call MHD_run(), which does the work that is ready and returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "ayil/error.h"
#include "i18n.h"
#include "keys.h"
#include "web.h"

enum MHD_Result web_access(void *cls, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version,
                           const char *data, size_t *size, void **ctx);
void web_request_completed(void *cls, struct MHD_Connection *c, void **ctx,
                           enum MHD_RequestTerminationCode toe);

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  /* libmicrohttpd's own messages name no request data; keep them short */
  (void)cls;
  fputs("ayil-web: http: ", stderr);
  vfprintf(stderr, fmt, ap);
}

static void arm(web_t *w);

static void on_mhd(web_t *w) {
  MHD_run(w->mhd);
  arm(w);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  on_mhd(p->data);
}

static void on_timer(uv_timer_t *t) {
  on_mhd(t->data);
}

static void arm(web_t *w) {
  MHD_UNSIGNED_LONG_LONG to = 0;
  uint64_t ms = 1000;
  if (MHD_get_timeout(w->mhd, &to) == MHD_YES)
    ms = to < 1000 ? (uint64_t)to : 1000;
  uv_timer_start(&w->timer, on_timer, ms, 0);
}

static void on_sweep(uv_timer_t *t) {
  web_t *w = t->data;
  uv_update_time(w->loop);
  sess_sweep(w, uv_now(w->loop));
}

static void stop(web_t *w) {
  size_t i;
  for (i = 0; i < WEB_SESSIONS_MAX; i++)
    sess_end(&w->sessions[i]);
  uv_stop(w->loop);
}

static void on_signal(uv_signal_t *s, int sig) {
  web_t *w = s->data;
  if (sig == SIGHUP) {
    fprintf(stderr, "ayil-web: SIGHUP: every session ends\n");
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
      sess_end(&w->sessions[i]);
    return;
  }
  fprintf(stderr, "ayil-web: stopping\n");
  stop(w);
}

/* ---- telling ayild ---- */

typedef struct {
  uv_pipe_t pipe;
  uv_connect_t conn;
  uv_write_t wr;
  uv_timer_t timer;
  int closing;
  int open; /* handles not closed yet: k is freed when both are */
} kick_t;

/* Both handles live inside k: it is freed only after the last one closed
 * (freeing it when the timer closed, with the pipe still in libuv's list
 * of closing handles, aborted ayil-web in uv__finish_close). */
static void kick_closed(uv_handle_t *h) {
  kick_t *k = h->data;
  if (--k->open == 0)
    free(k);
}

static void kick_end(kick_t *k) {
  if (k->closing)
    return;
  k->closing = 1;
  uv_timer_stop(&k->timer);
  uv_close((uv_handle_t *)&k->pipe, kick_closed);
  uv_close((uv_handle_t *)&k->timer, kick_closed);
}

static void kick_written(uv_write_t *wr, int status) {
  (void)status;
  kick_end(wr->data);
}

static void kick_connected(uv_connect_t *c, int status) {
  kick_t *k = c->data;
  static char line[] = "{\"cmd\":\"sync\"}\n";
  uv_buf_t b = uv_buf_init(line, sizeof line - 1);
  if (status != 0) {
    kick_end(k); /* ayild not running: it syncs when it starts */
    return;
  }
  k->wr.data = k;
  if (uv_write(&k->wr, (uv_stream_t *)&k->pipe, &b, 1, kick_written) != 0)
    kick_end(k);
}

static void kick_timeout(uv_timer_t *t) {
  kick_end(t->data);
}

void web_kick_ayild(web_t *w) {
  char path[AYIL_PATH_MAX];
  kick_t *k;
  if (ayil_home_path(w->home, "ayild.sock", path, sizeof path) != 0)
    return;
  k = calloc(1, sizeof *k);
  if (k == NULL)
    return;
  uv_pipe_init(w->loop, &k->pipe, 0);
  uv_timer_init(w->loop, &k->timer);
  k->open = 2;
  k->pipe.data = k;
  k->timer.data = k;
  k->conn.data = k;
  uv_timer_start(&k->timer, kick_timeout, 5000, 0);
  uv_pipe_connect(&k->conn, &k->pipe, path, kick_connected);
}

/* ---- dispatch ---- */

static const char css[] =
#include "app.css.h"
    ;

int web_dispatch(web_req_t *r) {
  if (strcmp(r->url, "/app.css") == 0) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof css - 1, (void *)css, MHD_RESPMEM_PERSISTENT);
    int rc;
    MHD_add_response_header(resp, "Content-Type", "text/css; charset=utf-8");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "max-age=86400");
    rc = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return rc;
  }
  if (strncmp(r->url, "/lang/", 6) == 0 && !r->post) {
    const char *l = ayil_lang_valid(r->url + 6);
    const char *next = req_arg(r, "next");
    char cookie[96];
    if (l == NULL)
      return send_error(r, 404, W_("There is no such page."));
    /* only a path of this site: "/x", never "//host" */
    if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
        strchr(next, '\r') != NULL || strchr(next, '\n') != NULL)
      next = "/";
    snprintf(cookie, sizeof cookie,
             "lang=%s; Path=/; Max-Age=31536000; Secure; SameSite=Strict", l);
    return send_redirect(r, next, cookie);
  }
  return r->w->committee ? page_committee(r) : page_hub(r);
}

/* ---- start ---- */

/* [web] listen into a socket address: an IPv4 or IPv6 address, never a
 * name; *loopback says whether only this machine can reach it. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        int *loopback) {
  char host[128];
  unsigned port;
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof *ss);
  if (ayil_hostport_split(s, host, sizeof host, &port) != 0 || port == 0)
    return -1;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    return 0;
  }
  return -1;
}

static char *read_file(const char *home, const char *name) {
  char path[AYIL_PATH_MAX];
  FILE *f;
  char *buf;
  long n;
  /* [web] cert and key: relative to the home unless absolute */
  if (ayil_webcert_path(home, name, path, sizeof path) != 0)
    return NULL;
  f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 65536 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = sodium_malloc((size_t)n + 1);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    sodium_free(buf);
    buf = NULL;
  }
  if (buf != NULL)
    buf[n] = '\0';
  fclose(f);
  return buf;
}

static void usage(FILE *f) {
  fputs("usage: ayil-web [--home DIR]\n"
        "Serves the committee's web app (or, on a hub, the operator's pages)\n"
        "at the [web] listen address of the node's config.\n"
        "  --home DIR   the node's home (default $AYIL_HOME, /var/lib/ayil)\n"
        "  --version    print the version\n"
        "  -h, --help   this help\n",
        f);
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"home", required_argument, NULL, 'H'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  static web_t w;
  const char *home_opt = NULL;
  ayil_node_err_t err;
  const ayil_config_t *conf;
  struct sockaddr_storage ss;
  char *cert = NULL, *key = NULL;
  int loopback = 0, c, fd;
  unsigned flags;
  const union MHD_DaemonInfo *info;

  if (ayil_keys_harden_process() != 0) {
    fprintf(stderr, "ayil-web: cannot make the process non-dumpable\n");
    return 1;
  }
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'H':
      home_opt = optarg;
      break;
    case 'V':
      printf("ayil-web %s\n", AYIL_VERSION);
      return 0;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return 2;
  }
  if (sodium_init() < 0) {
    fprintf(stderr, "ayil-web: libsodium failed to start\n");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  (void)ayil_i18n_init();
  ayil_home_resolve(home_opt, w.home, sizeof w.home);
  if (ayil_node_open(&w.node, w.home, AYIL_NODE_IDENTITY, &err) != 0) {
    fprintf(stderr, "ayil-web: %s\n", err.msg);
    return err.input ? 2 : 1;
  }
  conf = ayil_node_config(w.node);
  w.committee = ayil_node_is_committee(w.node);
  w.idle_s = conf->web_idle_s;
  w.tls = conf->web_tls;
  if (parse_listen(conf->web_listen, &ss, &loopback) != 0) {
    fprintf(stderr,
            "ayil-web: [web] listen = %s: not an IP address and port "
            "(e.g. 0.0.0.0:8443)\n",
            conf->web_listen);
    ayil_node_close(w.node);
    return 2;
  }
  if (!w.tls && !loopback) {
    fprintf(stderr, "ayil-web: [web] tls = off is allowed only on a loopback "
                    "address (127.0.0.1): members' passwords and records "
                    "would cross the LAN in clear\n");
    ayil_node_close(w.node);
    return 2;
  }
  if (!w.committee && !loopback) {
    fprintf(stderr, "ayil-web: a hub serves its operator's pages only on "
                    "loopback ([web] listen = 127.0.0.1:PORT; reach them "
                    "with ssh -L): a hub faces the internet\n");
    ayil_node_close(w.node);
    return 2;
  }
  flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (w.tls) {
    cert = read_file(w.home, conf->web_cert);
    key = read_file(w.home, conf->web_key);
    if (cert == NULL || key == NULL) {
      fprintf(stderr,
              "ayil-web: cannot read the certificate (%s) or its key (%s) "
              "in %s: make them with `ayil web cert`\n",
              conf->web_cert, conf->web_key, w.home);
      if (cert != NULL)
        sodium_free(cert);
      if (key != NULL)
        sodium_free(key);
      ayil_node_close(w.node);
      return 1;
    }
    flags |= MHD_USE_TLS;
  }
  w.loop = uv_default_loop();
  w.mhd = MHD_start_daemon(
      flags, 0, NULL, NULL, web_access, &w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
      &w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_NOTIFY_COMPLETED, web_request_completed, &w,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
      w.tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
      MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
  if (cert != NULL)
    sodium_free(cert);
  if (key != NULL)
    sodium_free(key);
  if (w.mhd == NULL) {
    fprintf(stderr,
            "ayil-web: cannot listen on %s (in use, or a bad "
            "certificate?)\n",
            conf->web_listen);
    ayil_node_close(w.node);
    return 1;
  }
  info = MHD_get_daemon_info(w.mhd, MHD_DAEMON_INFO_EPOLL_FD);
  fd = info != NULL ? info->epoll_fd : -1;
  if (fd < 0) {
    fprintf(stderr, "ayil-web: libmicrohttpd gave no epoll descriptor\n");
    MHD_stop_daemon(w.mhd);
    ayil_node_close(w.node);
    return 1;
  }
  uv_poll_init(w.loop, &w.poll, fd);
  w.poll.data = &w;
  uv_poll_start(&w.poll, UV_READABLE, on_poll);
  uv_timer_init(w.loop, &w.timer);
  w.timer.data = &w;
  uv_timer_init(w.loop, &w.sweep);
  w.sweep.data = &w;
  uv_timer_start(&w.sweep, on_sweep, 30000, 30000);
  uv_signal_init(w.loop, &w.sigterm);
  uv_signal_init(w.loop, &w.sigint);
  uv_signal_init(w.loop, &w.sighup);
  w.sigterm.data = w.sigint.data = w.sighup.data = &w;
  uv_signal_start(&w.sigterm, on_signal, SIGTERM);
  uv_signal_start(&w.sigint, on_signal, SIGINT);
  uv_signal_start(&w.sighup, on_signal, SIGHUP);
  arm(&w);
  fprintf(stderr, "ayil-web: serving %s on %s://%s/\n",
          w.committee ? "the committee" : "the hub operator",
          w.tls ? "https" : "http", conf->web_listen);
  uv_run(w.loop, UV_RUN_DEFAULT);
  MHD_stop_daemon(w.mhd);
  uv_close((uv_handle_t *)&w.poll, NULL);
  uv_close((uv_handle_t *)&w.timer, NULL);
  uv_close((uv_handle_t *)&w.sweep, NULL);
  uv_close((uv_handle_t *)&w.sigterm, NULL);
  uv_close((uv_handle_t *)&w.sigint, NULL);
  uv_close((uv_handle_t *)&w.sighup, NULL);
  uv_run(w.loop, UV_RUN_DEFAULT);
  ayil_node_close(w.node);
  fprintf(stderr, "ayil-web: stopped after %llu requests\n",
          (unsigned long long)w.requests);
  return 0;
}
