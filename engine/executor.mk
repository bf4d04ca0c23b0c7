# engine/executor.mk: weft-executor, the generic executor a driver starts in each of its
# containers, and the application secret and tokens that the driver and its executors share
# (weft-app-auth, in the engine's core: the cluster backend signs with it too).
# Included from the top Makefile.am.
engine_libweft_engine_core_la_SOURCES += engine/weft-app-auth.c engine/weft-app-auth.h

# engine/executor/executor-rpc.c is the executor's wire edge (the only file that includes
# generated headers); weft-executor.c is the process.
bin_PROGRAMS += engine/executor/weft-executor
engine_executor_weft_executor_SOURCES = engine/executor/weft-executor.c \
	engine/executor/executor-rpc.c engine/executor/executor-rpc.h
engine_executor_weft_executor_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine \
	-I$(top_srcdir)/engine/executor -DG_LOG_DOMAIN=\"weft-executor\"
engine_executor_weft_executor_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)
$(engine_executor_weft_executor_OBJECTS): $(GEN_DIR)/.stamp

check_PROGRAMS += tests/engine/test-app-auth
tests_engine_test_app_auth_SOURCES = tests/engine/test-app-auth.c
tests_engine_test_app_auth_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_app_auth_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

# tests/engine/test-executor: the real weft-executor processes with the test as their driver.
check_PROGRAMS += tests/engine/test-executor
tests_engine_test_executor_SOURCES = tests/engine/test-executor.c
tests_engine_test_executor_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine \
	-DWEFT_EXECUTOR_PATH=\"$(abs_top_builddir)/engine/executor/weft-executor$(EXEEXT)\"
tests_engine_test_executor_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)
$(tests_engine_test_executor_OBJECTS): $(GEN_DIR)/.stamp
EXTRA_tests_engine_test_executor_DEPENDENCIES = engine/executor/weft-executor$(EXEEXT)
