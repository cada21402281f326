# Live DNS (getdns), the shared cache and --dns-record. Tests: tests/dns/ and the
# NSD-backed live tests (tests/dns/live/live.mk starts and stops the server for make check).
LIB_SRCS += dns/cache.c dns/getdns.c dns/record.c
TEST_SRCS += tests/dns/test_cache.c tests/dns/test_live.c tests/dns/test_record.c tests/dns/test_reply.c
TEST_SUPPORT_SRCS += tests/dns/fake_backend.c
include tests/dns/live/live.mk
