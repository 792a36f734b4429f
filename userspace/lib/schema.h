/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The version of every JSON document heald and healctl write: replies and
 * events on heald's socket, journal entries (so hooks get it too) and
 * healctl's --json output carry "schema": HEAL_SCHEMA.  Within a version
 * fields are only ever added; a field that changes meaning or goes away
 * raises it.  Documentation/heald.md lists what version 1 holds.
 */
#ifndef HEAL_SCHEMA_H
#define HEAL_SCHEMA_H

#define HEAL_SCHEMA 1
#define HEAL_SCHEMA_STR "1"
/* The newest journal entries heald holds in memory and serves: a "journal" request's limit. */
#define HEAL_JOURNAL_RECENT 1024

#endif
