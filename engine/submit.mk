# engine/submit.mk: weft-submit (engine/submit/), the shared console progress bar, and their tests.
# Included from the top Makefile.am.

# The console progress bar and the progress detail line: drawn by drivers (client mode) and by
# weft-submit (cluster mode) from the same code.
engine_libweft_engine_core_la_SOURCES += engine/weft-progress.c engine/weft-progress.h

check_PROGRAMS += tests/engine/test-progress
tests_engine_test_progress_SOURCES = tests/engine/test-progress.c
tests_engine_test_progress_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_progress_LDADD = $(ENGINE_CORE_LIBS)

# weft-submit talks to the cluster only through the IDL: engine/weft-yarn-rpc.c (in the engine's
# core library, see engine/cluster.mk) is its wire edge, as it is weft-dshell's; of the rest of the
# engine it uses weft-progress.h alone. It includes no generated header.
bin_PROGRAMS += engine/submit/weft-submit
engine_submit_weft_submit_SOURCES = engine/submit/weft-submit.c \
	engine/submit/submit-conf.c engine/submit/submit-conf.h
engine_submit_weft_submit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine/submit \
	-I$(top_srcdir)/engine -DG_LOG_DOMAIN=\"weft-submit\"
engine_submit_weft_submit_LDADD = engine/libweft-engine-core.la $(COMMON_LIBS)
$(engine_submit_weft_submit_OBJECTS): $(GEN_DIR)/.stamp

# The example of conf/weft-defaults.conf (spark-defaults.conf's format, every line commented).
dist_sysconf_DATA += conf/weft-defaults.conf

# A stand-in driver for the tests: prints its WEFT_SUBMIT_PROPERTIES file and arguments, exits as
# told, and in a container acts as the AM (register, progress details, finish). Built with the
# programs (like tests/nodemanager/nm-test-helper): a check program would be run as a test.
noinst_PROGRAMS += tests/tools/submit-test-prog
tests_tools_submit_test_prog_SOURCES = tests/tools/submit-test-prog.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
tests_tools_submit_test_prog_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration \
	-I$(top_srcdir)/engine
tests_tools_submit_test_prog_LDADD = engine/libweft-engine-core.la $(COMMON_LIBS)
$(tests_tools_submit_test_prog_OBJECTS): $(GEN_DIR)/.stamp

# tests/tools/test-submit: flags, precedence and the properties file (client mode, no cluster),
# then cluster mode on a real local cluster (RM + NMs on loopback), and the RM's progress detail.
check_PROGRAMS += tests/tools/test-submit
tests_tools_test_submit_SOURCES = tests/tools/test-submit.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
tests_tools_test_submit_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration \
	-I$(top_srcdir)/engine
tests_tools_test_submit_LDADD = engine/libweft-engine-core.la $(COMMON_LIBS)
$(tests_tools_test_submit_OBJECTS): $(GEN_DIR)/.stamp
EXTRA_tests_tools_test_submit_DEPENDENCIES = engine/submit/weft-submit$(EXEEXT) \
	tests/tools/submit-test-prog$(EXEEXT) rm/weft$(EXEEXT) rm/weft-resourcemanager$(EXEEXT) \
	nodemanager/weft-nodemanager$(EXEEXT)
