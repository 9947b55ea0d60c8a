// SPDX-License-Identifier: GPL-2.0
/*
 * Where the metrics go: an HTTP endpoint served by libmicrohttpd on a
 * socket we bind ourselves (so that a port in use or an address this host
 * lacks gets a sentence, not a bare failure), and node_exporter's textfile
 * collector directory, written to a temporary file and renamed, so that
 * node_exporter never reads half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "exporter.h"
#include "msg.h"

#define TEXTFILE_NAME	"damon.prom"
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct xp_http {
	struct MHD_Daemon *d;
	struct exporter *ex;
	char *path;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct xp_http *h = cls;
	static char landing[1024];
	static int marker;
	char *text;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		static char msg[] = "only GET is served\n";

		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     msg, strlen(msg), MHD_RESPMEM_PERSISTENT);
	}
	/* The first call only announces the request (the headers). */
	if (!*req) {
		*req = &marker;
		return MHD_YES;
	}
	if (!strcmp(url, h->path)) {
		text = xp_render(h->ex, &len);
		if (!text) {
			static char msg[] = "out of memory\n";

			return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				     "text/plain", msg, strlen(msg),
				     MHD_RESPMEM_PERSISTENT);
		}
		return reply(c, MHD_HTTP_OK, CONTENT_TYPE, text, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/")) {
		snprintf(landing, sizeof(landing),
			 "<html><head><title>damonctl exporter</title></head>"
			 "<body><h1>damonctl exporter</h1><p><a href=\"%s\">"
			 "Metrics</a></p></body></html>\n", h->path);
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			     landing, strlen(landing), MHD_RESPMEM_MUST_COPY);
	}
	{
		static char msg[] = "not found: the metrics are at the "
				    "--web.telemetry-path\n";

		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", msg,
			     strlen(msg), MHD_RESPMEM_PERSISTENT);
	}
}

/* "HOST:PORT", ":PORT", "[V6]:PORT" into host (NULL: every address) and
 * port; 0 or -1. */
static int split_address(const char *addr, char *host, size_t hlen,
			 char *port, size_t plen)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':' || (size_t)(end - addr) > hlen)
			return -1;
		snprintf(host, (size_t)(end - addr), "%s", addr + 1);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= hlen)
			return -1;
		snprintf(host, (size_t)(colon - addr) + 1, "%s", addr);
	}
	if (!colon[1] || strlen(colon + 1) >= plen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

static int bind_listen(const char *addr)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res, *ai;
	char host[256], port[16];
	int fd = -1, err = 0, one = 1, rc;

	if (split_address(addr, host, sizeof(host), port, sizeof(port)))
		return -cmdline_usage("--web.listen-address '%s' is not HOST:PORT "
				      "(e.g. :9732, 127.0.0.1:9732 or [::1]:9732)",
				      addr);
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc)
		return -cmdline_usage("--web.listen-address %s: %s: give an address "
				      "of this host, or none (:PORT) for all",
				      addr, gai_strerror(rc));
	/* With no host, prefer the IPv6 wildcard, which takes IPv4 too. */
	for (ai = res; ai; ai = ai->ai_next)
		if (!host[0] && ai->ai_family == AF_INET6)
			break;
	if (!ai)
		ai = res;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 && !host[0] && ai != res) {
		ai = res;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		err = errno;
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	switch (err) {
	case EADDRINUSE:
		errmsg("cannot listen on %s: another program uses that port; "
		       "choose another with --web.listen-address", addr);
		break;
	case EADDRNOTAVAIL:
		errmsg("cannot listen on %s: this host has no such address; "
		       "give one of its own (ip address lists them) or :PORT "
		       "for all", addr);
		break;
	case EACCES:
		errmsg("cannot listen on %s: ports below 1024 need "
		       "CAP_NET_BIND_SERVICE; use a higher port", addr);
		break;
	default:
		errmsg("cannot listen on %s: %s", addr, strerror(err));
	}
	return -EXIT_FAIL;
}

int xp_http_start(struct exporter *ex, const char *addr, const char *path,
		  struct xp_http **out)
{
	struct xp_http *h;
	int fd;

	if (path[0] != '/')
		return cmdline_usage("--web.telemetry-path '%s' must start "
				     "with /", path);
	fd = bind_listen(addr);
	if (fd < 0)
		return -fd;
	h = calloc(1, sizeof(*h));
	if (!h || !(h->path = strdup(path))) {
		free(h);
		close(fd);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	h->ex = ex;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				MHD_OPTION_END);
	if (!h->d) {
		errmsg("cannot serve HTTP on %s: libmicrohttpd failed to "
		       "start", addr);
		close(fd);
		free(h->path);
		free(h);
		return EXIT_FAIL;
	}
	*out = h;
	return 0;
}

void xp_http_stop(struct xp_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h->path);
	free(h);
}

int xp_textfile_check(const char *dir)
{
	char tmp[4096];
	struct stat st;
	int fd;

	if (stat(dir, &st))
		return cmdline_usage("--textfile %s: %s; give node_exporter's "
				     "--collector.textfile.directory (Debian: "
				     "/var/lib/prometheus/node-exporter)",
				     dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cmdline_usage("--textfile %s is not a directory; give "
				     "node_exporter's --collector.textfile."
				     "directory", dir);
	snprintf(tmp, sizeof(tmp), "%s/." TEXTFILE_NAME ".%ld.tmp", dir,
		 (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		errmsg("cannot write in %s: %s; make it writable for this "
		       "user (the service's group, for instance) or choose "
		       "another directory", dir, strerror(errno));
		return EXIT_FAIL;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int xp_textfile_write(struct exporter *ex, const char *dir)
{
	char tmp[4096], dst[4096];
	size_t len;
	char *text = xp_render(ex, &len);
	int fd, err = 0;

	if (!text) {
		xp_log(ex, "out of memory writing the textfile");
		return -1;
	}
	/* node_exporter reads *.prom only: the temporary name is ignored. */
	snprintf(tmp, sizeof(tmp), "%s/." TEXTFILE_NAME ".%ld.tmp", dir,
		 (long)getpid());
	snprintf(dst, sizeof(dst), "%s/" TEXTFILE_NAME, dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
	} else {
		const char *p = text;
		size_t left = len;

		while (left) {
			ssize_t n = write(fd, p, left);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				err = errno;
				break;
			}
			p += n;
			left -= (size_t)n;
		}
		if (close(fd) && !err)
			err = errno;
		if (!err && rename(tmp, dst))
			err = errno;
		if (err)
			unlink(tmp);
	}
	free(text);
	if (err) {
		xp_log(ex, "writing %s failed: %s", dst, strerror(err));
		return -1;
	}
	return 0;
}

void xp_textfile_remove(const char *dir)
{
	char dst[4096];

	snprintf(dst, sizeof(dst), "%s/" TEXTFILE_NAME, dir);
	unlink(dst);
}
