# rm/: the resource manager daemon, its scheduler plugins, and the admin CLI.

# --------------------------------------------------------------------------
# rm/sched/: scheduler plugins (fifo, capacity), pure functions of a cluster snapshot.
noinst_LTLIBRARIES += rm/libweft-sched.la
rm_libweft_sched_la_SOURCES = \
	rm/sched/rm-scheduler.c rm/sched/rm-scheduler.h \
	rm/sched/rm-sched-private.h rm/sched/rm-sched.c \
	rm/sched/rm-sched-fifo.c \
	rm/sched/rm-sched-capacity.c
rm_libweft_sched_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-rm\"
rm_libweft_sched_la_LIBADD = $(COMMON_LIBS)

SCHED_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/rm/sched
SCHED_LIBS = rm/libweft-sched.la $(COMMON_LIBS)

# (The top Makefile.am runs every check program as a test.)
check_PROGRAMS += tests/rm/test-scheduler
tests_rm_test_scheduler_SOURCES = tests/rm/test-scheduler.c tests/rm/sched-fixture.c tests/rm/sched-fixture.h
tests_rm_test_scheduler_CPPFLAGS = $(SCHED_TEST_CPPFLAGS)
tests_rm_test_scheduler_LDADD = $(SCHED_LIBS)

check_PROGRAMS += tests/rm/test-sched-fifo
tests_rm_test_sched_fifo_SOURCES = tests/rm/test-sched-fifo.c tests/rm/sched-fixture.c tests/rm/sched-fixture.h
tests_rm_test_sched_fifo_CPPFLAGS = $(SCHED_TEST_CPPFLAGS)
tests_rm_test_sched_fifo_LDADD = $(SCHED_LIBS)

check_PROGRAMS += tests/rm/test-sched-capacity
tests_rm_test_sched_capacity_SOURCES = tests/rm/test-sched-capacity.c tests/rm/sched-fixture.c tests/rm/sched-fixture.h
tests_rm_test_sched_capacity_CPPFLAGS = $(SCHED_TEST_CPPFLAGS)
tests_rm_test_sched_capacity_LDADD = $(SCHED_LIBS)

# A benchmark, run by hand: bench/bench-scheduler (check_PROGRAMS would make it a test).
noinst_PROGRAMS += bench/bench-scheduler
bench_bench_scheduler_SOURCES = bench/bench-scheduler.c
bench_bench_scheduler_CPPFLAGS = $(SCHED_TEST_CPPFLAGS)
bench_bench_scheduler_LDADD = $(SCHED_LIBS)

# --------------------------------------------------------------------------
# The RM daemon: rm-core (state and logic), rm-rpc-* (the wire edge), rm-main.
noinst_LTLIBRARIES += rm/libweft-rm.la
rm_libweft_rm_la_SOURCES = \
	rm/rm-core.c rm/rm-core.h \
	rm/rm-rpc.c rm/rm-rpc.h \
	rm/rm-rpc-client.c rm/rm-rpc-tracker.c rm/rm-rpc-am.c rm/rm-rpc-admin.c \
	rm/rm-rpc-launcher.c rm/rm-rpc-launcher.h \
	rm/rm-staging.c rm/rm-staging.h
rm_libweft_rm_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -DG_LOG_DOMAIN=\"weft-rm\"
rm_libweft_rm_la_LIBADD = rm/libweft-sched.la $(COMMON_LIBS)
$(rm_libweft_rm_la_OBJECTS): $(GEN_DIR)/.stamp

bin_PROGRAMS += rm/weft-resourcemanager
rm_weft_resourcemanager_SOURCES = rm/rm-main.c
rm_weft_resourcemanager_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -DG_LOG_DOMAIN=\"weft-rm\"
rm_weft_resourcemanager_LDADD = rm/libweft-rm.la $(COMMON_LIBS)
$(rm_weft_resourcemanager_OBJECTS): $(GEN_DIR)/.stamp

# --------------------------------------------------------------------------
# The admin CLI `weft`: weft-cli (commands, exit codes), weft-cli-rpc (the wire edge: calls and
# their JSON), weft-cli-table (tables, JSON output), weft-cli-token (the client token).
bin_PROGRAMS += rm/weft
rm_weft_SOURCES = rm/weft-cli.c rm/weft-cli.h rm/weft-cli-rpc.c rm/weft-cli-table.c \
	rm/weft-cli-token.c
rm_weft_CPPFLAGS = $(AM_CPPFLAGS) $(JSON_CFLAGS) -DG_LOG_DOMAIN=\"weft-cli\"
rm_weft_LDADD = $(COMMON_LIBS) $(JSON_LIBS)
$(rm_weft_OBJECTS): $(GEN_DIR)/.stamp

# tests/tools/test-cli: `weft` against a real RM on loopback (spawns rm/weft and the RM).
check_PROGRAMS += tests/tools/test-cli
tests_tools_test_cli_SOURCES = tests/tools/test-cli.c
tests_tools_test_cli_CPPFLAGS = $(TEST_CPPFLAGS) $(JSON_CFLAGS)
tests_tools_test_cli_LDADD = $(COMMON_LIBS) $(JSON_LIBS)
$(tests_tools_test_cli_OBJECTS): $(GEN_DIR)/.stamp
EXTRA_tests_tools_test_cli_DEPENDENCIES = rm/weft$(EXEEXT) rm/weft-resourcemanager$(EXEEXT)
