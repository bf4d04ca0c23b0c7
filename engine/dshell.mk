# engine/dshell/: weft-dshell, the distributed shell (client and AM in one binary). It talks to
# the cluster only through the IDL: engine/weft-yarn-rpc.c (in the engine's core library, see
# engine/cluster.mk) is its wire edge; it includes no rm/ header.
# Included from the top Makefile.am.
bin_PROGRAMS += engine/dshell/weft-dshell
engine_dshell_weft_dshell_SOURCES = engine/dshell/weft-dshell.c
engine_dshell_weft_dshell_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine \
	-DG_LOG_DOMAIN=\"weft-dshell\"
engine_dshell_weft_dshell_LDADD = $(ENGINE_CORE_LIBS)
$(engine_dshell_weft_dshell_OBJECTS): $(GEN_DIR)/.stamp

# tests/tools/test-dshell: weft-dshell end to end on a real local cluster (RM + 2 NMs).
check_PROGRAMS += tests/tools/test-dshell
tests_tools_test_dshell_SOURCES = tests/tools/test-dshell.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
tests_tools_test_dshell_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_tools_test_dshell_LDADD = $(COMMON_LIBS)
$(tests_tools_test_dshell_OBJECTS): $(GEN_DIR)/.stamp
EXTRA_tests_tools_test_dshell_DEPENDENCIES = engine/dshell/weft-dshell$(EXEEXT) rm/weft$(EXEEXT) \
	rm/weft-resourcemanager$(EXEEXT) nodemanager/weft-nodemanager$(EXEEXT)
