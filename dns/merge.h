/* merge: join DNS snapshots from several runs into one (authsweep dns-merge).
 *
 * Input files are snapshots as --dns-record writes them: one fact per line, absolute names
 * (a record "NAME TTL IN TYPE RDATA", or a directive ";! nxdomain NAME", ";! nodata NAME
 * TYPE", ";! timeout NAME TYPE", ";! servfail NAME TYPE"). Each file's age is its
 * "; authsweep-recorded: TIME" header; a file without one counts as older than every dated
 * file, and among undated files the later argument is newer.
 *
 * For each (name, type) the newest file that says anything about it wins, whole: its
 * records replace the older ones (a record set is never mixed from two runs). Facts that
 * cannot stand together are resolved the same way: a newer NXDOMAIN removes older data at
 * that name, newer data removes an older NXDOMAIN, and a CNAME and other types at one name
 * exclude each other. The result is loaded by the snapshot reader before it is written
 * (atomically), so a merge never produces a file that will not load. */
#ifndef AUTHSWEEP_DNS_MERGE_H
#define AUTHSWEEP_DNS_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* dnsmerge_files merges paths[0..n) into out_path, saying on `log` what replaced what.
 * False with a message in err. */
bool dnsmerge_files(const char *const *paths, size_t n, const char *out_path, FILE *log,
                    char *err, size_t err_len);

#endif
