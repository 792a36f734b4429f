/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of heald's control socket: JSON lines over a Unix stream
 * socket (heald/api.c is the other end).
 */
#ifndef HEALD_CLIENT_H
#define HEALD_CLIENT_H

#include <stddef.h>

struct json_object;

#define HEALD_SOCKET_DEFAULT "/run/heald/heald.sock"

/* $HEAL_SOCKET, else the default. */
const char *hd_socket_path(void);
/* A connected fd, or -errno with @err set. */
int hd_connect(const char *path, char *err, size_t errlen);
/* Send one request line. 0 or -errno. */
int hd_send(int fd, struct json_object *req);
/*
 * The next line as JSON, waiting at most @timeout_ms (-1: for ever).
 * NULL with @err set on EOF, timeout or a line that is not JSON.
 */
struct json_object *hd_recv(int fd, int timeout_ms, char *err, size_t errlen);
/* Request and its reply (closes nothing). */
struct json_object *hd_call(int fd, struct json_object *req, char *err, size_t errlen);

#endif
