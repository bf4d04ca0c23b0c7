# nodemanager/: the NodeManager's process-level core (cgroups, the memory monitor, the container
# launcher) as a library; the NM daemon and its RPC handlers build on it.

noinst_LTLIBRARIES += nodemanager/libweft-nm.la
nodemanager_libweft_nm_la_SOURCES = \
	nodemanager/weft-nm-error.c nodemanager/weft-nm-error.h \
	nodemanager/nm-cgroup.c nodemanager/nm-cgroup.h \
	nodemanager/nm-monitor.c nodemanager/nm-monitor.h \
	nodemanager/nm-launcher.c nodemanager/nm-launcher.h
nodemanager_libweft_nm_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-nm\"
nodemanager_libweft_nm_la_LIBADD = $(COMMON_LIBS)

NM_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/nodemanager
NM_TEST_LIBS = nodemanager/libweft-nm.la $(COMMON_LIBS)
NM_TEST_UTIL = tests/nodemanager/nm-test-util.c tests/nodemanager/nm-test-util.h

# (The top Makefile.am runs every check program as a test.)
check_PROGRAMS += tests/nodemanager/test-cgroup
tests_nodemanager_test_cgroup_SOURCES = tests/nodemanager/test-cgroup.c $(NM_TEST_UTIL)
tests_nodemanager_test_cgroup_CPPFLAGS = $(NM_TEST_CPPFLAGS)
tests_nodemanager_test_cgroup_LDADD = $(NM_TEST_LIBS)

check_PROGRAMS += tests/nodemanager/test-monitor
tests_nodemanager_test_monitor_SOURCES = tests/nodemanager/test-monitor.c $(NM_TEST_UTIL)
tests_nodemanager_test_monitor_CPPFLAGS = $(NM_TEST_CPPFLAGS)
tests_nodemanager_test_monitor_LDADD = $(NM_TEST_LIBS)

check_PROGRAMS += tests/nodemanager/test-launcher
tests_nodemanager_test_launcher_SOURCES = tests/nodemanager/test-launcher.c $(NM_TEST_UTIL)
tests_nodemanager_test_launcher_CPPFLAGS = $(NM_TEST_CPPFLAGS)
tests_nodemanager_test_launcher_LDADD = $(NM_TEST_LIBS)

# The tests' load generator: allocates and touches memory, spins threads. A noinst program, not a
# check program, because every check program is run as a test. Built without the sanitizers (its
# own flags replace AM_CFLAGS and AM_LDFLAGS) so that the memory it holds is what it was asked to.
noinst_PROGRAMS += tests/nodemanager/nm-test-helper
tests_nodemanager_nm_test_helper_SOURCES = tests/nodemanager/nm-test-helper.c
tests_nodemanager_nm_test_helper_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -pthread
tests_nodemanager_nm_test_helper_LDFLAGS = -pthread
