// SPDX-License-Identifier: GPL-2.0
/*
 * masim: a memory access simulator with a known answer, after the public
 * "masim" of the DAMON authors.  A config names memory areas and timed
 * phases; in each phase every area is accessed sequentially or at random,
 * with a stride, a relative weight and reads or writes.  The ground truth
 * (where the areas are, when each phase started on CLOCK_MONOTONIC, the
 * clock of the /dev/damon snapshots, and which areas were hot) is logged
 * as JSON lines, so a monitor's output can be scored against it.
 *
 *   masim --config FILE [--log FILE] [--backing anon|memfd]
 *         [--memfd-size SIZE] [--thp default|on|off] [--loops N]
 *         [--ops N] [--pingpong N] [--ready-fd FD] [--go-fd FD]
 *         [--scale-area NAME=SIZE]... [--phase-ms MS] [--cpu N]
 *
 * Config (comments start with '#'; paragraphs are separated by blank
 * lines):
 *
 *   hot, 64M                  first paragraph: areas, "name, size"
 *   cold, 960M
 *
 *   steady                    then one paragraph per phase: its name,
 *   10000                     its duration in ms, and one line per area:
 *   hot, 1, 4096, 1, w        name, random(1)|sequential(0), stride,
 *                             relative weight[, r|w|rw (default w)]
 *
 * Areas a phase does not list are idle in it.  A phase without accessed
 * areas sleeps.  Sizes take K, M, G, T (binary) suffixes.
 *
 * --backing memfd maps one memfd of --memfd-size bytes (default 256 MiB)
 * again and again with MAP_SHARED|MAP_POPULATE over the areas, so a target
 * of many GiB has every PTE populated while using little RAM (the page
 * tables: 2 MiB per GiB).  --backing anon (default) maps private anonymous
 * memory and writes every page once; --thp asks for or against
 * transparent huge pages there (madvise), default leaves the system's
 * setting.
 *
 * --scale-area NAME=SIZE changes an area's size, --phase-ms MS every
 * phase's duration (shorter runs of the same pattern).
 *
 * --ops N: every phase runs N accesses instead of its duration (a fixed
 * amount of work, to time the workload).  --loops N repeats the phases N
 * times (0: until SIGTERM/SIGINT).  --pingpong N: every N accesses, a
 * round trip through pipes with a child process pinned to the same CPU,
 * which forces two context switches between address spaces.
 * --cpu N pins the workload (and its ping-pong child) to CPU N.
 * --ready-fd: a byte is written there once the memory is populated;
 * --go-fd: the phases start after a byte is read from there.
 *
 * Log events: "start" (pid, areas with addresses), "ready", "phase" (index,
 * name, t_ns, hot areas with ranges), "phase_end" (accesses), "end"
 * (runtime_ns from go to end, accesses).  All times are CLOCK_MONOTONIC ns.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define HUGE_ALIGN	(2UL << 20)
#define MAX_AREAS	64
#define MAX_PHASES	256
#define BURST		256

enum rw { RW_WRITE, RW_READ, RW_BOTH };

struct area {
	char name[64];
	size_t size;
	char *base;
};

struct access {
	bool random;
	size_t stride;
	unsigned int weight;
	enum rw rw;
	size_t cursor;		/* sequential position */
};

struct phase {
	char name[64];
	unsigned long long ms;
	bool has_ms;
	struct access acc[MAX_AREAS];
};

static struct area areas[MAX_AREAS];
static unsigned int nr_areas;
static struct phase *phases;
static unsigned int nr_phases;
static FILE *logf;
static volatile sig_atomic_t stop;
static int ping_w = -1, pong_r = -1;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("masim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static size_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	size_t mult = 1;

	while (isspace((unsigned char)*end))
		end++;
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1UL << 10; end++; break;
	case 'M': mult = 1UL << 20; end++; break;
	case 'G': mult = 1UL << 30; end++; break;
	case 'T': mult = 1UL << 40; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	while (isspace((unsigned char)*end))
		end++;
	if (end == s || *end || v < 0)
		die("bad size '%s'", s);
	return (size_t)(v * mult);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Split @line at commas into at most @max trimmed fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		f[n++] = trim(tok);
	return n;
}

static int find_area(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_areas; i++)
		if (!strcmp(areas[i].name, name))
			return i;
	return -1;
}

