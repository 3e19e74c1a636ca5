/*
 * delay_proxy: the benchmark's slow network. A TCP proxy on 127.0.0.1 that holds every byte for a
 * fixed one-way delay in each direction, so that a client's round trip to the server through it
 * costs about 2 x delay, as on a real network, while the server and the client still run on the
 * same machine. bench/run.sh puts it in front of PostgreSQL for the latency-bound cell, where what
 * is measured is how many round trips a protocol needs, not how fast the server is.
 *
 *   roachrun_delay_proxy --upstream HOST:PORT [--listen-port N] [--delay-ms D]
 *
 * It prints the port it listens on as the one line of stdout (so a script can read it), and logs
 * only to stderr. SIGINT or SIGTERM end it at once, exit 0; bad options exit 2.
 *
 * How it works. One thread, one epoll set, every socket non-blocking and edge-triggered, with
 * TCP_NODELAY on both sides (Nagle would add its own delay to the one being emulated). Each
 * accepted connection gets a non-blocking connect to the upstream. Every read from one side
 * becomes a chunk queued for the other side, stamped with release = arrival + delay
 * (CLOCK_MONOTONIC, ns); a chunk is written once its release has passed, strictly in order, and
 * the peer's EOF is queued as an empty chunk so that the FIN, too, arrives a delay later and only
 * after the data before it (shutdown(SHUT_WR) on the other side). An error on either side
 * (ECONNRESET, a refused upstream connect) closes the pair.
 *
 * Why a timerfd: the delay is the measurement, and a round trip at 1 ms each way is 2 ms, so an
 * epoll_wait timeout in whole milliseconds would add up to 1 ms per hop -- half again. A timerfd
 * armed at the absolute release time (TFD_TIMER_ABSTIME) wakes the loop within tens of
 * microseconds. Since the delay is the same for every chunk, release times come in the order the
 * chunks arrive: one global FIFO of chunks not yet released ("the timeline") is already sorted, and
 * the one timer is always armed at its head. No heap, no timer per connection.
 *
 * Tens of microseconds per hop still add up (2 hops out, 2 back, per round trip), and with the
 * server and the client on the same 2 cores the proxy often runs a hundred microseconds after the
 * bytes came in. So "arrival" is the kernel's receive timestamp of the segment (SO_TIMESTAMPNS),
 * not the time of the read, and the timer is armed early by the lateness of its wakeups as
 * measured (an average, learnt as it runs; at most 100 us). Measured on the 2-core VM, 8 pgbench
 * clients at 1 ms: a chunk leaves a few microseconds after its release on average, where it left
 * 50-150 us late (1 to 8 clients) with neither.
 *
 * Why the backpressure: a fast sender (COPY, a big result) would otherwise fill the proxy's memory
 * at the rate of the loopback. When a direction holds more than QUEUE_LIMIT of chunks, the proxy
 * stops reading that side; the kernel's socket buffers fill and TCP slows the sender down, as a
 * real network's would. Chunks come from a free list, so the steady state allocates nothing.
 *
 * It is light on purpose: it shares a 2-core machine with the server and the benchmark client, so
 * every wakeup costs the measurement. Reads stop at a short read (the socket is drained; a later
 * arrival raises a new edge) instead of going on to EAGAIN, due chunks go out in one sendmsg, the
 * timer is re-armed only when the head of the timeline changes, and the epoll interest of a
 * socket is set once and never modified.
 *
 * Not emulated: the TCP handshake's round trip (the upstream connect is made at once, and the
 * client's connect to the proxy completes locally), bandwidth limits, loss and jitter.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* 16 KiB per chunk, header included: a PostgreSQL message fits many times over, and bulk data
 * moves in few syscalls. */
#define CHUNK_SIZE 16384
/* Chunk memory one direction may hold before its sender is no longer read. */
#define QUEUE_LIMIT ((size_t)4 << 20)
/* Free chunks kept for reuse; beyond this they go back to malloc (16 MiB idle at most). */
#define FREE_MAX 1024
#define MAX_EVENTS 256
#define MAX_IOV 64
#define ACCEPTS_PER_WAKEUP 64

