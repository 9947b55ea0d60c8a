// SPDX-License-Identifier: GPL-2.0
/*
 * Maps records and /proc/PID/maps text (cli/lib/maps.c, cli/lib/record.c): what
 * the recorder writes reads back, lines that are not mappings are skipped,
 * and mappings are named as people know them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "maps.h"
#include "record.h"
#include "tap.h"

const char *progname = "maps-test";

static const char text[] =
	"555555554000-555555556000 r--p 00000000 08:01 1234   /usr/bin/cat\n"
	"55555555a000-55555557b000 rw-p 00000000 00:00 0      [heap]\n"
	"not a mapping at all\n"
	"7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
	"7f0004000000-7f0004200000 r--p 00000000 08:01 99 /lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0005000000-7f0005001000 rw-s 00000000 00:05 7  /dev/shm/a file (deleted)\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0      [stack]";

static void test_parse(void)
{
	struct maps m;
	const struct map_entry *e;

	ok(!maps_parse(text, sizeof(text) - 1, &m), "the text parses");
	ok(m.n == 6, "six mappings, the bad line skipped (got %zu)", m.n);
	e = maps_find(&m, 0x55555555a123);
	ok(e && !strcmp(map_label(e), "[heap]"), "an address in the heap");
	e = maps_find(&m, 0x7f0000001000);
	ok(e && !strcmp(map_label(e), "[anon]") && !strcmp(e->perms, "rw-p"),
	   "anonymous memory is [anon]");
	e = maps_find(&m, 0x7f00041fffff);
	ok(e && !strcmp(map_label(e), "libc.so.6") &&
	   !strcmp(e->path, "/lib/x86_64-linux-gnu/libc.so.6"),
	   "a file is named by its base name");
	e = maps_find(&m, 0x7f0005000000);
	ok(e && !strcmp(map_label(e), "a file (deleted)"),
	   "spaces in a path are kept");
	ok(!maps_find(&m, 0x7f0004200000), "the end of a mapping is outside it");
	ok(!maps_find(&m, 0x1000), "below every mapping");
	e = maps_find(&m, 0x7ffd00020fff);
	ok(e && !strcmp(map_label(e), "[stack]"), "the last line needs no newline");
	maps_free(&m);
}

static void test_record(void)
{
	char dir[] = "/tmp/maps-test.XXXXXX", path[64];
	unsigned char buf[4096];
	struct damonrec_maps hdr;
	const char *t;
	size_t len;
	ssize_t n;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "a temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/maps", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && !rec_write_maps(fd, 4242, 123456789, text,
				      sizeof(text) - 1), "a maps record is written");
	n = pread(fd, buf, sizeof(buf), 0);
	ok(n == (ssize_t)(sizeof(hdr) + sizeof(text) - 1),
	   "one record of header and text (%zd bytes)", n);
	ok(!rec_parse_maps(buf, (size_t)n, &hdr, &t, &len) && hdr.pid == 4242 &&
	   hdr.monotonic_ns == 123456789 && hdr.version == DAMONREC_MAPS_VERSION &&
	   len == sizeof(text) - 1 && !memcmp(t, text, len),
	   "it reads back as written");
	ok(rec_parse_maps(buf, 12, &hdr, &t, &len) == -1, "a short one is refused");
	hdr.hdr_size = 0xffff;
	memcpy(buf, &hdr, sizeof(hdr));
	ok(rec_parse_maps(buf, (size_t)n, &hdr, &t, &len) == -1,
	   "a header longer than the record is refused");
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void test_read_self(void)
{
	struct maps m;
	char *t;
	size_t len;

	ok(!maps_read(getpid(), &t, &len) && len > 0, "our own maps are read");
	ok(!maps_parse(t, len, &m) && maps_find(&m, (uintptr_t)&test_read_self),
	   "and they contain our code");
	maps_free(&m);
	free(t);
}

int main(void)
{
	test_parse();
	test_record();
	test_read_self();
	return done();
}