static void parse_config(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[1024];
	int para = 0, line_in_para = 0, lineno = 0;
	struct phase *ph = NULL;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	phases = calloc(MAX_PHASES, sizeof(*phases));
	if (!phases)
		die("out of memory");
	while (fgets(buf, sizeof(buf), f)) {
		char *hash = strchr(buf, '#'), *l, *fl[6];
		int n;

		lineno++;
		if (hash)
			*hash = 0;
		l = trim(buf);
		if (!*l) {
			if (line_in_para) {
				para++;
				line_in_para = 0;
			}
			continue;
		}
		if (para == 0) {
			n = split(l, fl, 6);
			if (n != 2)
				die("%s:%d: an area is 'name, size'", path, lineno);
			if (nr_areas == MAX_AREAS)
				die("too many areas");
			if (find_area(fl[0]) >= 0)
				die("%s:%d: area %s listed twice", path, lineno, fl[0]);
			snprintf(areas[nr_areas].name, sizeof(areas[0].name), "%s", fl[0]);
			areas[nr_areas].size = (parse_size(fl[1]) + PAGE - 1) & ~(PAGE - 1);
			if (!areas[nr_areas].size)
				die("%s:%d: empty area", path, lineno);
			nr_areas++;
		} else if (line_in_para == 0) {
			if (nr_phases == MAX_PHASES)
				die("too many phases");
			ph = &phases[nr_phases++];
			snprintf(ph->name, sizeof(ph->name), "%s", l);
		} else if (line_in_para == 1) {
			char *end;

			ph->ms = strtoull(l, &end, 10);
			ph->has_ms = true;
			if (*end)
				die("%s:%d: a phase's second line is its duration in ms",
				    path, lineno);
		} else {
			int a;
			struct access *ac;

			n = split(l, fl, 6);
			if (n < 4 || n > 5)
				die("%s:%d: an access is 'area, random, stride, weight[, rw]'",
				    path, lineno);
			a = find_area(fl[0]);
			if (a < 0)
				die("%s:%d: no area %s", path, lineno, fl[0]);
			ac = &ph->acc[a];
			ac->random = atoi(fl[1]) != 0;
			ac->stride = parse_size(fl[2]);
			if (!ac->stride)
				ac->stride = 1;
			ac->weight = (unsigned int)parse_size(fl[3]);
			ac->rw = RW_WRITE;
			if (n == 5) {
				if (!strcmp(fl[4], "r"))
					ac->rw = RW_READ;
				else if (!strcmp(fl[4], "rw"))
					ac->rw = RW_BOTH;
				else if (strcmp(fl[4], "w"))
					die("%s:%d: rw is r, w or rw", path, lineno);
			}
		}
		line_in_para++;
	}
	fclose(f);
	if (!nr_areas || !nr_phases)
		die("%s: needs an area paragraph and at least one phase", path);
	for (unsigned int i = 0; i < nr_phases; i++)
		if (!phases[i].has_ms)
			die("%s: phase %s has no duration", path, phases[i].name);
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
	va_list ap;

	if (!logf)
		return;
	va_start(ap, fmt);
	vfprintf(logf, fmt, ap);
	va_end(ap);
	fputc('\n', logf);
	fflush(logf);
}

static const char *rw_name(enum rw rw)
{
	return rw == RW_READ ? "r" : rw == RW_BOTH ? "rw" : "w";
}