struct pair;

struct chunk {
  struct chunk *next;                /* the direction's queue, oldest first */
  struct chunk *tl_prev, *tl_next;   /* the timeline, while on it */
  struct pair *pair;                 /* whom to pump when it comes due */
  int64_t release_ns;
  uint32_t off, len;
  bool eof;                          /* no data: the sender's FIN, to pass on */
  bool on_timeline;
  unsigned char data[];
};
#define CHUNK_DATA (CHUNK_SIZE - sizeof(struct chunk))

/* One socket of a pair. readable/writable are what the edges said last: edge-triggered epoll
 * reports each change once, so the state must be kept here until it is used up. */
struct end {
  struct pair *pair;
  int fd;
  bool readable, writable;
  bool rdhup; /* the peer's FIN was seen: read on to EOF, a short read no longer means drained */
};

struct dir {
  struct end *src, *dst;
  struct chunk *head, *tail;
  size_t held;   /* chunk memory queued, for the backpressure */
  bool eof_read; /* the EOF chunk is queued: src is read no more */
  bool done;     /* the EOF went out: shutdown(dst, SHUT_WR) */
};

struct pair {
  struct end end[2]; /* 0: the client, 1: the upstream */
  struct dir dir[2]; /* 0: client to upstream, 1: upstream to client */
  bool connected;    /* the upstream connect has completed */
  bool dead;         /* closed; freed at the end of the loop iteration (events may still name it) */
  struct pair *prev, *next; /* the live pairs, or the dead ones */
};

static struct {
  int64_t delay_ns;
  struct sockaddr_storage up_addr;
  socklen_t up_len;
  int epfd, lfd, tfd, sfd, spare_fd;
  struct chunk *free_chunks;
  size_t free_count;
  struct chunk *tl_head, *tl_tail;
  int64_t armed_ns;     /* where the timer is armed, 0 when never */
  int64_t armed_set_ns; /* when it was armed there */
  int64_t early_ns;     /* how much sooner than a release the timer is armed: see on_timer() */
  int64_t early_max_ns;
  struct pair *live, *dead;
  uint64_t accepted, bytes_up, bytes_down;
  bool emfile_logged;
} g = {.epfd = -1, .lfd = -1, .tfd = -1, .sfd = -1, .spare_fd = -1};

/* Distinct addresses that tag the non-connection fds in epoll's data.ptr. */
static char tag_listen, tag_timer, tag_signal;

