// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <json-c/json.h>
#include "heald_client.h"

/* Replies (a whole status) can be long: lines up to 4 MiB. */
#define HD_LINE_MAX (4 << 20)

static char rbuf[65536];
static size_t rlen;
static int rfd = -1;

const char *hd_socket_path(void)
{
	const char *s = getenv("HEAL_SOCKET");

	return s && *s ? s : HEALD_SOCKET_DEFAULT;
}

int hd_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot reach heald at %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	rlen = 0;
	rfd = fd;
	return fd;
}

int hd_send(int fd, struct json_object *req)
{
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s), off = 0;
	char *line = malloc(len + 1);

	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	line[len] = '\n';
	while (off < len + 1) {
		ssize_t n = send(fd, line + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(line);
			return -e;
		}
		off += (size_t)n;
	}
	free(line);
	return 0;
}

struct json_object *hd_recv(int fd, int timeout_ms, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;
	char *line = NULL, *nl;
	size_t len = 0;

	if (fd != rfd) {
		rfd = fd;
		rlen = 0;
	}
	for (;;) {
		nl = memchr(rbuf, '\n', rlen);
		if (nl) {
			size_t part = (size_t)(nl - rbuf);
			char *p = realloc(line, len + part + 1);

			if (!p)
				break;
			line = p;
			memcpy(line + len, rbuf, part);
			len += part;
			line[len] = '\0';
			rlen -= part + 1;
			memmove(rbuf, nl + 1, rlen);
			break;
		}
		if (rlen) {	/* a line longer than the buffer: keep what we have */
			char *p = realloc(line, len + rlen + 1);

			if (!p || len + rlen > HD_LINE_MAX) {
				free(p ? p : line);
				snprintf(err, errlen, "reply longer than %d bytes", HD_LINE_MAX);
				return NULL;
			}
			line = p;
			memcpy(line + len, rbuf, rlen);
			len += rlen;
			rlen = 0;
		}
		{
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int r = poll(&pfd, 1, timeout_ms);
			ssize_t n;

			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0) {
				free(line);
				snprintf(err, errlen, "heald did not answer in time");
				return NULL;
			}
			n = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
			if (n <= 0) {
				free(line);
				snprintf(err, errlen, "heald closed the connection%s%s",
					 n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
				return NULL;
			}
			rlen += (size_t)n;
		}
	}
	if (!line) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
		snprintf(err, errlen, "heald sent a line that is not JSON");
	}
	json_tokener_free(tok);
	free(line);
	return o;
}

struct json_object *hd_call(int fd, struct json_object *req, char *err, size_t errlen)
{
	int ret = hd_send(fd, req);

	if (ret) {
		snprintf(err, errlen, "send to heald: %s", strerror(-ret));
		return NULL;
	}
	return hd_recv(fd, 30000, err, errlen);
}