/* Map all areas back to back, each starting on a 2 MiB boundary. */
static void map_areas(bool memfd, size_t chunk, int thp)
{
	size_t span = 0, off, slack;
	unsigned int i;
	char *res, *base;
	int fd = -1;

	for (i = 0; i < nr_areas; i++)
		span += (areas[i].size + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
	res = mmap(NULL, span + HUGE_ALIGN, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("cannot reserve %zu bytes: %s", span, strerror(errno));
	base = (char *)(((uintptr_t)res + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1));
	slack = base - res;
	if (slack)
		munmap(res, slack);
	if (HUGE_ALIGN - slack)
		munmap(base + span, HUGE_ALIGN - slack);

	if (memfd) {
		char *tmp;

		chunk = (chunk + PAGE - 1) & ~(PAGE - 1);
		fd = memfd_create("masim", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, chunk))
			die("memfd of %zu bytes: %s", chunk, strerror(errno));
		/* Fill it once, so every later mapping finds its pages. */
		tmp = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (tmp == MAP_FAILED)
			die("mmap memfd: %s", strerror(errno));
		memset(tmp, 1, chunk);
		munmap(tmp, chunk);
		for (off = 0; off < span; off += chunk) {
			size_t len = span - off < chunk ? span - off : chunk;

			if (mmap(base + off, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED)
				die("mmap memfd at +%zu: %s", off, strerror(errno));
		}
		close(fd);
	} else {
		if (mmap(base, span, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			die("mmap %zu bytes: %s", span, strerror(errno));
		if (thp > 0)
			madvise(base, span, MADV_HUGEPAGE);
		else if (thp < 0)
			madvise(base, span, MADV_NOHUGEPAGE);
		for (off = 0; off < span; off += PAGE)
			base[off] = 1;
	}
	for (i = 0, off = 0; i < nr_areas; i++) {
		areas[i].base = base + off;
		off += (areas[i].size + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A child on the same CPU that answers every ping; forked before mapping. */
static void start_pingpong(void)
{
	int a[2], b[2];
	cpu_set_t set;
	pid_t pid;
	char c;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity: %s", strerror(errno));
	if (pipe(a) || pipe(b))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	ping_w = a[1];
	pong_r = b[0];
}

static void pingpong(void)
{
	char c = 0;

	if (write(ping_w, &c, 1) != 1 || read(pong_r, &c, 1) != 1)
		die("ping-pong child is gone");
}

static inline unsigned long long xorshift(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Run one phase: for its duration (or @ops accesses), pick an area by
 * weight and make a burst of accesses in it.  Returns the accesses made.
 */
static unsigned long long run_phase(struct phase *ph, unsigned long long ops,
				    unsigned long long pp_every,
				    unsigned long long *x, unsigned long long *sink)
{
	unsigned int pick[MAX_AREAS], nr = 0, i, total = 0;
	unsigned int cum[MAX_AREAS];
	unsigned long long start = now_ns(), deadline = start + ph->ms * 1000000ULL;
	unsigned long long done = 0, next_pp = pp_every;

	for (i = 0; i < nr_areas; i++) {
		if (!ph->acc[i].weight)
			continue;
		total += ph->acc[i].weight;
		pick[nr] = i;
		cum[nr++] = total;
	}
	if (!nr) {
		while (!stop && now_ns() < deadline)
			usleep(10000);
		return 0;
	}
	while (!stop) {
		unsigned int r = xorshift(x) % total, k = 0, b;
		struct access *ac;
		struct area *ar;
		size_t slots;

		while (cum[k] <= r)
			k++;
		ac = &ph->acc[pick[k]];
		ar = &areas[pick[k]];
		slots = ar->size / ac->stride;
		if (!slots)
			slots = 1;
		for (b = 0; b < BURST; b++) {
			size_t off;
			volatile char *p;

			if (ac->random) {
				off = (xorshift(x) % slots) * ac->stride;
			} else {
				off = ac->cursor;
				ac->cursor += ac->stride;
				if (ac->cursor >= ar->size)
					ac->cursor = 0;
			}
			p = (volatile char *)ar->base + off;
			if (ac->rw == RW_WRITE || (ac->rw == RW_BOTH && (b & 1)))
				*p += 1;
			else
				*sink += *p;
		}
		done += BURST;
		if (pp_every && done >= next_pp) {
			pingpong();
			next_pp += pp_every;
		}
		if (ops ? done >= ops : now_ns() >= deadline)
			break;
	}
	return done;
}

static void usage(void)
{
	fputs("usage: masim --config FILE [--log FILE] [--backing anon|memfd]\n"
	      "             [--memfd-size SIZE] [--thp default|on|off] [--loops N]\n"
	      "             [--ops N] [--pingpong N] [--ready-fd FD] [--go-fd FD]\n"
	      "             [--scale-area NAME=SIZE]... [--phase-ms MS] [--cpu N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *config = NULL, *log_path = NULL;
	bool memfd = false;
	size_t chunk = 256UL << 20;
	int thp = 0, ready_fd = -1, go_fd = -1, cpu = -1, i;
	unsigned long long loops = 1, ops = 0, pp = 0, loop, total = 0;
	unsigned long long x = 88172645463325252ULL, sink = 0, go, t, phase_ms = 0;
	char *overrides[MAX_AREAS];
	unsigned int nr_over = 0, a, p;
	struct sigaction sa = { .sa_handler = on_signal };

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		i++;
		if (!strcmp(o, "--config"))
			config = v;
		else if (!strcmp(o, "--log"))
			log_path = v;
		else if (!strcmp(o, "--backing") && (!strcmp(v, "anon") || !strcmp(v, "memfd")))
			memfd = !strcmp(v, "memfd");
		else if (!strcmp(o, "--memfd-size"))
			chunk = parse_size(v);
		else if (!strcmp(o, "--thp"))
			thp = !strcmp(v, "on") ? 1 : !strcmp(v, "off") ? -1 : 0;
		else if (!strcmp(o, "--loops"))
			loops = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--ops"))
			ops = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--pingpong"))
			pp = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--ready-fd"))
			ready_fd = atoi(v);
		else if (!strcmp(o, "--go-fd"))
			go_fd = atoi(v);
		else if (!strcmp(o, "--cpu"))
			cpu = atoi(v);
		else if (!strcmp(o, "--phase-ms"))
			phase_ms = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--scale-area") && nr_over < MAX_AREAS)
			overrides[nr_over++] = (char *)v;
		else
			usage();
	}
	if (!config)
		usage();
	parse_config(config);
	for (p = 0; phase_ms && p < nr_phases; p++)
		phases[p].ms = phase_ms;
	for (a = 0; a < nr_over; a++) {
		char *eq = strchr(overrides[a], '=');
		int k;

		if (!eq)
			usage();
		*eq = 0;
		k = find_area(overrides[a]);
		if (k < 0)
			die("--scale-area: no area %s", overrides[a]);
		areas[k].size = (parse_size(eq + 1) + PAGE - 1) & ~(PAGE - 1);
	}
	if (log_path) {
		logf = fopen(log_path, "w");
		if (!logf)
			die("cannot write %s: %s", log_path, strerror(errno));
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cannot run on CPU %d: %s", cpu, strerror(errno));
	}
	if (pp)
		start_pingpong();
	map_areas(memfd, chunk, thp);

	if (logf) {
		fprintf(logf, "{\"event\":\"start\",\"pid\":%d,\"clock\":\"CLOCK_MONOTONIC\","
			"\"t_ns\":%llu,\"backing\":\"%s\",\"memfd_size\":%zu,\"thp\":\"%s\","
			"\"ops\":%llu,\"pingpong\":%llu,\"loops\":%llu,\"cpu\":%d,\"areas\":[",
			getpid(), now_ns(), memfd ? "memfd" : "anon", memfd ? chunk : 0,
			thp > 0 ? "on" : thp < 0 ? "off" : "default", ops, pp, loops, cpu);
		for (a = 0; a < nr_areas; a++)
			fprintf(logf, "%s{\"name\":\"%s\",\"start\":%lu,\"end\":%lu,\"size\":%zu}",
				a ? "," : "", areas[a].name, (unsigned long)areas[a].base,
				(unsigned long)areas[a].base + areas[a].size, areas[a].size);
		fputs("]}\n", logf);
		fflush(logf);
	}
	log_line("{\"event\":\"ready\",\"t_ns\":%llu}", now_ns());
	if (ready_fd >= 0) {
		char c = 'r';

		if (write(ready_fd, &c, 1) != 1)
			die("ready fd: %s", strerror(errno));
		close(ready_fd);
	}
	if (go_fd >= 0) {
		char c;

		if (read(go_fd, &c, 1) != 1 && !stop)
			die("no go byte on fd %d", go_fd);
		close(go_fd);
	}
	go = now_ns();
	for (loop = 0; !stop && (!loops || loop < loops); loop++) {
		for (p = 0; p < nr_phases && !stop; p++) {
			struct phase *ph = &phases[p];
			unsigned int idx = loop * nr_phases + p, first = 1;
			unsigned long long n;

			t = now_ns();
			if (logf) {
				fprintf(logf, "{\"event\":\"phase\",\"index\":%u,\"name\":\"%s\","
					"\"loop\":%llu,\"t_ns\":%llu,\"duration_ms\":%llu,\"hot\":[",
					idx, ph->name, loop, t, ph->ms);
				for (a = 0; a < nr_areas; a++) {
					struct access *ac = &ph->acc[a];

					if (!ac->weight)
						continue;
					fprintf(logf, "%s{\"area\":\"%s\",\"start\":%lu,\"end\":%lu,"
						"\"weight\":%u,\"pattern\":\"%s\",\"stride\":%zu,"
						"\"rw\":\"%s\"}", first ? "" : ",", areas[a].name,
						(unsigned long)areas[a].base,
						(unsigned long)areas[a].base + areas[a].size,
						ac->weight, ac->random ? "random" : "sequential",
						ac->stride, rw_name(ac->rw));
					first = 0;
				}
				fputs("]}\n", logf);
				fflush(logf);
			}
			n = run_phase(ph, ops, pp, &x, &sink);
			total += n;
			log_line("{\"event\":\"phase_end\",\"index\":%u,\"t_ns\":%llu,\"accesses\":%llu}",
				 idx, now_ns(), n);
		}
	}
	t = now_ns();
	log_line("{\"event\":\"end\",\"t_ns\":%llu,\"runtime_ns\":%llu,\"accesses\":%llu,"
		 "\"stopped\":%s,\"sink\":%llu}", t, t - go, total, stop ? "true" : "false",
		 sink & 1);
	if (logf)
		fclose(logf);
	return 0;
}