static void logmsg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("roachrun_delay_proxy: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- chunks and the timeline ------------------------------------------------------------------ */

static struct chunk *chunk_get(void) {
  struct chunk *c = g.free_chunks;
  if (c) {
    g.free_chunks = c->next;
    g.free_count--;
  } else if (!(c = malloc(CHUNK_SIZE))) {
    return NULL;
  }
  c->next = c->tl_prev = c->tl_next = NULL;
  c->off = c->len = 0;
  c->eof = c->on_timeline = false;
  return c;
}

static void chunk_put(struct chunk *c) {
  if (g.free_count >= FREE_MAX) {
    free(c);
    return;
  }
  c->next = g.free_chunks;
  g.free_chunks = c;
  g.free_count++;
}

static void timeline_append(struct chunk *c) {
  c->tl_prev = g.tl_tail;
  c->tl_next = NULL;
  if (g.tl_tail)
    g.tl_tail->tl_next = c;
  else
    g.tl_head = c;
  g.tl_tail = c;
  c->on_timeline = true;
}

static void timeline_unlink(struct chunk *c) {
  if (!c->on_timeline)
    return;
  if (c->tl_prev)
    c->tl_prev->tl_next = c->tl_next;
  else
    g.tl_head = c->tl_next;
  if (c->tl_next)
    c->tl_next->tl_prev = c->tl_prev;
  else
    g.tl_tail = c->tl_prev;
  c->on_timeline = false;
}

/* Arms the timer at the head of the timeline, when that moved. With the timeline empty the timer
 * is left as it is: at worst it fires once for nothing. */
static void timer_sync(void) {
  if (!g.tl_head || g.tl_head->release_ns - g.early_ns == g.armed_ns)
    return;
  int64_t t = g.tl_head->release_ns - g.early_ns;
  struct itimerspec its = {.it_value = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000}};
  if (timerfd_settime(g.tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
    logmsg("timerfd_settime: %s", strerror(errno));
    exit(1);
  }
  g.armed_ns = t;
  g.armed_set_ns = now_ns();
}

static void dir_enqueue(struct dir *d, struct chunk *c) {
  if (d->tail)
    d->tail->next = c;
  else
    d->head = c;
  d->tail = c;
  d->held += CHUNK_SIZE;
  /* With no delay a chunk is due on arrival: the flush right after the read sends it. */
  if (g.delay_ns > 0)
    timeline_append(c);
}

static void dir_pop(struct dir *d) {
  struct chunk *c = d->head;
  d->head = c->next;
  if (!d->head)
    d->tail = NULL;
  d->held -= CHUNK_SIZE;
  timeline_unlink(c);
  chunk_put(c);
}

/* ---- pairs ------------------------------------------------------------------------------------ */

static void close_pair(struct pair *p, bool abortive) {
  if (p->dead)
    return;
  for (int i = 0; i < 2; i++) {
    struct end *e = &p->end[i];
    if (e->fd < 0)
      continue;
    if (abortive) {
      /* An RST, as the broken side sent one: the other side learns the connection failed rather
       * than that it ended. */
      struct linger lg = {.l_onoff = 1, .l_linger = 0};
      setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(e->fd); /* also takes it out of the epoll set */
    e->fd = -1;
  }
  for (int i = 0; i < 2; i++)
    while (p->dir[i].head)
      dir_pop(&p->dir[i]);
  if (p->prev)
    p->prev->next = p->next;
  else
    g.live = p->next;
  if (p->next)
    p->next->prev = p->prev;
  p->dead = true;
  p->prev = NULL;
  p->next = g.dead;
  g.dead = p;
}

static const char *side_name(const struct pair *p, const struct end *e) {
  return e == &p->end[0] ? "client" : "upstream";
}

static void fail_pair(struct pair *p, const struct end *e, const char *what, int err) {
  logmsg("%s %s: %s; closing the connection", side_name(p, e), what, strerror(err));
  close_pair(p, true);
}

/* Writes what is due of d, in order. Returns 1 when something went out, 0 when nothing could,
 * -1 on an error (errno set). */
static int dir_flush(struct dir *d) {
  struct end *dst = d->dst;
  int progress = 0;
  int64_t now = 0;
  while (d->head && dst->writable) {
    if (!now)
      now = now_ns();
    struct chunk *c = d->head;
    if (c->release_ns - g.early_ns > now)
      break;
    if (c->eof) {
      if (shutdown(dst->fd, SHUT_WR) < 0 && errno != ENOTCONN)
        return -1;
      dir_pop(d);
      d->done = true;
      return 1;
    }
    struct iovec iov[MAX_IOV];
    int n = 0;
    size_t total = 0;
    for (struct chunk *x = c; x && n < MAX_IOV && !x->eof && x->release_ns - g.early_ns <= now;
         x = x->next) {
      iov[n].iov_base = x->data + x->off;
      iov[n].iov_len = x->len - x->off;
      total += iov[n].iov_len;
      n++;
    }
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(dst->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        dst->writable = false; /* EPOLLOUT comes when there is room */
        break;
      }
      return -1;
    }
    if ((size_t)w < total)
      dst->writable = false;
    if (d == &d->src->pair->dir[0])
      g.bytes_up += (uint64_t)w;
    else
      g.bytes_down += (uint64_t)w;
    size_t left = (size_t)w;
    while (left > 0) {
      struct chunk *h = d->head;
      size_t rest = h->len - h->off;
      if (left >= rest) {
        left -= rest;
        dir_pop(d);
      } else {
        h->off += (uint32_t)left;
        left = 0;
      }
    }
    progress = 1;
  }
  return progress;
}

/* When the bytes just read reached the socket, on CLOCK_MONOTONIC: the kernel's receive timestamp
 * (SO_TIMESTAMPNS, on CLOCK_REALTIME, of the last segment read) moved over by its age. On a busy
 * machine the proxy reads some tens of microseconds after the data came in, up to 200 and more
 * with the server and the client on the same 2 cores; counted from the read, every hop would be
 * that much longer than the delay. Without a timestamp, or with a nonsensical one (the realtime
 * clock stepped), the time of the read. */
static int64_t arrival_ns(struct msghdr *msg) {
  int64_t now = now_ns();
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
      continue;
    struct timespec rx, real;
    memcpy(&rx, CMSG_DATA(cm), sizeof rx);
    clock_gettime(CLOCK_REALTIME, &real);
    int64_t age = ((int64_t)real.tv_sec - rx.tv_sec) * 1000000000 + (real.tv_nsec - rx.tv_nsec);
    if (age >= 0 && age < 1000000000)
      return now - age;
  }
  return now;
}

/* Reads what src has for d, unless d holds too much already. Same returns as dir_flush. */
static int dir_read(struct dir *d, struct pair *p) {
  struct end *src = d->src;
  int progress = 0;
  while (src->readable && !d->eof_read && d->held < QUEUE_LIMIT) {
    struct chunk *c = chunk_get();
    if (!c) {
      errno = ENOMEM;
      return -1;
    }
    union {
      char buf[CMSG_SPACE(sizeof(struct timespec))];
      struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = c->data, .iov_len = CHUNK_DATA};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t r = recvmsg(src->fd, &msg, MSG_DONTWAIT);
    if (r < 0) {
      int err = errno;
      chunk_put(c);
      if (err == EINTR)
        continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        src->readable = false;
        break;
      }
      errno = err;
      return -1;
    }
    c->pair = p;
    c->len = (uint32_t)r;
    c->eof = r == 0;
    c->release_ns = arrival_ns(&msg) + g.delay_ns;
    dir_enqueue(d, c);
    progress = 1;
    if (r == 0) {
      d->eof_read = true;
      src->readable = false;
    } else if ((size_t)r < CHUNK_DATA && !src->rdhup) {
      /* Drained: whatever arrives later raises a new edge. Saves a recv that would say EAGAIN. */
      src->readable = false;
    }
  }
  return progress;
}

/* Moves everything that can move now, both ways, until nothing does; closes the pair when both
 * directions have delivered their EOF, or on an error. Afterwards every direction waits on an
 * edge (readable, writable) or on the timer. */
static void pump(struct pair *p) {
  for (;;) {
    int progress = 0;
    for (int i = 0; i < 2; i++) {
      struct dir *d = &p->dir[i];
      int r = dir_flush(d);
      if (r < 0) {
        fail_pair(p, d->dst, "write", errno);
        return;
      }
      progress |= r;
      r = dir_read(d, p);
      if (r < 0) {
        fail_pair(p, d->src, "read", errno);
        return;
      }
      progress |= r;
    }
    if (!progress)
      break;
  }
  if (p->dir[0].done && p->dir[1].done)
    close_pair(p, false);
}

/* TCP_NODELAY: Nagle would hold small writes back, a delay of its own on top of the emulated one.
 * SO_TIMESTAMPNS: see arrival_ns(). */
static void set_options(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (g.delay_ns > 0)
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

static void new_pair(int cfd) {
  set_options(cfd);
  int ufd = socket(g.up_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ufd < 0) {
    logmsg("socket for the upstream: %s; closing the client connection", strerror(errno));
    close(cfd);
    return;
  }
  set_options(ufd);
  bool connected = false;
  if (connect(ufd, (struct sockaddr *)&g.up_addr, g.up_len) == 0) {
    connected = true;
  } else if (errno != EINPROGRESS) {
    logmsg("connect to the upstream: %s; closing the client connection", strerror(errno));
    close(ufd);
    close(cfd);
    return;
  }
  struct pair *p = calloc(1, sizeof *p);
  if (!p) {
    logmsg("out of memory; closing the client connection");
    close(ufd);
    close(cfd);
    return;
  }
  p->connected = connected;
  p->end[0] = (struct end){.pair = p, .fd = cfd};
  p->end[1] = (struct end){.pair = p, .fd = ufd};
  p->dir[0] = (struct dir){.src = &p->end[0], .dst = &p->end[1]};
  p->dir[1] = (struct dir){.src = &p->end[1], .dst = &p->end[0]};
  p->next = g.live;
  if (g.live)
    g.live->prev = p;
  g.live = p;
  g.accepted++;
  for (int i = 0; i < 2; i++) {
    /* Edge-triggered, everything at once: the add itself reports what is ready already, and the
     * interest never changes, so there is never an epoll_ctl after this one. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.ptr = &p->end[i]};
    if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, p->end[i].fd, &ev) < 0) {
      logmsg("epoll_ctl: %s; closing the client connection", strerror(errno));
      close_pair(p, false);
      return;
    }
  }
}

static void on_listen(void) {
  for (int k = 0; k < ACCEPTS_PER_WAKEUP; k++) {
    int cfd = accept4(g.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd >= 0) {
      new_pair(cfd);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return;
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
      continue;
    if ((errno == EMFILE || errno == ENFILE) && g.spare_fd >= 0) {
      /* Out of descriptors: the listener stays readable (level-triggered) and would spin. Take
       * the connection with the spare descriptor and close it, so the client hears at once. */
      if (!g.emfile_logged)
        logmsg("accept: %s; refusing connections until descriptors free up", strerror(errno));
      g.emfile_logged = true;
      close(g.spare_fd);
      int fd = accept(g.lfd, NULL, NULL);
      if (fd >= 0)
        close(fd);
      g.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      continue;
    }
    logmsg("accept: %s", strerror(errno));
    return;
  }
}

static void on_end(struct end *e, uint32_t events) {
  struct pair *p = e->pair;
  if (p->dead)
    return;
  if (e == &p->end[1] && !p->connected) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
      err = errno;
    if (err) {
      /* A refused connect: the client only hears that its connection ended. */
      logmsg("connect to the upstream: %s; closing the client connection", strerror(err));
      close_pair(p, false);
      return;
    }
    p->connected = true;
  }
  if (events & EPOLLERR) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0)
      err = EIO;
    fail_pair(p, e, "socket", err);
    return;
  }
  if (events & (EPOLLRDHUP | EPOLLHUP))
    e->rdhup = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
    e->readable = true;
  if (events & EPOLLOUT)
    e->writable = true;
  pump(p);
}

static void on_timer(void) {
  uint64_t ticks;
  if (read(g.tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
    logmsg("read timerfd: %s", strerror(errno));
  int64_t now = now_ns();
  /* From a timer armed at a time already past (a chunk read very late), only the wait since the
   * arming is the wakeup's lateness. */
  int64_t expiry = g.armed_ns > g.armed_set_ns ? g.armed_ns : g.armed_set_ns;
  if (g.armed_ns && now >= expiry) {
    /* The loop wakes some tens of microseconds after the expiry (on a VM a halted vCPU is slow to
     * wake; on a busy machine the proxy waits for a core), much the same from one time to the next:
     * learn that lateness and arm that much sooner, so that the delay is right on average rather
     * than always long. A sample is capped, so that a stall of the machine does not throw the
     * estimate, and so is the estimate (early_max_ns: 100 us, and never above a quarter of the
     * delay), so a chunk never leaves more than that before its release. */
    int64_t late = now - expiry;
    if (late > 2 * g.early_max_ns)
      late = 2 * g.early_max_ns;
    g.early_ns += (late - g.early_ns) / 16;
    if (g.early_ns > g.early_max_ns)
      g.early_ns = g.early_max_ns;
  }
  /* Off the timeline first: a chunk whose destination cannot take it now waits for EPOLLOUT, not
   * for the timer again. pump() may free the chunk, so it is not touched afterwards. */
  while (g.tl_head && g.tl_head->release_ns - g.early_ns <= now) {
    struct chunk *c = g.tl_head;
    struct pair *p = c->pair;
    timeline_unlink(c);
    pump(p);
  }
}

/* ---- set-up ----------------------------------------------------------------------------------- */

static void usage(FILE *f) {
  fputs("usage: roachrun_delay_proxy --upstream HOST:PORT [--listen-port N] [--delay-ms D]\n"
        "\n"
        "A TCP proxy on 127.0.0.1 that holds every byte for D ms in each direction, so a round trip\n"
        "through it costs about 2 x D ms more. Prints the port it listens on as the one line of\n"
        "stdout; logs go to stderr. SIGINT or SIGTERM end it.\n"
        "\n"
        "  --upstream HOST:PORT  where to connect each client ([v6addr]:PORT for IPv6); required\n"
        "  --listen-port N       the port to listen on (default 0: a free one)\n"
        "  --delay-ms D          the one-way delay in milliseconds, fractional allowed (default 1.0)\n"
        "  --help                this text\n",
        f);
}

static _Noreturn void bad_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("roachrun_delay_proxy: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs(" (--help for usage)\n", stderr);
  va_end(ap);
  exit(2);
}

static bool parse_port(const char *s, long lo, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > 65535)
    return false;
  *out = v;
  return true;
}

/* HOST:PORT or [HOST]:PORT, resolved once. An IPv4 address is preferred: "localhost" resolves to
 * ::1 first, and the benchmark's server listens on 127.0.0.1 only. */
static void resolve_upstream(const char *arg) {
  char host[256];
  const char *port;
  if (arg[0] == '[') {
    const char *close_br = strchr(arg, ']');
    if (!close_br || close_br[1] != ':')
      bad_usage("--upstream %s: expected [HOST]:PORT", arg);
    size_t n = (size_t)(close_br - arg - 1);
    if (n == 0 || n >= sizeof host)
      bad_usage("--upstream %s: bad host", arg);
    memcpy(host, arg + 1, n);
    host[n] = 0;
    port = close_br + 2;
  } else {
    const char *colon = strrchr(arg, ':');
    if (!colon)
      bad_usage("--upstream %s: expected HOST:PORT", arg);
    size_t n = (size_t)(colon - arg);
    if (n == 0 || n >= sizeof host)
      bad_usage("--upstream %s: bad host", arg);
    memcpy(host, arg, n);
    host[n] = 0;
    port = colon + 1;
  }
  long portnum;
  if (!parse_port(port, 1, &portnum))
    bad_usage("--upstream %s: bad port '%s' (1-65535)", arg, port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0)
    bad_usage("--upstream %s: cannot resolve '%s': %s", arg, host, gai_strerror(rc));
  struct addrinfo *pick = res;
  for (struct addrinfo *a = res; a; a = a->ai_next)
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  memcpy(&g.up_addr, pick->ai_addr, pick->ai_addrlen);
  g.up_len = pick->ai_addrlen;
  freeaddrinfo(res);
}

static void die(const char *what) {
  logmsg("%s: %s", what, strerror(errno));
  exit(1);
}

static void epoll_add(int fd, uint32_t events, void *ptr) {
  struct epoll_event ev = {.events = events, .data.ptr = ptr};
  if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    die("epoll_ctl");
}

int main(int argc, char **argv) {
  const char *upstream = NULL;
  long listen_port = 0;
  double delay_ms = 1.0;

  static const struct option longopts[] = {
      {"upstream", required_argument, NULL, 'u'},
      {"listen-port", required_argument, NULL, 'p'},
      {"delay-ms", required_argument, NULL, 'd'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
    switch (c) {
    case 'u':
      upstream = optarg;
      break;
    case 'p':
      if (!parse_port(optarg, 0, &listen_port))
        bad_usage("--listen-port %s: expected a port number 0-65535", optarg);
      break;
    case 'd': {
      char *end;
      errno = 0;
      delay_ms = strtod(optarg, &end);
      if (errno || end == optarg || *end || !isfinite(delay_ms) || delay_ms < 0 ||
          delay_ms > 3600e3)
        bad_usage("--delay-ms %s: expected milliseconds, 0 to 3600000", optarg);
      break;
    }
    case 'h':
      usage(stdout);
      return 0;
    case ':':
      bad_usage("%s needs a value", argv[optind - 1]);
    default:
      bad_usage("unknown option %s", argv[optind - 1]);
    }
  }
  if (optind < argc)
    bad_usage("unexpected argument '%s'", argv[optind]);
  if (!upstream)
    bad_usage("--upstream HOST:PORT is required");
  resolve_upstream(upstream);
  g.delay_ns = llround(delay_ms * 1e6);
  g.early_max_ns = g.delay_ns / 4 < 100000 ? g.delay_ns / 4 : 100000;

  /* Two descriptors per connection and 300+ connections: more than a soft limit of 1024 allows
   * with room to spare, so take what the hard limit allows. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
      logmsg("raising the descriptor limit: %s", strerror(errno));
  }
  signal(SIGPIPE, SIG_IGN); /* sendmsg has MSG_NOSIGNAL; this is for stdout */

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
    die("sigprocmask");
  if ((g.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
    die("signalfd");
  if ((g.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
    die("timerfd_create");
  if ((g.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
    die("epoll_create1");
  g.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  if ((g.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
    die("socket");
  int one = 1;
  setsockopt(g.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(g.lfd, (struct sockaddr *)&sin, sizeof sin) < 0) {
    logmsg("bind 127.0.0.1:%ld: %s", listen_port, strerror(errno));
    return 1;
  }
  if (listen(g.lfd, SOMAXCONN) < 0)
    die("listen");
  socklen_t slen = sizeof sin;
  if (getsockname(g.lfd, (struct sockaddr *)&sin, &slen) < 0)
    die("getsockname");

  /* The listener and the signalfd level-triggered (drained on each wakeup anyway); the timerfd
   * too, read on each expiry. */
  epoll_add(g.lfd, EPOLLIN, &tag_listen);
  epoll_add(g.tfd, EPOLLIN, &tag_timer);
  epoll_add(g.sfd, EPOLLIN, &tag_signal);

  printf("%u\n", (unsigned)ntohs(sin.sin_port));
  fflush(stdout);

  struct epoll_event evs[MAX_EVENTS];
  bool stop = false;
  while (!stop) {
    int n = epoll_wait(g.epfd, evs, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      void *ptr = evs[i].data.ptr;
      if (ptr == &tag_listen) {
        on_listen();
      } else if (ptr == &tag_timer) {
        on_timer();
      } else if (ptr == &tag_signal) {
        struct signalfd_siginfo si;
        while (read(g.sfd, &si, sizeof si) == (ssize_t)sizeof si)
          stop = true;
      } else {
        on_end(ptr, evs[i].events);
      }
    }
    /* Only now: a pair closed above may still be named by a later event of the same batch. */
    while (g.dead) {
      struct pair *p = g.dead;
      g.dead = p->next;
      free(p);
    }
    timer_sync();
  }

  while (g.live)
    close_pair(g.live, false);
  while (g.dead) {
    struct pair *p = g.dead;
    g.dead = p->next;
    free(p);
  }
  while (g.free_chunks) {
    struct chunk *ch = g.free_chunks;
    g.free_chunks = ch->next;
    free(ch);
  }
  logmsg("stopped: %" PRIu64 " connections, %" PRIu64 " bytes to the upstream, %" PRIu64
         " bytes back",
         g.accepted, g.bytes_up, g.bytes_down);
  return 0;
}
